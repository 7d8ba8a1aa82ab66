"""The evaluator's rule book alone: no pins, no broker, time passed in by hand."""

from __future__ import annotations

import pytest

from devices.evaluator.machine import (
    ASKING_LIGHTS,
    DARK,
    Ask,
    Ended,
    EvaluatorMachine,
    Ignored,
    Lights,
    Phase,
    Prompt,
    Submit,
    Thank,
)

SENT = 1_800_000_000.0  # the controller's clock (epoch seconds)


def prompt(pid: str = "20261123-A023", *, received: float = 100.0, length: float = 30.0, sent: float = SENT) -> Prompt:
    return Prompt(pid, pid.rsplit("-", 1)[-1], sent, sent + length, received)


def test_idle_until_prompted_then_the_first_press_is_the_rating():
    m = EvaluatorMachine(thanks_s=2.0)
    assert m.phase is Phase.IDLE and m.lights == DARK
    assert m.pressed(4, 90.0) == [Ignored(4, "no rating requested")]
    p = prompt()
    assert m.prompted(p) == [Ask(p)]
    assert m.lights == ASKING_LIGHTS == Lights(blinking=(4, 3, 2, 1))
    assert m.next_wake() == 130.0
    assert m.pressed(2, 103.5) == [Submit(p.id, 2, SENT + 3.5), Thank(2)]
    assert m.phase is Phase.THANKING and m.lights == Lights(on=(2,))
    assert m.pressed(4, 103.7) == [Ignored(4, "already rated")]
    assert m.tick(105.0) == [] and m.phase is Phase.THANKING
    assert m.tick(105.5) == [] and m.phase is Phase.IDLE and m.lights == DARK


def test_press_times_are_reported_on_the_controller_clock_whatever_the_device_clock_says():
    m = EvaluatorMachine()
    p = prompt(received=5.0, sent=SENT)  # a device clock that started 5 s ago
    m.prompted(p)
    [submit, _] = m.pressed(1, 17.25)
    assert submit.pressed_at == SENT + 12.25


def test_the_prompt_times_out_by_itself():
    m = EvaluatorMachine()
    p = prompt(length=30.0)
    m.prompted(p)
    assert m.tick(130.0) == [] and m.phase is Phase.ASKING  # the deadline itself still counts
    assert m.tick(130.01) == [Ended(p.id, "timeout")]
    assert m.phase is Phase.IDLE and m.pressed(4, 131.0) == [Ignored(4, "no rating requested")]


def test_a_press_after_the_deadline_not_yet_ticked_is_too_late():
    m = EvaluatorMachine()
    p = prompt()
    m.prompted(p)
    assert m.pressed(3, 131.0) == [Ended(p.id, "timeout"), Ignored(3, "too late")]
    assert m.phase is Phase.IDLE


def test_a_press_from_before_the_prompt_arrived_does_not_count():
    m = EvaluatorMachine()
    m.prompted(prompt(received=100.0))
    assert m.pressed(4, 99.9) == [Ignored(4, "pressed before the request")]
    assert m.phase is Phase.ASKING


@pytest.mark.parametrize("reason", ["next_call", "counter_closed", "timeout"])
def test_the_controller_cancels_the_prompt(reason):
    m = EvaluatorMachine()
    p = prompt()
    m.prompted(p)
    assert m.cancelled("20261123-A999", reason) == []  # another prompt: nothing
    assert m.phase is Phase.ASKING
    assert m.cancelled(p.id, reason) == [Ended(p.id, reason)]
    assert m.phase is Phase.IDLE and m.lights == DARK


def test_a_cancel_after_the_press_keeps_the_thank_you():
    m = EvaluatorMachine()
    p = prompt()
    m.prompted(p)
    m.pressed(4, 101.0)
    assert m.cancelled(p.id, "next_call") == []
    assert m.phase is Phase.THANKING


def test_a_prompt_delivered_twice_is_asked_once_and_a_cancel_overtaking_it_wins():
    m = EvaluatorMachine()
    p = prompt()
    m.prompted(p)
    m.pressed(4, 101.0)
    assert m.prompted(p) == []  # a copy of the prompt after the rating: not asked again
    late = prompt("20261123-A024", received=110.0)
    assert m.cancelled(late.id, "next_call") == []
    assert m.prompted(late) == []  # its cancel came first: never asked
    assert m.phase is Phase.THANKING


def test_a_new_prompt_replaces_an_open_one():
    m = EvaluatorMachine()
    first, second = prompt("20261123-A023"), prompt("20261123-A024", received=105.0)
    m.prompted(first)
    assert m.prompted(second) == [Ended(first.id, "replaced"), Ask(second)]
    assert m.pressed(4, 106.0)[0] == Submit(second.id, 4, SENT + 1.0)


def test_a_prompt_already_past_its_deadline_is_not_asked():
    m = EvaluatorMachine()
    p = prompt(length=0.0)
    assert m.prompted(p) == [Ended(p.id, "timeout")]
    assert m.phase is Phase.IDLE


def test_there_are_four_levels_only():
    with pytest.raises(ValueError):
        EvaluatorMachine().pressed(5, 1.0)
