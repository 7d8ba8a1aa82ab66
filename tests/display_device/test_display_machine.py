"""The screen's rule book alone (no broker, no pygame): calls in order and once, gaps refilled
from the board, the start-up baseline, incidents, counter mode, and a state that changes only
when the picture does. Time is an argument everywhere."""

from __future__ import annotations

import dataclasses
import datetime as dt
import queue

import pytest

from devices.display.announcer import Announcer, CallEvent
from devices.display.machine import BadMessage, DisplayMachine
from drivers.voice import RecordingSpeaker
from hall import clock as hall_clock
from hall.config import Names
from protocol.envelope import make_message
from protocol.topics import Kind

from .messages import T0, board, board_call, call, controller_state


@pytest.fixture
def hall_screen(example_hall):
    return DisplayMachine(example_hall, example_hall.displays["D1"], started=T0)


@pytest.fixture
def counter_screen(example_hall):
    return DisplayMachine(example_hall, example_hall.displays["D3"], started=T0)  # above counter 10


def seqs(calls) -> list[int]:
    return [c.seq for c in calls]


def finish(machine: DisplayMachine, calls) -> None:
    """The announcer is done with these calls."""
    for c in calls:
        machine.done(c.seq)


# --- calls, in order and once ----------------------------------------------------------------------


def test_the_first_board_is_shown_but_never_announced(hall_screen):
    assert hall_screen.receive(Kind.BOARD, board(3), T0) == []
    state = hall_screen.state(T0)
    assert state.current.label == "A003"
    assert [r.label for r in state.recent] == ["A002", "A001"]
    assert not state.blink_on, "an old call does not blink"
    assert hall_screen.take_ack() == 3 and hall_screen.take_ack() is None


def test_a_new_call_is_shown_blinking_announced_and_acknowledged_when_spoken(hall_screen):
    hall_screen.receive(Kind.BOARD, board(3), T0)
    hall_screen.take_ack()
    out = hall_screen.receive(Kind.CALLS, call(4, "B017", counter=4), T0 + 1)
    assert [(c.seq, c.label, c.counter) for c in out] == [(4, "B017", 4)]
    state = hall_screen.state(T0 + 1)
    assert (state.current.label, state.current.counter, state.current.counter_name.zh) == ("B017", 4, "4号窗口")
    assert state.blink_on
    assert hall_screen.take_ack() is None, "not acknowledged while it is still being announced"
    hall_screen.done(4)
    assert hall_screen.take_ack() == 4


def test_a_duplicate_call_changes_nothing(hall_screen):
    hall_screen.receive(Kind.BOARD, board(3), T0)
    finish(hall_screen, hall_screen.receive(Kind.CALLS, call(4), T0))
    assert hall_screen.receive(Kind.CALLS, call(4), T0 + 1) == []
    assert hall_screen.receive(Kind.CALLS, call(2), T0 + 1) == []
    assert hall_screen.last_seq == 4


def test_a_recall_is_announced_again_and_the_number_shown_once(hall_screen):
    hall_screen.receive(Kind.BOARD, board(3), T0)
    out = hall_screen.receive(Kind.CALLS, call(4, "A003", recall=True), T0 + 1)
    assert [(c.label, c.recall) for c in out] == [("A003", True)]
    state = hall_screen.state(T0 + 1)
    assert state.current.recall
    assert [r.label for r in state.recent] == ["A002", "A001"], "A003 is the current call, not also a recent one"


def test_a_live_call_before_any_board_is_announced(hall_screen):
    out = hall_screen.receive(Kind.CALLS, call(17), T0)
    assert seqs(out) == [17]
    assert hall_screen.receive(Kind.BOARD, board(17), T0 + 0.1) == [], "the board then lists it: nothing again"


# --- gaps ---------------------------------------------------------------------------------------------


def test_a_gap_is_refilled_from_the_board_in_order(hall_screen):
    hall_screen.receive(Kind.BOARD, board(3), T0)
    assert hall_screen.receive(Kind.CALLS, call(6), T0 + 1) == [], "call 6 waits for 4 and 5"
    assert hall_screen.state(T0 + 1).current.label == "A003"
    out = hall_screen.receive(Kind.BOARD, board(6), T0 + 1.1)
    assert seqs(out) == [4, 5, 6]
    assert hall_screen.state(T0 + 1.1).current.label == "A006"
    finish(hall_screen, out)
    assert hall_screen.take_ack() == 6


def test_a_gap_the_board_already_covers_is_refilled_at_once(hall_screen):
    hall_screen.receive(Kind.BOARD, board(3), T0)
    hall_screen.receive(Kind.BOARD, board(5), T0 + 1)  # calls 4 and 5 missed: refilled from this board
    assert hall_screen.last_seq == 5
    assert hall_screen.receive(Kind.CALLS, call(5), T0 + 1) == [], "their late call.made is a duplicate"
    assert seqs(hall_screen.receive(Kind.CALLS, call(6), T0 + 2)) == [6]


def test_calls_older_than_the_board_remembers_are_lost_and_the_rest_go_on(hall_screen):
    hall_screen.receive(Kind.BOARD, board(3), T0)
    out = hall_screen.receive(Kind.BOARD, board(20), T0 + 60)  # offline a while: lists 13 to 20 only
    assert seqs(out) == list(range(13, 21))
    assert hall_screen.last_seq == 20


def test_a_gap_no_board_fills_is_given_up_after_a_while(hall_screen):
    hall_screen.receive(Kind.BOARD, board(3), T0)
    hall_screen.receive(Kind.CALLS, call(5), T0)
    assert hall_screen.next_change(T0) <= T0 + hall_screen.gap_wait_s
    assert hall_screen.tick(T0 + 1) == []
    assert seqs(hall_screen.tick(T0 + hall_screen.gap_wait_s)) == [5]
    assert hall_screen.state(T0 + 6).current.label == "A005"


def test_a_board_behind_sent_later_means_a_fresh_controller_and_a_new_baseline(hall_screen):
    hall_screen.receive(Kind.BOARD, board(30), T0)
    assert hall_screen.take_ack() == 30
    assert hall_screen.receive(Kind.BOARD, board(2, sent=T0 + 60), T0 + 60) == []
    assert hall_screen.last_seq == 2
    assert hall_screen.state(T0 + 60).current.label == "A002"
    assert hall_screen.take_ack() == 2
    assert seqs(hall_screen.receive(Kind.CALLS, call(3, at=T0 + 61), T0 + 61)) == [3]


def test_a_retained_board_older_than_the_first_live_call_changes_no_call(hall_screen):
    assert seqs(hall_screen.receive(Kind.CALLS, call(5, at=T0), T0)) == [5]
    assert hall_screen.receive(Kind.BOARD, board(4, sent=T0 - 30), T0 + 0.1) == []
    assert hall_screen.last_seq == 5
    assert hall_screen.state(T0 + 0.1).current.label == "A005"
    assert [r.label for r in hall_screen.state(T0 + 0.1).recent] == ["A004", "A003", "A002", "A001"], (
        "the board's older calls are shown as recent ones"
    )
    assert hall_screen.take_ack() == 4, "everything before call 5, which is still being announced"


def test_a_long_run_of_lost_calls_is_skipped_in_one_step(hall_screen):
    hall_screen.receive(Kind.BOARD, board(3), T0)
    out = hall_screen.receive(Kind.BOARD, board(100_000), T0 + 3600)
    assert seqs(out) == list(range(99_993, 100_001))


# --- bad input ------------------------------------------------------------------------------------


def test_a_board_with_a_name_instead_of_a_ticket_number_is_refused_whole(hall_screen):
    hall_screen.receive(Kind.BOARD, board(3), T0)
    before = hall_screen.state(T0)
    bad = board(5, [board_call(5, label="ZHANG SAN"), board_call(4)])
    with pytest.raises(BadMessage, match="ZHANG SAN"):
        hall_screen.receive(Kind.BOARD, bad, T0 + 1)
    assert hall_screen.state(T0) == before and hall_screen.last_seq == 3


@pytest.mark.parametrize(
    "message, kind",
    [
        (make_message("call.made", {"seq": 4, "label": "A004"}), Kind.CALLS),  # fields missing
        (make_message("board.snapshot", {"call_seq": 1}), Kind.BOARD),
        (
            make_message("controller.state", {"online": "yes", "since": "2026-11-21T05:49:00.000Z"}),
            Kind.CONTROLLER_STATE,
        ),
        (call(4), Kind.BOARD),  # wrong topic
    ],
)
def test_malformed_messages_are_refused_and_change_nothing(hall_screen, message, kind):
    hall_screen.receive(Kind.BOARD, board(3), T0)
    before = hall_screen.state(T0)
    with pytest.raises(BadMessage):
        hall_screen.receive(kind, message, T0)
    assert hall_screen.state(T0) == before
    assert hall_screen.controller_online is None


def test_a_bad_service_count_on_the_board_is_refused(hall_screen):
    services = [
        {"id": "social", "prefix": "A", "name": {"zh": "社保", "en": "Social"}, "waiting": -1, "estimated_wait_s": 60}
    ]
    with pytest.raises(BadMessage, match="waiting"):
        hall_screen.receive(Kind.BOARD, board(3, services=services), T0)
    assert hall_screen.board is None and hall_screen.last_seq is None


# --- incidents -----------------------------------------------------------------------------------


def test_the_controller_going_down_is_an_incident_until_it_comes_back(hall_screen, example_hall):
    hall_screen.receive(Kind.CONTROLLER_STATE, controller_state(True, since=T0 - 3600), T0)
    assert hall_screen.state(T0).incident is None
    hall_screen.receive(Kind.CONTROLLER_STATE, controller_state(False, since=T0 - 3600), T0 + 120)
    incident = hall_screen.state(T0 + 130).incident
    assert incident is not None
    assert incident.since == dt.datetime.fromtimestamp(T0 + 120, example_hall.tz), (
        "since when this screen saw it go down (a last will carries the time it was set)"
    )
    hall_screen.receive(Kind.CONTROLLER_STATE, controller_state(False, since=T0 - 3600), T0 + 200)
    assert hall_screen.state(T0 + 200).incident.since == incident.since
    hall_screen.receive(Kind.CONTROLLER_STATE, controller_state(True, since=T0 + 300), T0 + 300)
    assert hall_screen.state(T0 + 300).incident is None


def test_a_controller_already_down_at_start_shows_its_last_known_time(hall_screen, example_hall):
    hall_screen.receive(Kind.BOARD, board(3, sent=T0 - 50), T0)
    hall_screen.receive(Kind.CONTROLLER_STATE, controller_state(False, since=T0 - 3600), T0)
    assert hall_screen.state(T0).incident.since == dt.datetime.fromtimestamp(T0 - 50, example_hall.tz)


def test_losing_the_broker_for_longer_than_the_grace_is_an_incident(hall_screen):
    hall_screen.connection(True, T0)
    hall_screen.connection(False, T0 + 1)
    assert hall_screen.state(T0 + 2).incident is None
    assert hall_screen.next_change(T0 + 2) <= T0 + 1 + hall_screen.broker_grace_s
    assert hall_screen.state(T0 + 1 + hall_screen.broker_grace_s).incident is not None
    hall_screen.connection(True, T0 + 40)
    assert hall_screen.state(T0 + 40).incident is None


def test_the_boards_incident_set_by_staff_is_shown_with_its_message(hall_screen, example_hall):
    incident = {
        "since": "2026-11-21T01:00:00.000Z",
        "expected_back": "2026-11-21T02:30:00.000Z",
        "message": {"zh": "系统升级", "en": "System upgrade"},
    }
    hall_screen.receive(Kind.BOARD, board(3, incident=incident), T0)
    shown = hall_screen.state(T0).incident
    assert shown.message == Names("系统升级", "System upgrade")
    assert f"{shown.expected_back:%H:%M}" == "10:30", "in the hall's time zone (Asia/Shanghai)"
    hall_screen.receive(Kind.BOARD, board(3), T0 + 1)
    assert hall_screen.state(T0 + 1).incident is None


# --- counter mode --------------------------------------------------------------------------------


def test_counter_mode_shows_and_says_only_its_own_counter(counter_screen):
    counters = [
        {"number": 10, "state": "open", "reason": None, "ticket": "A007"},
        {"number": 5, "state": "open", "reason": None, "ticket": "B002"},
    ]
    counter_screen.receive(Kind.BOARD, board(3, counters=counters), T0)
    state = counter_screen.state(T0)
    assert state.mode == "counter" and state.counter.number == 10 and state.counter.ticket == "A007"
    assert counter_screen.receive(Kind.CALLS, call(4, "B003", counter=5), T0 + 1) == []
    assert counter_screen.state(T0 + 1).counter.ticket == "A007"
    out = counter_screen.receive(Kind.CALLS, call(5, "C011", counter=10), T0 + 2)
    assert seqs(out) == [5]
    state = counter_screen.state(T0 + 2)
    assert state.counter.ticket == "C011" and state.blink_on
    assert counter_screen.take_ack() == 4, "call 4 (another counter's) is done; call 5 is being spoken"


def test_counter_mode_shows_a_paused_counter_without_a_ticket(counter_screen):
    counters = [{"number": 10, "state": "paused", "reason": "meal", "ticket": None}]
    counter_screen.receive(Kind.BOARD, board(3, counters=counters), T0)
    view = counter_screen.state(T0).counter
    assert (view.state, view.pause_reason, view.ticket) == ("paused", "meal", None)


def test_counter_mode_says_come_to_the_counter_until_the_clerk_starts(counter_screen):
    """A called ticket is not being served: the screen asks the citizen to come until the board
    says the clerk started serving that very ticket; the next call is only called again."""

    def at_counter(ticket, serving):
        return [{"number": 10, "state": "open", "reason": None, "ticket": ticket, "serving": serving}]

    counter_screen.receive(Kind.BOARD, board(3, counters=at_counter(None, False)), T0)
    counter_screen.receive(Kind.CALLS, call(4, "C011", counter=10), T0 + 1)
    view = counter_screen.state(T0 + 1).counter
    assert (view.ticket, view.serving) == ("C011", False)
    counter_screen.receive(Kind.BOARD, board(4, counters=at_counter("C011", False), sent=T0 + 2), T0 + 2)
    assert not counter_screen.state(T0 + 2).counter.serving
    counter_screen.receive(Kind.BOARD, board(4, counters=at_counter("C011", True), sent=T0 + 30), T0 + 30)
    assert counter_screen.state(T0 + 30).counter.serving
    counter_screen.receive(Kind.CALLS, call(5, "C012", counter=10), T0 + 40)  # before the next board
    view = counter_screen.state(T0 + 40).counter
    assert (view.ticket, view.serving) == ("C012", False)


# --- the picture changes only when it must ----------------------------------------------------------


def test_the_state_is_the_same_all_minute_and_changes_with_the_clock(hall_screen):
    hall_screen.receive(Kind.BOARD, board(3), T0)
    minute = T0 - T0 % 60
    assert hall_screen.state(minute + 1) == hall_screen.state(minute + 59)
    assert hall_screen.state(minute + 60) != hall_screen.state(minute + 59)
    assert hall_screen.next_change(minute + 1) == minute + 60


def test_the_blink_changes_every_half_second_for_six_seconds_then_stops(hall_screen):
    hall_screen.receive(Kind.BOARD, board(3), T0)
    start = T0 - T0 % 60 + 1
    hall_screen.receive(Kind.CALLS, call(4), start)
    phases = [hall_screen.state(start + t / 4).blink_on for t in range(0, 28)]
    assert phases[:8] == [True, True, False, False, True, True, False, False]
    assert not any(phases[24:])
    assert hall_screen.next_change(start + 0.1) == pytest.approx(start + 0.5)
    assert hall_screen.next_change(start + 7) == T0 - T0 % 60 + 60


def test_a_long_notice_scrolls_in_steps_and_a_short_one_stands_still(example_hall):
    long = Names("很长的通知" * 20, "")
    machine = DisplayMachine(
        example_hall,
        example_hall.displays["D1"],
        notice_scrolls=lambda n: n == long,
        notice_speed=90,
        scroll_step_s=0.5,
        started=T0,
    )
    machine.receive(Kind.BOARD, board(3, notice=("短通知", "")), T0)
    assert machine.state(T0 + 10).notice_offset == 0
    machine.receive(Kind.BOARD, board(3, notice=(long.zh, "")), T0 + 20)
    assert [machine.state(T0 + 20 + t).notice_offset for t in (0, 0.4, 0.5, 1.2)] == [0, 0, 45, 90]
    assert machine.next_change(T0 + 20.1) == pytest.approx(T0 + 20.5)
    no_scroll = DisplayMachine(
        example_hall, example_hall.displays["D1"], notice_scrolls=lambda n: True, scroll_step_s=None, started=T0
    )
    assert no_scroll.state(T0 + 30).notice_offset == 0


def test_waiting_per_service_comes_from_the_board_as_it_is(hall_screen):
    hall_screen.receive(Kind.BOARD, board(3), T0)
    waiting = hall_screen.state(T0).waiting
    assert [(w.prefix, w.waiting, w.wait_s) for w in waiting] == [("A", 12, 1500), ("B", 0, 0)]


def test_states_carry_ticket_numbers_only(hall_screen):
    hall_screen.receive(Kind.BOARD, board(3), T0)
    hall_screen.receive(Kind.CALLS, call(4, "B017", counter=4), T0)
    state = hall_screen.state(T0)
    labels = [state.current.label] + [r.label for r in state.recent]
    assert all(label[:1].isalpha() and label[1:].isdigit() for label in labels)
    assert dataclasses.replace(state) == state


# --- the announcer's reports, which the acknowledgements wait for ---------------------------------------


def test_the_announcer_reports_every_call_it_is_done_with_spoken_or_stale():
    done: queue.Queue[int] = queue.Queue()
    speaker = RecordingSpeaker(hall_clock.now)
    with Announcer(speaker, lambda: T0, on_done=lambda c: done.put(c.seq)) as announcer:
        announcer.offer(CallEvent(1, "A001", 5, T0 - 1000))  # too old to say
        announcer.offer(CallEvent(2, "A002", 5, T0))
        assert announcer.wait_idle(10)
    assert [done.get_nowait() for _ in range(2)] == [1, 2]
    assert speaker.labels == ["A002"]


# --- what the screen tells the controller about each call (calls.ack's `calls`) ---------------------


def test_each_call_is_reported_shown_at_once_and_then_as_the_announcer_left_it(hall_screen):
    from devices.display.announcer import Announced
    from protocol.envelope import format_epoch

    hall_screen.receive(Kind.BOARD, board(3), T0)
    hall_screen.take_ack()
    (event,) = hall_screen.receive(Kind.CALLS, call(4, "B017", counter=4), T0 + 1)
    assert event.received == T0 + 1
    assert hall_screen.take_reports() == [
        {"seq": 4, "outcome": "shown", "started": format_epoch(T0 + 1), "ended": format_epoch(T0 + 1)}
    ]
    hall_screen.done(4, Announced(event, "spoken", T0 + 2, T0 + 9, "shortened (3 calls waiting): without English"))
    assert hall_screen.take_ack() == 4
    assert hall_screen.take_reports() == [
        {
            "seq": 4,
            "outcome": "spoken",
            "started": format_epoch(T0 + 2),
            "ended": format_epoch(T0 + 9),
            "reason": "shortened (3 calls waiting): without English",
        }
    ]
    assert hall_screen.take_reports() == []


def test_acknowledge_hands_the_ack_and_its_reports_as_one_effect(hall_screen):
    from devices.display.announcer import Announced
    from devices.display.machine import Acknowledge

    hall_screen.receive(Kind.BOARD, board(3), T0)
    assert hall_screen.acknowledge() == [Acknowledge(3)]
    assert hall_screen.acknowledge() == []
    (event,) = hall_screen.receive(Kind.CALLS, call(4, "B017", counter=4), T0 + 1)
    (shown,) = hall_screen.acknowledge()  # reported shown at once, not yet acknowledged: still spoken
    assert shown.seq == 3 and [(r["seq"], r["outcome"]) for r in shown.calls] == [(4, "shown")]
    hall_screen.done(4, Announced(event, "spoken", T0 + 2, T0 + 9))
    (spoken,) = hall_screen.acknowledge()
    assert spoken.seq == 4 and [(r["seq"], r["outcome"]) for r in spoken.calls] == [(4, "spoken")]


def test_a_counter_screen_reports_only_its_own_counters_calls(counter_screen):
    counter_screen.receive(Kind.BOARD, board(3), T0)
    counter_screen.receive(Kind.CALLS, call(4, "B017", counter=4), T0 + 1)
    counter_screen.receive(Kind.CALLS, call(5, "A023", counter=10), T0 + 2)
    assert [(r["seq"], r["outcome"]) for r in counter_screen.take_reports()] == [(5, "shown")]


def test_a_hall_screen_leaves_a_counter_with_its_own_speaking_screen_to_that_screen(example_hall):
    hall = dataclasses.replace(
        example_hall,
        displays={**example_hall.displays, "D3": dataclasses.replace(example_hall.displays["D3"], voice="espeak")},
    )
    screen = DisplayMachine(hall, hall.displays["D1"], started=T0)
    screen.receive(Kind.BOARD, board(3), T0)
    assert screen.receive(Kind.CALLS, call(4, "A023", counter=10), T0 + 1) == []  # D3 says it at counter 10
    assert screen.take_reports()[0]["reason"] == "announced at its counter by that counter's own screen"
    assert seqs(screen.receive(Kind.CALLS, call(5, "B017", counter=4), T0 + 2)) == [5]


def test_reports_beyond_one_ack_wait_for_the_next(hall_screen):
    from protocol.messages import CALLS_PER_ACK

    hall_screen.receive(Kind.BOARD, board(3), T0)
    for seq in range(4, 4 + CALLS_PER_ACK + 5):
        hall_screen.receive(Kind.CALLS, call(seq, f"A{seq:03d}"), T0 + seq)
    assert len(hall_screen.take_reports()) == CALLS_PER_ACK
    assert len(hall_screen.take_reports()) == 5
