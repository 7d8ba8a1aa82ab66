"""Every call heard: a called citizen's clocks start when the hall heard the call, not at the key press.

Displays report what they did with each call (spoken from-to, shown only, skipped); the engine
journals it for the calls that still matter and refuses a no-show (or a recall) for a call the
hall has not heard. A call nobody announces in time raises an alert, and its clocks start from
the screen showing it, never earlier.
"""

from __future__ import annotations

import dataclasses

import pytest

from hall.config import parse
from hall_controller.engine import Engine
from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev

from .conftest import Shift, hall_description, rebuilt


def waiting_hall(**dispatch):
    raw = hall_description()
    raw["dispatch"] |= {"no_show_wait_s": 30, "announce_within_s": 20, "display_behind_s": 45, **dispatch}
    raw["displays"] = [
        {"id": "D1", "mode": "hall"},
        {"id": "D2", "mode": "hall", "voice": "none"},
        {"id": "D3", "mode": "counter", "counter": 3},
    ]
    return parse(raw)


@pytest.fixture
def quiet(clock):
    """The hall with a 30 s no-show wait, whose displays announce only when a test says so."""
    hall = waiting_hall()
    s = Shift(Engine(hall), clock, display=None)
    s.later(0)
    s.open(1, 2, 3)
    yield s
    assert rebuilt(hall, s.journal).state.snapshot() == s.engine.state.snapshot()


def test_a_no_show_before_the_call_was_heard_is_refused_with_the_reason(quiet):
    quiet.issue()
    quiet.call(2)
    refusal = quiet.refuse(cmd.MarkNoShow(2), "not_announced_yet")
    assert "A001 has not been announced" in refusal.message
    quiet.refuse(cmd.Recall(2), "not_announced_yet")


def test_the_no_show_clock_runs_from_the_end_of_the_first_announcement(quiet):
    quiet.issue()
    t = quiet.call(2)
    quiet.later(12)  # the display had a backlog
    start = quiet.clock.now
    quiet.later(5)
    events = quiet.announce(t.call_seq, started=start, ended=quiet.clock.now)
    assert events == [ev.CallAnnounced(quiet.clock.now, t.call_seq, t.id, "D1", "spoken", start, quiet.clock.now, None)]
    heard = quiet.clock.now
    assert quiet.ticket(t.id).heard_at == quiet.ticket(t.id).first_heard_at == heard
    quiet.later(29)
    refusal = quiet.refuse(cmd.MarkNoShow(2), "too_soon")
    assert "was announced at 08:30:17" in refusal.message and "from 08:30:47" in refusal.message
    quiet.later(1)
    assert [type(e) for e in quiet.do(cmd.MarkNoShow(2))] == [ev.TicketNoShow]


def test_a_recall_restarts_the_clock_from_its_own_announcement(quiet):
    quiet.issue()
    t = quiet.call(2)
    first_seq = t.call_seq
    quiet.announce(first_seq)
    quiet.do(cmd.Recall(2))  # a recall needs no wait, only a heard call
    recall_seq = quiet.ticket(t.id).call_seq
    assert recall_seq == first_seq + 1 and quiet.ticket(t.id).heard_at is None
    quiet.later(60)
    quiet.refuse(cmd.MarkNoShow(2), "not_announced_yet")
    quiet.announce(first_seq)  # a late report of the first call changes nothing
    quiet.refuse(cmd.MarkNoShow(2), "not_announced_yet")
    quiet.announce(recall_seq)
    quiet.refuse(cmd.MarkNoShow(2), "too_soon")
    quiet.later(30)
    quiet.do(cmd.Recall(2))
    quiet.announce(recall_seq + 1)
    quiet.later(30)
    (no_show,) = quiet.do(cmd.Recall(2))  # past the recall limit: an automatic no-show
    assert no_show == ev.TicketNoShow(quiet.clock.now, t.id, 2, True)


def test_shown_only_and_skipped_are_not_heard(quiet):
    quiet.issue()
    t = quiet.call(2)
    quiet.announce(t.call_seq, "shown", display="D2")
    quiet.announce(t.call_seq, "skipped", reason="the voice failed")
    assert quiet.ticket(t.id).shown_at == quiet.clock.now
    assert quiet.ticket(t.id).heard_at is None
    quiet.refuse(cmd.MarkNoShow(2), "not_announced_yet")


def test_a_counter_display_hears_only_its_own_counters_calls(quiet):
    quiet.issue()
    quiet.issue("property")
    at_2, at_3 = quiet.call(2), quiet.call(3)
    assert quiet.announce(at_2.call_seq, display="D3") == []  # not its counter: ignored
    assert len(quiet.announce(at_3.call_seq, display="D3")) == 1
    quiet.later(30)
    quiet.do(cmd.MarkNoShow(3))
    quiet.refuse(cmd.MarkNoShow(2), "not_announced_yet")


def test_a_call_nobody_announces_raises_an_alert_and_its_clock_starts_when_shown(quiet):
    quiet.issue()
    t = quiet.call(2)
    quiet.later(19)
    assert quiet.active_alert("calls_not_announced", "hall") is None
    quiet.later(1)
    assert [type(e) for e in quiet.journal[-2:]] == [ev.CallNotAnnounced, ev.AlertRaised]
    alert = quiet.active_alert("calls_not_announced", "hall")
    assert "A001" in alert.message and "counter 2" in alert.message
    quiet.refuse(cmd.MarkNoShow(2), "not_announced_yet")  # not even shown yet: never earlier
    quiet.later(5)
    quiet.announce(t.call_seq, "shown", display="D2")
    quiet.later(29)
    quiet.refuse(cmd.MarkNoShow(2), "too_soon")
    quiet.later(1)
    quiet.do(cmd.MarkNoShow(2))
    quiet.issue()
    t2 = quiet.call(2)
    quiet.announce(t2.call_seq)  # the voice is back: the alert clears
    assert quiet.active_alert("calls_not_announced", "hall") is None


def test_a_display_far_behind_raises_an_alert_until_it_catches_up(quiet):
    quiet.issue()
    quiet.issue()
    a, _b = quiet.call(2), quiet.call(1)
    quiet.later(50)
    quiet.announce(a.call_seq, started=quiet.clock.now - 1)
    alert = quiet.active_alert("display_behind", "D1")
    assert alert is not None and "49 s behind" in alert.message
    quiet.issue()
    quiet.do(cmd.StartService(1))
    quiet.do(cmd.Finish(1))
    c = quiet.call(1)
    quiet.announce(c.call_seq)
    assert quiet.active_alert("display_behind", "D1") is None


def test_an_older_displays_plain_ack_counts_as_shown(quiet):
    quiet.issue()
    t = quiet.call(2)
    quiet.do(cmd.ReportCalls("D1", (), upto=t.call_seq))
    assert quiet.ticket(t.id).shown_at == quiet.clock.now and quiet.ticket(t.id).heard_at is None


def test_a_call_already_shown_is_not_journalled_again_by_every_later_ack(quiet):
    """A screen acknowledges "every call up to N" after each new call; a call that stays open
    (its citizen still at the counter) was journalled as shown once, not once per later ack (a
    counter screen journalled its counter's call some forty times an hour in the demo)."""
    quiet.issue()
    quiet.issue()
    t = quiet.call(2)
    first = quiet.do(cmd.ReportCalls("D1", (), upto=t.call_seq))
    assert [type(e) for e in first] == [ev.CallAnnounced]
    u = quiet.call(1)
    quiet.later(5)
    again = quiet.do(cmd.ReportCalls("D1", (), upto=u.call_seq))
    assert [(e.call_seq, e.outcome) for e in again if isinstance(e, ev.CallAnnounced)] == [(u.call_seq, "shown")]
    assert quiet.ticket(t.id).shown_at == first[0].started


def test_reports_from_what_is_not_a_display_or_of_no_known_outcome_are_refused(quiet):
    quiet.issue()
    t = quiet.call(2)
    quiet.refuse(cmd.ReportCalls("K1", (cmd.CallOutcome(t.call_seq, "spoken"),)), "unknown_device")
    quiet.refuse(cmd.ReportCalls("D1", (cmd.CallOutcome(t.call_seq, "sung"),)), "bad_outcome")


def test_times_a_display_reports_stay_between_the_call_and_the_report(quiet):
    quiet.issue()
    t = quiet.call(2)
    made = quiet.clock.now
    quiet.later(10)
    (e,) = quiet.announce(t.call_seq, started=made - 100, ended=quiet.clock.now + 100)  # a clock far off
    assert (e.started, e.ended) == (made, quiet.clock.now)


def test_a_hall_without_any_display_for_a_counter_runs_the_clock_from_the_call(clock):
    hall = waiting_hall()
    hall = dataclasses.replace(hall, displays={})
    s = Shift(Engine(hall), clock, display=None)
    s.later(0)
    s.open(2)
    s.issue()
    s.call(2)
    s.refuse(cmd.MarkNoShow(2), "too_soon")
    s.later(30)
    s.do(cmd.MarkNoShow(2))


def test_a_display_that_is_speaking_but_behind_is_waited_for_not_bypassed(quiet):
    """A burst: the display speaks one call after another, the last ones long after they were
    made. Their clocks wait for their own announcement; only a display that falls silent lets
    the clocks start from the screen showing the call."""
    for _ in range(3):
        quiet.issue()
    first, second = quiet.call(1), quiet.call(2)
    second_seq = second.call_seq
    quiet.announce(second_seq, "shown", display="D2")
    quiet.later(15)
    quiet.announce(first.call_seq, started=quiet.clock.now - 10)  # the voice works, 15 s behind
    quiet.later(5)  # call 2 is 20 s old: announce_within_s
    quiet.later(10)
    assert quiet.active_alert("calls_not_announced", "hall") is None and not quiet.ticket(second.id).not_announced
    quiet.refuse(cmd.MarkNoShow(2), "not_announced_yet")
    quiet.later(5)  # nothing spoken for 20 s: silent
    assert quiet.ticket(second.id).not_announced
    assert quiet.active_alert("calls_not_announced", "hall") is not None
    quiet.do(cmd.MarkNoShow(2))  # shown 35 s ago: its clock ran out
