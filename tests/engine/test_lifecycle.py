"""A ticket's life at the counter: serve, outcome, recall, no-show, reinstate, transfer, hold."""

from __future__ import annotations

import pytest

from hall.config import OUTCOMES
from hall_controller.engine import TicketState
from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev

from .conftest import MINUTE


@pytest.fixture
def at_counter_2(shift):
    """Three social tickets a minute apart, counter 2 open; returns them in issue order."""
    tickets = []
    for _ in range(3):
        tickets.append(shift.issue("social"))
        shift.later(MINUTE)
    shift.open(2)
    return tickets


def test_served_ticket_is_done_with_its_outcome_and_times(shift, at_counter_2):
    first = at_counter_2[0]
    shift.call(2)
    shift.later(MINUTE)
    shift.do(cmd.StartService(2))
    assert first.state is TicketState.SERVING
    shift.later(5 * MINUTE)
    events = shift.finish(2, "materials_incomplete")
    done = events[0]
    assert done == ev.TicketDone(
        shift.clock.now, first.id, 2, "clerk2", "social", "materials_incomplete", 5 * MINUTE, 3 * MINUTE
    )
    assert first.state is TicketState.DONE and first.closed_at == shift.clock.now
    assert shift.engine.state.desks[2].current is None


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_every_outcome_is_recorded(shift, at_counter_2, outcome):
    shift.serve(2)
    assert shift.finish(2, outcome)[0].outcome == outcome


def test_unknown_outcome_is_refused(shift, at_counter_2):
    shift.serve(2)
    shift.refuse(cmd.Finish(2, "lost"), "bad_outcome")


def test_finishing_a_ticket_not_being_served_is_refused(shift, at_counter_2):
    shift.refuse(cmd.Finish(2), "no_ticket")
    shift.call(2)
    shift.refuse(cmd.Finish(2), "bad_state")


def test_starting_service_without_a_called_ticket_is_refused(shift, at_counter_2):
    shift.refuse(cmd.StartService(2), "no_ticket")
    shift.serve(2)
    shift.refuse(cmd.StartService(2), "bad_state")


def test_running_mean_of_service_time_learns_from_real_sessions(shift, at_counter_2):
    shift.serve(2)
    shift.later(16 * MINUTE)
    shift.finish(2)
    assert shift.engine.state.mean_service["social"] == pytest.approx(6 * MINUTE + 0.1 * (10 * MINUTE))


# --- recall and no-show ---------------------------------------------------------------------


def test_recall_announces_again_without_a_second_call(shift, at_counter_2):
    t = shift.call(2)
    events = shift.do(cmd.Recall(2))
    assert events == [ev.TicketRecalled(shift.clock.now, t.id, "A001", "social", 2, 2, 1)]
    assert t.state is TicketState.CALLED and t.recalls == 1
    assert len(shift.events_of(ev.TicketCalled)) == 1


def test_recall_limit_then_automatic_no_show(shift, at_counter_2):
    t = shift.call(2)
    shift.do(cmd.Recall(2))
    shift.do(cmd.Recall(2))  # the limit is two recalls
    events = shift.do(cmd.Recall(2))
    assert events == [ev.TicketNoShow(shift.clock.now, t.id, 2, True)]
    assert t.state is TicketState.NO_SHOW
    assert shift.engine.state.desks[2].current is None
    assert shift.call(2).label == "A002"


def test_clerk_marks_a_called_ticket_as_no_show(shift, at_counter_2):
    t = shift.call(2)
    assert shift.do(cmd.MarkNoShow(2)) == [ev.TicketNoShow(shift.clock.now, t.id, 2, False)]


def test_recall_or_no_show_of_a_ticket_being_served_is_refused(shift, at_counter_2):
    shift.serve(2)
    shift.refuse(cmd.Recall(2), "bad_state")
    shift.refuse(cmd.MarkNoShow(2), "bad_state")


def test_recall_with_no_ticket_at_the_counter_is_refused(shift, at_counter_2):
    shift.refuse(cmd.Recall(2), "no_ticket")
    shift.refuse(cmd.MarkNoShow(2), "no_ticket")


def test_reinstated_no_show_goes_back_to_its_place_in_line(shift, at_counter_2):
    first, second, third = at_counter_2
    shift.call(2)
    shift.do(cmd.MarkNoShow(2))
    shift.later(10 * MINUTE)
    assert shift.do(cmd.Reinstate(first.id)) == [ev.TicketReinstated(shift.clock.now, first.id)]
    assert first.state is TicketState.WAITING and first.recalls == 0
    assert shift.labels_called_at(2, 3) == ["A001", "A002", "A003"]


def test_reinstating_within_the_window_is_allowed_up_to_its_last_second(shift, at_counter_2):
    first = shift.call(2)
    shift.do(cmd.MarkNoShow(2))
    shift.later(30 * MINUTE)
    shift.do(cmd.Reinstate(first.id))


def test_reinstating_too_late_is_refused(shift, at_counter_2):
    first = shift.call(2)
    shift.do(cmd.MarkNoShow(2))
    shift.later(30 * MINUTE + 1)
    refusal = shift.refuse(cmd.Reinstate(first.id), "too_late")
    assert "30 minutes" in refusal.message


def test_reinstating_a_ticket_that_is_no_no_show_is_refused(shift, at_counter_2):
    first = at_counter_2[0]
    shift.refuse(cmd.Reinstate(first.id), "bad_state")
    shift.refuse(cmd.Reinstate("20261123-A777"), "unknown_ticket")


# --- transfer -------------------------------------------------------------------------------


def test_transfer_to_a_service_keeps_the_arrival_time(shift):
    social = shift.issue("social")
    shift.later(MINUTE)
    property_tickets = [shift.issue("property")]
    shift.later(5 * MINUTE)
    property_tickets.append(shift.issue("property"))
    shift.open(2, 3)
    shift.serve(2)
    shift.later(4 * MINUTE)
    events = shift.do(cmd.Transfer(2, to_service="property"))
    assert events[0] == ev.TicketTransferred(shift.clock.now, social.id, 2, "property", None, 4 * MINUTE)
    assert (social.state, social.service, social.origin) == (TicketState.WAITING, "property", "social")
    assert social.arrival == shift.clock.now - 10 * MINUTE
    # it arrived before both property tickets, so it is first in the property line
    assert shift.engine.state.waiting.position(social) == 0
    assert shift.labels_called_at(3, 3) == ["A001", "B001", "B002"]


def test_transfer_places_the_ticket_between_older_and_newer_tickets(shift):
    older = shift.issue("property")
    shift.later(MINUTE)
    social = shift.issue("social")
    shift.later(MINUTE)
    shift.issue("property")
    shift.open(2, 3)
    shift.serve(2)
    shift.do(cmd.Transfer(2, to_service="property"))
    assert shift.engine.state.waiting.position(social) == 1
    assert shift.labels_called_at(3, 3) == [older.label, "A001", "B002"]


def test_transfer_to_a_counter_is_called_only_there(shift):
    t = shift.issue("social")
    shift.later(MINUTE)
    shift.issue("social")
    shift.open(1, 2, 3)
    shift.serve(2)
    shift.do(cmd.Transfer(2, to_counter=3))  # counter 3 does not even serve social
    assert (t.to_counter, t.service) == (3, "social")
    assert shift.call(1).label == "A002"  # counter 1 cannot take it
    assert shift.call(3).id == t.id


def test_transfer_to_a_counter_goes_before_that_counters_newer_tickets(shift):
    t = shift.issue("social")
    shift.later(MINUTE)
    shift.issue("property")
    shift.open(2, 3)
    shift.serve(2)
    shift.do(cmd.Transfer(2, to_counter=3))
    assert shift.call(3).id == t.id


def test_transferred_ticket_served_time_adds_up_over_its_counters(shift):
    shift.issue("social")
    shift.open(2, 3)
    shift.serve(2)
    shift.later(4 * MINUTE)
    shift.do(cmd.Transfer(2, to_service="property"))
    shift.serve(3)
    shift.later(7 * MINUTE)
    assert shift.finish(3)[0].served_s == 11 * MINUTE


@pytest.mark.parametrize(
    "transfer, refusal",
    [
        (cmd.Transfer(2), "bad_transfer"),
        (cmd.Transfer(2, to_service="property", to_counter=3), "bad_transfer"),
        (cmd.Transfer(2, to_counter=2), "bad_transfer"),
        (cmd.Transfer(2, to_counter=4), "counter_closed"),
        (cmd.Transfer(2, to_counter=42), "unknown_counter"),
        (cmd.Transfer(2, to_service="passports"), "unknown_service"),
    ],
)
def test_bad_transfers_are_refused(shift, at_counter_2, transfer, refusal):
    shift.open(3)
    shift.serve(2)
    shift.refuse(transfer, refusal)


def test_transfer_of_a_ticket_not_being_served_is_refused(shift, at_counter_2):
    shift.refuse(cmd.Transfer(2, to_service="property"), "no_ticket")
    shift.call(2)
    shift.refuse(cmd.Transfer(2, to_service="property"), "bad_state")


# --- hold and resume ------------------------------------------------------------------------


def test_hold_parks_the_ticket_and_frees_the_counter(shift, at_counter_2):
    first = shift.serve(2)
    shift.later(2 * MINUTE)
    assert shift.do(cmd.Hold(2)) == [ev.TicketHeld(shift.clock.now, first.id, 2)]
    desk = shift.engine.state.desks[2]
    assert (first.state, desk.current, desk.held) == (TicketState.HELD, None, [first.id])
    assert first not in shift.engine.state.waiting
    assert shift.serve(2).label == "A002"


def test_resume_brings_the_held_ticket_back_and_held_time_is_not_service_time(shift, at_counter_2):
    first = shift.serve(2)
    shift.later(2 * MINUTE)
    shift.do(cmd.Hold(2))
    shift.later(30 * MINUTE)  # held: not counted
    assert shift.do(cmd.ResumeHeld(2)) == [ev.TicketResumed(shift.clock.now, first.id, 2)]
    assert first.state is TicketState.SERVING
    shift.later(3 * MINUTE)
    assert shift.finish(2)[0].served_s == 5 * MINUTE


def test_resume_a_named_held_ticket(shift, at_counter_2):
    first = shift.serve(2)
    shift.do(cmd.Hold(2))
    second = shift.serve(2)
    shift.do(cmd.Hold(2))
    shift.do(cmd.ResumeHeld(2, second.id))
    assert shift.engine.state.desks[2].held == [first.id]
    shift.finish(2)
    shift.do(cmd.ResumeHeld(2))
    assert shift.engine.state.desks[2].current == first.id


def test_resume_refusals(shift, at_counter_2):
    shift.refuse(cmd.ResumeHeld(2), "nothing_held")
    first = shift.serve(2)
    shift.do(cmd.Hold(2))
    shift.refuse(cmd.ResumeHeld(2, "20261123-A002"), "not_held")
    shift.serve(2)
    shift.refuse(cmd.ResumeHeld(2, first.id), "counter_busy")
    shift.finish(2)
    shift.do(cmd.PauseCounter(2, "break"))
    shift.refuse(cmd.ResumeHeld(2, first.id), "counter_paused")


def test_hold_of_a_ticket_not_being_served_is_refused(shift, at_counter_2):
    shift.refuse(cmd.Hold(2), "no_ticket")
    shift.call(2)
    shift.refuse(cmd.Hold(2), "bad_state")


def test_closing_a_counter_returns_tickets_sent_to_it_by_name_to_their_queue(shift):
    t = shift.issue("social")
    shift.open(1, 2, 3)
    shift.serve(2)
    shift.do(cmd.Transfer(2, to_counter=3))
    shift.do(cmd.CloseCounter(3))
    assert shift.call(1).id == t.id
