"""Issuing tickets: reservation, printout, numbering, classes, running out of numbers."""

from __future__ import annotations

import pytest

from hall_controller.engine import Engine, EngineNotStarted, TicketState
from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev

from .conftest import MINUTE


def test_requested_ticket_is_reserved_until_its_printout_is_confirmed(shift):
    t = shift.reserve("social")
    assert t.state is TicketState.RESERVED
    assert t not in shift.engine.state.waiting
    events = shift.do(cmd.ConfirmPrinted(t.id))
    assert [type(e) for e in events] == [ev.TicketPrinted]
    assert t.state is TicketState.WAITING
    assert t in shift.engine.state.waiting


def test_numbers_count_up_per_service_behind_the_service_prefix(shift):
    labels = [shift.issue(s).label for s in ("social", "social", "property", "social", "fund")]
    assert labels == ["A001", "A002", "B001", "A003", "C001"]


def test_ticket_id_is_unique_across_days_and_names_its_day(shift):
    t = shift.issue("social")
    assert t.id == "20261123-A001"


def test_ticket_tells_people_ahead_and_estimated_wait(shift):
    first = shift.issue("social")
    second = shift.reserve("social")
    assert (first.ahead_at_issue, second.ahead_at_issue) == (0, 1)
    # no social counter open yet: the ticket says so rather than guess (test_estimated_wait.py)
    assert second.promised_wait_s is None


def test_reservation_timeout_voids_an_unprinted_ticket(shift):
    t = shift.reserve("social")
    assert shift.later(119) == []
    events = shift.later(1)
    assert events == [ev.TicketVoided(shift.clock.now, t.id, "reservation_timeout")]
    assert t.state is TicketState.VOIDED


def test_voided_ticket_is_never_called(shift):
    shift.reserve("social")
    shift.later(3 * MINUTE)
    shift.open(2)
    shift.refuse(cmd.CallNext(2), "nothing_waiting")


def test_printout_confirmed_after_the_reservation_timed_out_is_refused(shift):
    t = shift.reserve("social")
    shift.later(3 * MINUTE)
    shift.refuse(cmd.ConfirmPrinted(t.id), "not_reserved")


def test_print_failure_voids_the_ticket(shift):
    t = shift.reserve("social")
    events = shift.do(cmd.ReportPrintFailed(t.id, "paper out"))
    assert events == [ev.TicketVoided(shift.clock.now, t.id, "paper out")]
    assert t.state is TicketState.VOIDED
    shift.refuse(cmd.ConfirmPrinted(t.id), "not_reserved")
    shift.refuse(cmd.ReportPrintFailed(t.id), "not_reserved")


def test_confirming_a_printout_twice_is_refused(shift):
    t = shift.issue("social")
    shift.refuse(cmd.ConfirmPrinted(t.id), "not_reserved")


def test_only_the_kiosk_that_reserved_a_ticket_may_confirm_or_fail_it(shift):
    t = shift.reserve("social", kiosk="K1")
    shift.refuse(cmd.ConfirmPrinted(t.id, kiosk="K2"), "not_yours")
    shift.refuse(cmd.ReportPrintFailed(t.id, kiosk="K2"), "not_yours")
    shift.do(cmd.ConfirmPrinted(t.id, kiosk="K1"))
    assert t.state is TicketState.WAITING


def test_confirming_an_unknown_ticket_is_refused(shift):
    shift.refuse(cmd.ConfirmPrinted("20261123-A999"), "unknown_ticket")


def test_numbers_run_out_at_the_end_of_the_service_range(shift):
    for n in range(1, 31):  # fund numbers are 1 to 30
        assert shift.reserve("fund").number == n
    shift.refuse(cmd.RequestTicket("fund"), "numbers_exhausted")
    assert shift.issue("social").label == "A001"  # other services are not affected


def test_a_voided_number_is_not_given_again(shift):
    t = shift.reserve("social")
    shift.do(cmd.ReportPrintFailed(t.id))
    assert shift.reserve("social").label == "A002"


def test_unknown_service_is_refused(shift):
    shift.refuse(cmd.RequestTicket("passports"), "unknown_service")
    shift.refuse(cmd.RequestTicket(None), "unknown_service")


@pytest.mark.parametrize("klass", ["appointment", "vip", ""])
def test_kiosk_issues_only_normal_or_priority_tickets(shift, klass):
    shift.refuse(cmd.RequestTicket("social", klass=klass), "bad_class")


def test_priority_ticket_counts_as_arrived_its_head_start_earlier(shift):
    t = shift.issue("social", klass="priority")
    assert t.key[0] == shift.clock.now - 10 * MINUTE
    assert t.arrival == shift.clock.now


def test_commands_before_the_first_tick_are_our_bug_not_a_refusal(hall, clock):
    engine = Engine(hall)
    with pytest.raises(EngineNotStarted):
        engine.handle(cmd.RequestTicket("social"), clock.now)


def test_something_that_is_not_a_command_is_a_type_error(shift):
    with pytest.raises(TypeError):
        shift.engine.handle(object(), shift.clock.now)


def test_first_tick_starts_every_service_day(hall, clock):
    engine = Engine(hall)
    events = engine.tick(clock.now)
    assert events == [ev.ServiceDayStarted(clock.now, s, "20261123") for s in ("social", "property", "fund")]
    assert engine.tick(clock.now) == []
