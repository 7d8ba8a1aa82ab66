"""The daily number reset: numbers restart, open tickets of the old day expire, serving ones finish."""

from __future__ import annotations

import datetime as dt

import pytest

from hall.config import parse
from hall_controller.engine import Engine, TicketState
from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev
from hall_controller.engine.model import CARRY_OVER_S

from .conftest import MINUTE, TZ, Shift, hall_description, rebuilt

MIDNIGHT = dt.datetime(2026, 11, 24, 0, 0, tzinfo=TZ).timestamp()


def to_midnight(shift) -> list:
    return shift.later(MIDNIGHT - shift.clock.now)


def test_numbers_restart_at_the_daily_reset(shift):
    shift.issue("social")
    shift.issue("social")
    shift.later(MIDNIGHT - 1 - shift.clock.now)
    events = shift.later(1)
    started = [e for e in events if isinstance(e, ev.ServiceDayStarted)]
    assert started == [
        ev.ServiceDayStarted(MIDNIGHT, s, "20261124", CARRY_OVER_S) for s in ("social", "property", "fund")
    ]
    t = shift.issue("social")
    assert (t.label, t.id) == ("A001", "20261124-A001")


def test_open_tickets_of_the_old_day_expire(shift):
    held, called, no_show, waiting = (shift.issue("social") for _ in range(4))
    shift.open(1, 2, 5)
    shift.serve(2)
    shift.do(cmd.Hold(2))  # A001 held at counter 2
    shift.call(1)  # A002 called to counter 1
    shift.later(MIDNIGHT - 60 - shift.clock.now)
    shift.call(5)
    shift.do(cmd.MarkNoShow(5))  # A003 did not come, and may still be reinstated
    shift.later(30)
    reserved = shift.reserve("property")  # not printed before midnight
    to_midnight(shift)
    tickets = (held, called, no_show, waiting, reserved)
    assert [t.state for t in tickets] == [TicketState.EXPIRED] * 5
    assert all(t.closed_at == MIDNIGHT for t in tickets)
    state = shift.engine.state
    assert len(state.waiting) == 0 and state.waiting.count == {"social": 0, "property": 0, "fund": 0}
    assert all(d.current is None and d.held == [] for d in state.desks.values())
    assert not any(t.id in state.tickets for t in tickets)  # the journal keeps them, memory does not


def test_expired_ticket_can_no_longer_be_reinstated_or_printed(shift):
    t = shift.issue("social")
    reserved = shift.reserve("social")
    shift.open(2)
    shift.call(2)
    shift.do(cmd.MarkNoShow(2))
    shift.later(MIDNIGHT - 60 - shift.clock.now)
    to_midnight(shift)
    assert t.id not in shift.engine.state.tickets  # closed tickets of the old day leave memory
    shift.refuse(cmd.Reinstate(t.id), "unknown_ticket")
    shift.refuse(cmd.ConfirmPrinted(reserved.id), "unknown_ticket")


def test_a_printout_confirmed_after_midnight_for_the_old_day_is_refused(shift):
    shift.later(MIDNIGHT - 30 - shift.clock.now)
    t = shift.reserve("social")
    to_midnight(shift)
    shift.refuse(cmd.ConfirmPrinted(t.id), "unknown_ticket")


def test_a_ticket_being_served_at_the_reset_may_finish(shift):
    shift.later(MIDNIGHT - 10 * MINUTE - shift.clock.now)
    t = shift.issue("social")
    shift.open(2)
    shift.serve(2)
    to_midnight(shift)
    assert t.state is TicketState.SERVING
    shift.later(5 * MINUTE)
    done = shift.finish(2)[0]
    assert (done.ticket, done.served_s) == ("20261123-A001", 15 * MINUTE)
    assert shift.issue("social").id == "20261124-A001"
    shift.do(cmd.SubmitRating(t.id, 4, pressed_at=shift.clock.now))


def test_the_reset_clears_the_wait_alert_of_the_old_day(shift):
    shift.later(MIDNIGHT - CARRY_OVER_S - 30 * MINUTE - shift.clock.now)
    shift.issue("social")
    shift.later(25 * MINUTE)
    assert shift.active_alert("wait_over_target", "social") is not None
    to_midnight(shift)
    assert shift.active_alert("wait_over_target", "social") is None


def test_a_ticket_taken_at_2359_is_called_at_0001_and_numbering_restarts_beside_it(shift):
    shift.open(1)
    shift.later(MIDNIGHT - 60 - shift.clock.now)
    late = shift.issue("social")  # a ticket of the 23rd, one minute to midnight
    to_midnight(shift)
    assert late.state is TicketState.WAITING and late.id in shift.engine.state.tickets
    fresh = shift.issue("social")  # the 24th's numbering starts afresh beside it
    assert (fresh.label, fresh.id) == ("A001", "20261124-A001") and fresh.id != late.id
    shift.later(60)
    called = shift.call(1)  # 00:01: the citizen who waited is called first
    assert called.id == late.id and called.state is TicketState.CALLED
    assert shift.engine.state.tickets[late.id].since == MIDNIGHT - 60


def test_a_ticket_called_at_the_reset_keeps_its_counter(shift):
    shift.open(2)
    shift.later(MIDNIGHT - 5 * MINUTE - shift.clock.now)
    t = shift.issue("social")
    shift.call(2)
    to_midnight(shift)
    assert t.state is TicketState.CALLED and shift.engine.state.desks[2].current == t.id
    shift.do(cmd.StartService(2))
    assert t.state is TicketState.SERVING


def test_a_carried_ticket_still_waiting_keeps_its_wait_alert(shift):
    shift.later(MIDNIGHT - 30 * MINUTE - shift.clock.now)
    shift.issue("social")
    shift.later(25 * MINUTE)
    to_midnight(shift)
    assert shift.active_alert("wait_over_target", "social") is not None  # the citizen still waits


def test_resets_repeat_every_day(shift):
    for _ in range(3 * 24):
        shift.later(3600)
    assert shift.engine.state.days == {"social": "20261126", "property": "20261126", "fund": "20261126"}
    assert len(shift.events_of(ev.ServiceDayStarted)) == 3 * 4


def test_first_tick_after_days_without_ticks_starts_todays_numbering(shift):
    """The controller was down over the weekend: the reset it missed starts today, not Saturday."""
    shift.issue("social")
    events = shift.later(3 * 24 * 3600)
    started = [e for e in events if isinstance(e, ev.ServiceDayStarted)]
    assert [e.day for e in started] == ["20261126"] * 3
    assert shift.issue("social").id == "20261126-A001"
    assert shift.engine.state.next_reset["social"] == MIDNIGHT + 3 * 24 * 3600


def test_offline_leases_end_with_their_day(shift):
    shift.do(cmd.LeaseOfflineBlock("K1", "social"))
    to_midnight(shift)
    shift.later(MINUTE)
    shift.refuse(cmd.BackfillOffline("K1", "social", 999, shift.clock.now), "not_leased")
    shift.refuse(cmd.BackfillOffline("K1", "social", 999, MIDNIGHT - CARRY_OVER_S - MINUTE), "wrong_day")


def test_an_offline_ticket_of_2359_reported_at_0001_joins_the_queue_under_its_own_day(shift):
    """The kiosk lost the controller at 23:50 and printed a ticket at 23:59 from its block of the
    23rd; it reports it at 00:01, after the reset. The citizen is in the hall: the ticket counts."""
    shift.do(cmd.LeaseOfflineBlock("K1", "social"))
    shift.open(1)
    to_midnight(shift)
    shift.later(MINUTE)
    (issued,) = shift.do(cmd.BackfillOffline("K1", "social", 999, MIDNIGHT - MINUTE))
    assert (issued.ticket, issued.since) == ("20261123-A999", MIDNIGHT - MINUTE)
    shift.refuse(cmd.BackfillOffline("K1", "social", 999, MIDNIGHT - MINUTE), "duplicate")
    shift.refuse(cmd.BackfillOffline("K1", "social", 998, MIDNIGHT + 30), "not_leased")  # the new day lent nothing
    fresh = shift.issue("social")
    assert fresh.id == "20261124-A001"
    assert shift.call(1).id == "20261123-A999"  # it waited longest
    assert rebuilt(shift.engine.hall, shift.journal).state.snapshot() == shift.engine.state.snapshot()


@pytest.fixture
def own_hours(clock):
    """Property resets at 06:00; fund never resets (a 24-hour service)."""
    description = hall_description()
    description["services"][1]["reset"] = "06:00"
    description["services"][2]["reset"] = "never"
    hall = parse(description)
    s = Shift(Engine(hall), clock)
    s.later(0)
    yield s
    assert rebuilt(hall, s.journal).state.snapshot() == s.engine.state.snapshot()


def test_each_service_resets_at_its_own_hour(own_hours):
    for service in ("social", "property", "fund"):
        own_hours.issue(service)
    to_midnight(own_hours)
    assert [own_hours.issue(s).label for s in ("social", "property", "fund")] == ["A001", "B002", "C002"]
    own_hours.later(6 * 3600)
    assert own_hours.engine.state.days == {"social": "20261124", "property": "20261124", "fund": "20261123"}
    assert [own_hours.issue(s).label for s in ("social", "property", "fund")] == ["A002", "B001", "C003"]
