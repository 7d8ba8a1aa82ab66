"""Appointments: booking, check-in inside the window, too early, missed, and their place in line."""

from __future__ import annotations

import pytest

from hall_controller.engine import TicketState
from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev

from .conftest import MINUTE


@pytest.fixture
def booked(shift):
    """Booking "XY12" for property, a slot from 10:00 to 10:30 (the shift starts at 08:30)."""
    start = shift.clock.now + 90 * MINUTE
    shift.do(cmd.BookAppointment("XY12", "property", start, start + 30 * MINUTE))
    return start


def check_in(shift, code="XY12"):
    events = shift.do(cmd.RequestTicket(appointment=code, kiosk="K1"))
    (reserved,) = [e for e in events if isinstance(e, ev.TicketReserved)]
    return shift.ticket(reserved.ticket)


def test_check_in_inside_the_window_gives_an_appointment_ticket_for_the_booked_service(shift, booked):
    shift.later(booked - 20 * MINUTE - shift.clock.now)  # 20 minutes early: allowed (30)
    t = check_in(shift)
    assert (t.service, t.klass, t.appointment) == ("property", "appointment", "XY12")
    assert t.since == booked  # its wait counts from the slot start
    assert t.key[0] == booked - 15 * MINUTE  # and it has the appointment head start
    assert shift.engine.state.appointments["XY12"].ticket == t.id


def test_check_in_too_early_is_refused(shift, booked):
    shift.later(booked - 31 * MINUTE - shift.clock.now)
    refusal = shift.refuse(cmd.RequestTicket(appointment="XY12"), "too_early")
    assert "09:30" in refusal.message


def test_check_in_after_the_slot_and_its_grace_is_refused_as_missed(shift, booked):
    shift.later(booked + 30 * MINUTE + 15 * MINUTE - shift.clock.now)
    check_in(shift)  # the last allowed second
    shift.do(cmd.BookAppointment("LATE", "property", booked, booked + 30 * MINUTE))
    shift.later(1)
    shift.refuse(cmd.RequestTicket(appointment="LATE"), "appointment_missed")


def test_checking_in_twice_is_refused(shift, booked):
    shift.later(booked - shift.clock.now)
    check_in(shift)
    shift.refuse(cmd.RequestTicket(appointment="XY12"), "already_checked_in")


def test_a_check_in_whose_printout_failed_may_check_in_again(shift, booked):
    shift.later(booked - shift.clock.now)
    t = check_in(shift)
    shift.do(cmd.ReportPrintFailed(t.id))
    again = check_in(shift)
    assert again.id != t.id and again.state is TicketState.RESERVED


def test_unknown_booking_code_is_refused(shift):
    shift.refuse(cmd.RequestTicket(appointment="NOPE"), "unknown_appointment")


def test_appointment_ticket_goes_ahead_of_normal_tickets_within_its_head_start(shift, booked):
    shift.later(booked - shift.clock.now)
    shift.later(5 * MINUTE)
    early = shift.issue("property")  # a normal ticket 5 minutes into the slot
    shift.later(5 * MINUTE)
    appt = check_in(shift)  # slot start - 15 min is its effective arrival
    shift.do(cmd.ConfirmPrinted(appt.id))
    shift.open(3)
    assert [shift.serve(3).id] == [appt.id]
    shift.finish(3)
    assert shift.serve(3).id == early.id


@pytest.mark.parametrize(
    "code, service, length_min, refusal",
    [
        ("XY12", "property", 30, "duplicate"),
        ("NEW1", "passports", 30, "unknown_service"),
        ("", "property", 30, "bad_code"),
        ("X" * 33, "property", 30, "bad_code"),
        ("NEW2", "property", 0, "bad_slot"),
        ("NEW3", "property", -10, "bad_slot"),
    ],
)
def test_bad_bookings_are_refused(shift, booked, code, service, length_min, refusal):
    shift.refuse(cmd.BookAppointment(code, service, booked, booked + length_min * MINUTE), refusal)


def test_a_booking_can_be_cancelled_until_it_checks_in(shift, booked):
    (cancelled,) = shift.do(cmd.CancelAppointment("XY12", by="desk"))
    assert cancelled.by == "desk" and "XY12" not in shift.engine.state.appointments
    shift.refuse(cmd.CancelAppointment("XY12", by="desk"), "unknown_appointment")
    shift.refuse(cmd.RequestTicket(appointment="XY12", kiosk="K1"), "unknown_appointment")
    start = shift.clock.now + 10 * MINUTE
    shift.do(cmd.BookAppointment("AB34", "social", start, start + 30 * MINUTE, "desk"))
    check_in(shift, "AB34")
    shift.refuse(cmd.CancelAppointment("AB34", by="desk"), "already_checked_in")


def test_a_slot_that_is_already_over_cannot_be_booked(shift):
    past = shift.clock.now - 3 * 3600
    shift.refuse(cmd.BookAppointment("OLD1", "social", past, past + 30 * MINUTE, "desk"), "bad_slot")
