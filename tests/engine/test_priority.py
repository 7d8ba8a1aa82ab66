"""Priority asked for at a kiosk where staff confirm it (`priority = "staff"`, kiosk K3 here): the
ticket waits as normal until a clerk (from a counter's keypad) or a supervisor (from the web)
confirms it; confirmed, it takes the head start from then on; refused, it stays normal. Each
decision is a journalled event naming who made it. K1 takes the citizen's word (`"self"`), K4
offers no priority (`"off"`)."""

from __future__ import annotations

from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev
from hall_controller.engine.model import TicketState

from .conftest import MINUTE, rebuilt


def test_asking_at_a_staff_kiosk_waits_as_normal_until_confirmed(shift):
    shift.issue("social")  # A001
    shift.later(5 * MINUTE)
    asked = shift.issue("social", klass="priority", kiosk="K3")  # A002: asks for priority
    assert (asked.klass, asked.priority_check) == ("normal", "asked")
    [request] = shift.events_of(ev.PriorityRequested)
    assert (request.ticket, request.kiosk) == (asked.id, "K3")
    shift.open(2)
    assert shift.call(2).label == "A001"  # not confirmed: no head start


def test_a_confirmed_request_takes_the_head_start_from_then_on(shift):
    shift.issue("social")  # A001
    shift.later(5 * MINUTE)
    asked = shift.issue("social", klass="priority", kiosk="K3")  # A002
    shift.open(1)  # clerk1 at counter 1 confirms
    shift.later(MINUTE)
    [decided] = shift.do(cmd.DecidePriority(asked.id, confirm=True, counter=1))
    assert decided == ev.PriorityDecided(shift.clock.now, asked.id, True, "clerk1", 1, asked.since - 10 * MINUTE)
    assert (asked.klass, asked.priority_check) == ("priority", "confirmed")
    shift.open(2)
    assert shift.labels_called_at(2, 2) == ["A002", "A001"]


def test_a_refused_request_stays_normal_and_says_who_refused(shift):
    shift.issue("social")
    shift.later(5 * MINUTE)
    asked = shift.issue("social", klass="priority", kiosk="K3")
    [decided] = shift.do(cmd.DecidePriority(asked.id, confirm=False, by="supervisor1"))
    assert (decided.confirmed, decided.by, decided.counter) == (False, "supervisor1", None)
    assert (asked.klass, asked.priority_check) == ("normal", "refused")
    shift.open(2)
    assert shift.labels_called_at(2, 2) == ["A001", "A002"]


def test_a_self_kiosk_gives_priority_at_once_and_an_off_kiosk_refuses_it(shift):
    mine = shift.issue("social", klass="priority", kiosk="K1")
    assert (mine.klass, mine.priority_check) == ("priority", None)
    assert not shift.events_of(ev.PriorityRequested)
    shift.refuse(cmd.RequestTicket("social", "priority", "K4"), "no_priority")
    assert shift.issue("social", kiosk="K4").klass == "normal"


def test_decisions_that_cannot_be_made_are_refused_and_change_nothing(shift):
    asked = shift.issue("social", klass="priority", kiosk="K3")
    plain = shift.issue("social", kiosk="K3")
    shift.refuse(cmd.DecidePriority(plain.id, confirm=True, by="supervisor1"), "not_asked")
    shift.refuse(cmd.DecidePriority("20991231-A999", confirm=True, by="supervisor1"), "unknown_ticket")
    shift.refuse(cmd.DecidePriority(asked.id, confirm=True, counter=2), "counter_closed")  # nobody signed in
    shift.refuse(cmd.DecidePriority(asked.id, confirm=True, by="  "), "who")
    shift.do(cmd.DecidePriority(asked.id, confirm=False, by="supervisor1"))
    shift.refuse(cmd.DecidePriority(asked.id, confirm=True, by="supervisor2"), "already_decided")
    late = shift.issue("social", klass="priority", kiosk="K3")
    shift.open(1)
    while shift.call(1).id != late.id:
        shift.do(cmd.StartService(1))
        shift.finish(1)
    shift.do(cmd.StartService(1))
    shift.finish(1)
    assert late.state is TicketState.DONE
    shift.refuse(cmd.DecidePriority(late.id, confirm=True, counter=1), "bad_state")


def test_a_request_confirmed_at_the_counter_after_the_call_is_counted_but_moves_nothing(shift):
    asked = shift.issue("social", klass="priority", kiosk="K3")
    shift.open(1)
    assert shift.call(1).id == asked.id
    shift.do(cmd.DecidePriority(asked.id, confirm=True, counter=1))
    assert (asked.state, asked.klass, asked.priority_check) == (TicketState.CALLED, "priority", "confirmed")


def test_an_offline_ticket_asking_for_priority_at_a_staff_kiosk_waits_to_be_confirmed(shift):
    start = shift.clock.now
    [lease] = [e for e in shift.do(cmd.LeaseOfflineBlock("K3", "social")) if isinstance(e, ev.OfflineBlockLeased)]
    shift.later(MINUTE)
    events = shift.do(cmd.BackfillOffline("K3", "social", lease.first, start + 30, klass="priority"))
    issued = next(e for e in events if isinstance(e, ev.TicketIssuedOffline))
    assert issued.klass == "normal" and any(isinstance(e, ev.PriorityRequested) for e in events)
    assert shift.ticket(issued.ticket).priority_check == "asked"


def test_decisions_survive_a_rebuild_from_the_journal(hall, shift):
    shift.issue("social")
    a = shift.issue("social", klass="priority", kiosk="K3")
    b = shift.issue("social", klass="priority", kiosk="K3")
    shift.open(1)
    shift.do(cmd.DecidePriority(a.id, confirm=True, counter=1))
    shift.do(cmd.DecidePriority(b.id, confirm=False, by="supervisor1"))
    assert rebuilt(hall, shift.journal).state.snapshot() == shift.engine.state.snapshot()
