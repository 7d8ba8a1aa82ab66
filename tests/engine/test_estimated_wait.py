"""Estimated wait per service: the counters open now, when each is free, how fast each calls the
service (learned from the day's events), and honesty when no counter serving it is open."""

from __future__ import annotations

import pytest

from hall_controller.engine import commands as cmd
from hall_controller.engine.engine import nth_call

from .conftest import MINUTE, rebuilt


def test_first_in_line_at_an_idle_open_counter_waits_nothing(shift):
    shift.open(2)
    assert shift.engine.estimate_wait("social", 0) == 0
    assert shift.issue("social").promised_wait_s == 0


def test_no_counter_open_says_so_instead_of_a_number(shift):
    assert shift.engine.estimate_wait("social", 0) is None
    assert shift.engine.estimate_wait("property", 3) is None
    t = shift.issue("social")
    assert t.promised_wait_s is None
    shift.open(3)  # property only: social still has no counter
    assert shift.engine.estimate_wait("social", 1) is None


def test_a_counter_restricted_to_other_classes_counts_only_for_them(shift):
    shift.open(6)  # social, priority tickets only
    assert shift.engine.estimate_wait("social", 0, "normal") is None
    assert shift.engine.estimate_wait("social", 0, "priority") == 0


def test_a_counter_that_calls_its_classes_first_calls_them_before_the_line(shift):
    for _ in range(4):
        shift.issue("social")
    shift.later(15 * MINUTE)  # older than the priority head start: all ahead
    shift.open(2, 5)  # 5 calls priority and appointment tickets first
    assert shift.engine.estimate_wait("social", 4, "normal") > 0
    assert shift.engine.estimate_wait("social", 4, "priority") == 0
    assert shift.issue("social", "priority").promised_wait_s == 0
    flow = shift.engine.state.flow  # one priority ticket before it: one social turn at 5
    assert shift.engine.estimate_wait("social", 5, "priority") == pytest.approx(flow.turn["social"] + flow.gap)
    # counted rather than played (a line of 10 is not the one waiting): after the one priority ticket
    assert shift.engine.estimate_wait("social", 10, "priority") == pytest.approx(flow.gap + flow.work[5])


def test_the_line_played_forward_counts_the_other_service_of_a_shared_counter(shift):
    for _ in range(2):
        shift.issue("fund")
    shift.later(MINUTE)
    shift.open(5)  # social and fund, by arrival: both fund tickets first
    flow = shift.engine.state.flow
    fund = flow.turn["fund"] + flow.gap
    assert shift.issue("social").promised_wait_s == pytest.approx(2 * fund, abs=0.1)


def test_the_line_played_forward_counts_a_backup_only_when_its_own_line_is_empty(shift):
    shift.open(4)  # fund
    for _ in range(3):
        shift.issue("fund")
    shift.open(1)  # social first, fund as backup
    flow = shift.engine.state.flow
    fund = flow.turn["fund"] + flow.gap
    helped = shift.engine.estimate_wait("fund", 3)
    assert helped == pytest.approx(fund)  # 1 and 4 take two each
    shift.issue("social")  # now 1 has its own to call first
    assert shift.engine.estimate_wait("fund", 3) > helped


def test_a_waiting_ticket_is_estimated_at_its_own_place(shift):
    shift.open(2)
    tickets = [shift.issue("social") for _ in range(3)]
    flow = shift.engine.state.flow
    second = tickets[1]
    assert shift.engine.estimate_wait("social", 1, "normal", second.key) == pytest.approx(
        flow.turn["social"] + flow.gap
    )


def test_the_play_leaves_the_waiting_room_as_it_was(shift, hall):
    shift.open(1, 2, 5)
    for service in ("social", "fund", "social", "property", "social"):
        shift.issue(service)
    waiting = shift.engine.state.waiting
    before = [(s, waiting.count[s], waiting.oldest_since(s)) for s in hall.services]
    nexts = [waiting.next_for(hall.counters[n], shift.clock.now) for n in (1, 2, 5)]
    shift.engine.estimate_wait("social", 3)
    assert [(s, waiting.count[s], waiting.oldest_since(s)) for s in hall.services] == before
    assert [waiting.next_for(hall.counters[n], shift.clock.now) for n in (1, 2, 5)] == nexts


def test_a_line_too_long_to_play_is_counted(shift, monkeypatch):
    from hall_controller.engine import engine as module

    shift.open(2)
    for _ in range(3):
        shift.issue("social")
    played = shift.engine.estimate_wait("social", 3)
    monkeypatch.setattr(module, "LOOKAHEAD_CALLS", 2)  # the play does not settle: the count answers
    counted = shift.engine.estimate_wait("social", 3)
    flow = shift.engine.state.flow
    assert played == pytest.approx(3 * (flow.turn["social"] + flow.gap))
    assert counted == pytest.approx(nth_call([(shift.clock.now, 1.0, flow.rate(2, "social")[0])], 4) - shift.clock.now)


def test_more_ahead_waits_longer_and_more_counters_wait_less(shift):
    shift.open(2)
    one = [shift.engine.estimate_wait("social", ahead) for ahead in range(6)]
    assert one == sorted(one) and one[0] < one[-1]
    shift.open(1)
    two = shift.engine.estimate_wait("social", 5)
    assert 0 < two < one[5]


def test_with_one_counter_each_ticket_ahead_costs_about_a_turn(shift):
    shift.open(2)  # social only
    flow = shift.engine.state.flow
    turn = flow.turn["social"] + flow.gap
    assert shift.engine.estimate_wait("social", 3) == pytest.approx(3 * turn)


def test_a_citizen_long_at_the_counter_is_likely_done_soon(shift):
    shift.issue("social")
    shift.open(2)
    shift.serve(2)
    early = shift.engine.estimate_wait("social", 0)
    shift.later(4 * MINUTE)
    assert shift.engine.estimate_wait("social", 0) == pytest.approx(early - 4 * MINUTE)
    shift.later(60 * MINUTE)  # far past the usual: still counted as a little more
    assert 0 < shift.engine.estimate_wait("social", 0) < early / 2


def test_a_meal_pause_counts_the_clerk_back_after_the_meal(shift):
    shift.open(2)
    shift.do(cmd.PauseCounter(2, "meal"))
    meal = shift.engine.estimate_wait("social", 0)
    assert meal == pytest.approx(45 * MINUTE)
    shift.do(cmd.ResumeCounter(2))
    shift.do(cmd.PauseCounter(2, "break"))
    assert shift.engine.estimate_wait("social", 0) == pytest.approx(10 * MINUTE)


def test_estimate_follows_real_turns(shift):
    shift.open(2)
    before = shift.engine.state.flow.turn["social"]
    for _ in range(10):
        shift.issue("social")
        shift.serve(2)
        shift.later(16 * MINUTE)
        shift.finish(2)
    assert shift.engine.state.flow.turn["social"] > before * 1.5
    shift.issue("social")
    shift.serve(2)  # busy: the first in line waits for this turn
    assert shift.engine.estimate_wait("social", 0) > 0.9 * shift.engine.state.flow.turn["social"]


def test_the_last_wait_pulls_the_estimate_towards_what_happened(shift):
    shift.issue("social")
    shift.later(30 * MINUTE)
    shift.open(2)
    shift.call(2)  # waited 30 minutes
    queue_only = shift.engine.estimate_wait("social", 0)  # no one ahead: the queue alone
    with_history = shift.engine.estimate_wait("social", 1)
    assert shift.engine.state.flow.last_wait["social"] == 30 * MINUTE
    assert with_history > queue_only


def test_a_rebuilt_engine_estimates_the_same(shift, hall):
    shift.open(1, 2)
    for _ in range(6):
        shift.issue("social")
    for n in (1, 2):
        shift.serve(n)
    shift.later(9 * MINUTE)
    shift.finish(1)
    again = rebuilt(hall, shift.journal)
    again.now = shift.engine.now
    assert again.state.flow.snapshot() == shift.engine.state.flow.snapshot()
    assert again.estimate_wait("social", 3) == shift.engine.estimate_wait("social", 3)


def test_ticket_shows_the_estimate_for_the_people_ahead_of_it(shift):
    shift.open(2)
    for _ in range(3):
        shift.issue("social")
    t = shift.reserve("social")
    assert t.ahead_at_issue == 3
    assert t.promised_wait_s == pytest.approx(round(shift.engine.estimate_wait("social", 3), 1))


def test_nth_call_counts_first_calls_then_rates():
    # two counters free now, each calling once every 600 s after its first call
    assert nth_call([(0.0, 1.0, 1 / 600), (0.0, 1.0, 1 / 600)], 1) == 0
    assert nth_call([(0.0, 1.0, 1 / 600), (0.0, 1.0, 1 / 600)], 3) == pytest.approx(300)
    # one free at 100 s: nothing until then
    assert nth_call([(100.0, 1.0, 1 / 600)], 1) == 100
    assert nth_call([(100.0, 1.0, 1 / 600)], 2) == pytest.approx(700)
    # a counter that never calls this service cannot make the second call
    assert nth_call([(0.0, 1.0, 0.0)], 2) == float("inf")


def test_a_snapshot_from_before_the_flow_still_loads(shift, hall):
    import pickle

    from hall_controller.engine import Engine

    shift.open(2)
    shift.issue("social")
    state = shift.engine.state
    del state.flow  # what an older controller pickled
    for desk in state.desks.values():
        del desk.run
    old = pickle.loads(pickle.dumps(state))
    old.attach(hall)
    engine = Engine(hall, old)
    engine.now = shift.clock.now
    assert engine.estimate_wait("social", 0) is not None and old.desks[2].run == 0
    state.flow, state.desks = old.flow, old.desks  # the shift's own check after the test
