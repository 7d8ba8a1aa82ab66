"""Counters: open with a clerk, pause with a reason, resume, close (held tickets go back in line)."""

from __future__ import annotations

import pytest

from hall.config import PAUSE_REASONS
from hall_controller.engine import CounterState, TicketState
from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev

from .conftest import MINUTE


def test_counter_opens_with_its_clerk(shift):
    assert shift.do(cmd.OpenCounter(2, "S1024")) == [ev.CounterOpened(shift.clock.now, 2, "S1024")]
    desk = shift.engine.state.desks[2]
    assert (desk.state, desk.clerk, desk.since) == (CounterState.OPEN, "S1024", shift.clock.now)


@pytest.mark.parametrize("clerk", ["", "x" * 65])
def test_opening_without_a_proper_staff_number_is_refused(shift, clerk):
    shift.refuse(cmd.OpenCounter(2, clerk), "bad_clerk")


def test_opening_an_open_or_paused_counter_is_refused(shift):
    shift.open(2)
    shift.refuse(cmd.OpenCounter(2, "other"), "already_open")
    shift.do(cmd.PauseCounter(2, "meal"))
    shift.refuse(cmd.OpenCounter(2, "other"), "already_open")


def test_opening_an_unknown_counter_is_refused(shift):
    shift.refuse(cmd.OpenCounter(0, "S1"), "unknown_counter")


@pytest.mark.parametrize("reason", PAUSE_REASONS)
def test_pause_records_its_reason_and_resume_reopens(shift, reason):
    shift.open(2)
    shift.later(MINUTE)
    assert shift.do(cmd.PauseCounter(2, reason)) == [ev.CounterPaused(shift.clock.now, 2, reason)]
    desk = shift.engine.state.desks[2]
    assert (desk.state, desk.pause_reason, desk.clerk) == (CounterState.PAUSED, reason, "clerk2")
    shift.later(MINUTE)
    assert shift.do(cmd.ResumeCounter(2)) == [ev.CounterResumed(shift.clock.now, 2)]
    assert (desk.state, desk.pause_reason) == (CounterState.OPEN, None)


def test_pause_with_an_unknown_reason_is_refused(shift):
    shift.open(2)
    shift.refuse(cmd.PauseCounter(2, "nap"), "bad_reason")


def test_pausing_a_closed_or_paused_counter_is_refused(shift):
    shift.refuse(cmd.PauseCounter(2, "break"), "counter_closed")
    shift.open(2)
    shift.do(cmd.PauseCounter(2, "break"))
    shift.refuse(cmd.PauseCounter(2, "meal"), "counter_paused")


def test_pausing_with_a_ticket_at_the_counter_is_refused(shift):
    shift.issue("social")
    shift.open(2)
    shift.call(2)
    shift.refuse(cmd.PauseCounter(2, "break"), "counter_busy")


def test_resuming_a_counter_that_is_not_paused_is_refused(shift):
    shift.refuse(cmd.ResumeCounter(2), "not_paused")
    shift.open(2)
    shift.refuse(cmd.ResumeCounter(2), "not_paused")


def test_close_ends_the_clerks_session(shift):
    shift.open(2)
    assert shift.do(cmd.CloseCounter(2)) == [ev.CounterClosed(shift.clock.now, 2)]
    desk = shift.engine.state.desks[2]
    assert (desk.state, desk.clerk) == (CounterState.CLOSED, None)


def test_a_paused_counter_can_close(shift):
    shift.open(2)
    shift.do(cmd.PauseCounter(2, "other"))
    shift.do(cmd.CloseCounter(2))
    assert shift.engine.state.desks[2].state is CounterState.CLOSED


def test_closing_a_closed_counter_is_refused(shift):
    shift.refuse(cmd.CloseCounter(2), "counter_closed")


def test_closing_with_a_ticket_called_or_served_is_refused(shift):
    shift.issue("social")
    shift.open(2)
    shift.call(2)
    shift.refuse(cmd.CloseCounter(2), "counter_busy")
    shift.do(cmd.StartService(2))
    shift.refuse(cmd.CloseCounter(2), "counter_busy")


def test_closing_returns_held_tickets_to_the_queue_at_their_place(shift):
    first = shift.issue("social")
    shift.later(MINUTE)
    shift.issue("social")
    shift.later(MINUTE)
    shift.open(1, 2)
    shift.serve(2)
    shift.do(cmd.Hold(2))
    events = shift.do(cmd.CloseCounter(2))
    assert events == [ev.TicketRequeued(shift.clock.now, first.id, 2), ev.CounterClosed(shift.clock.now, 2)]
    assert (first.state, first.counter) == (TicketState.WAITING, None)
    assert shift.engine.state.desks[2].held == []
    assert shift.labels_called_at(1, 2) == ["A001", "A002"]


def test_reopened_counter_calls_again(shift):
    shift.issue("social")
    shift.open(2)
    shift.do(cmd.CloseCounter(2))
    shift.do(cmd.OpenCounter(2, "next clerk"))
    assert shift.call(2).label == "A001"
