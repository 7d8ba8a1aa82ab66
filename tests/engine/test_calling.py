"""Call next: which ticket a counter gets (skills and levels, class restrictions, head starts)."""

from __future__ import annotations

from hall_controller.engine import TicketState
from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev

from .conftest import MINUTE


def test_call_next_takes_the_earliest_arrival(shift):
    tickets = []
    for _ in range(3):
        tickets.append(shift.issue("social"))
        shift.later(MINUTE)
    shift.open(2)
    assert shift.labels_called_at(2, 3) == ["A001", "A002", "A003"]


def test_call_announces_the_label_the_counter_and_a_call_number(shift):
    t = shift.issue("social")
    shift.open(2)
    events = shift.do(cmd.CallNext(2))
    assert events == [ev.TicketCalled(shift.clock.now, t.id, "A001", "social", 2, 1)]
    assert (t.state, t.counter, t.called_at) == (TicketState.CALLED, 2, shift.clock.now)


def test_counter_calls_only_its_own_services(shift):
    shift.issue("property")
    shift.open(2)
    shift.refuse(cmd.CallNext(2), "nothing_waiting")
    shift.open(3)
    assert shift.call(3).label == "B001"


def test_primary_service_counters_share_one_queue(shift):
    for _ in range(4):
        shift.issue("social")
    shift.open(1, 2)
    assert [shift.call(2).label, shift.call(1).label] == ["A001", "A002"]


# --- the A/B post rule --------------------------------------------------------------------


def test_backup_counter_serves_its_primary_service_before_an_older_backup_ticket(shift):
    shift.issue("fund")  # counter 1's backup service, older
    shift.later(MINUTE)
    shift.issue("social")  # its primary service, newer
    shift.open(1)
    assert shift.call(1).label == "A001"


def test_backup_counter_takes_a_backup_service_when_no_primary_ticket_waits(shift):
    shift.issue("fund")
    shift.open(1)
    assert shift.call(1).label == "C001"


def test_backup_counter_takes_a_backup_service_whose_oldest_ticket_is_past_its_target(shift):
    shift.issue("fund")  # target 20 minutes
    shift.later(21 * MINUTE)
    shift.issue("social")
    shift.open(1)
    assert shift.call(1).label == "C001"


def test_backup_ticket_past_its_target_still_yields_to_an_older_primary_ticket(shift):
    shift.issue("social")
    shift.later(MINUTE)
    shift.issue("fund")
    shift.later(21 * MINUTE)
    shift.open(1)
    assert shift.call(1).label == "A001"


def test_backup_services_compete_by_arrival_when_no_primary_ticket_waits(shift):
    """Counter 1 backs up fund and property: with no social ticket, the older of the two goes first."""
    shift.issue("property")
    shift.later(MINUTE)
    shift.issue("fund")
    shift.open(1)
    assert shift.call(1).label == "B001"


# --- classes --------------------------------------------------------------------------------


def test_priority_head_start_lets_a_priority_ticket_go_ahead_within_the_head_start(shift):
    shift.issue("social")
    shift.later(9 * MINUTE)
    shift.issue("social", klass="priority")
    shift.open(2)
    assert shift.labels_called_at(2, 2) == ["A002", "A001"]


def test_priority_head_start_is_bounded(shift):
    shift.issue("social")
    shift.later(11 * MINUTE)
    shift.issue("social", klass="priority")
    shift.open(2)
    assert shift.labels_called_at(2, 2) == ["A001", "A002"]


def test_equal_effective_arrival_goes_by_issue_order(shift):
    shift.issue("social")
    shift.later(10 * MINUTE)
    shift.issue("social", klass="priority")  # effectively arrived with A001: A001 was first
    shift.open(2)
    assert shift.labels_called_at(2, 2) == ["A001", "A002"]


def test_class_only_counter_serves_only_its_classes(shift):
    shift.issue("social")
    shift.open(6)  # social, priority tickets only
    shift.refuse(cmd.CallNext(6), "nothing_waiting")
    shift.later(MINUTE)
    shift.issue("social", klass="priority")
    assert shift.call(6).label == "A002"


def test_class_first_counter_serves_its_classes_first_then_anyone(shift):
    shift.issue("social")
    shift.later(20 * MINUTE)  # far beyond the priority head start
    shift.issue("social", klass="priority")
    shift.open(5)  # social and fund, priority and appointment first
    assert shift.labels_called_at(5, 2) == ["A002", "A001"]


def test_class_first_counter_keeps_the_backup_rule_for_classes_it_prefers(shift):
    """A preferred-class ticket of a backup service does not pass the counter's own primary tickets."""
    shift.issue("social")  # counter 5's primary service, a normal ticket
    shift.later(MINUTE)
    shift.issue("property", klass="priority")  # counter 5's backup service, within its target
    shift.open(5)
    assert shift.call(5).label == "A001"


def test_class_only_counter_ignores_primary_tickets_it_may_not_serve_for_the_backup_rule(shift):
    """For counter 6 (priority only) a normal social ticket is not "its own": nothing to call."""
    shift.issue("social")
    shift.open(6)
    shift.refuse(cmd.CallNext(6), "nothing_waiting")


# --- sequence numbers of calls -------------------------------------------------------------


def test_call_numbers_are_gap_free_across_calls_and_recalls_of_all_counters(shift):
    for _ in range(3):
        shift.issue("social")
    shift.issue("property")
    shift.open(2, 3)
    shift.call(2)
    shift.do(cmd.Recall(2))
    shift.call(3)
    shift.do(cmd.MarkNoShow(2))
    shift.call(2)
    seqs = [e.call_seq for e in shift.journal if isinstance(e, (ev.TicketCalled, ev.TicketRecalled))]
    assert seqs == [1, 2, 3, 4]
    assert [e.call_seq for e in shift.engine.state.recent_calls] == seqs


def test_calling_where_nobody_waits_is_refused(shift):
    shift.open(2)
    shift.refuse(cmd.CallNext(2), "nothing_waiting")


def test_calling_at_a_closed_counter_is_refused(shift):
    shift.issue("social")
    shift.refuse(cmd.CallNext(2), "counter_closed")


def test_calling_at_a_paused_counter_is_refused(shift):
    shift.issue("social")
    shift.open(2)
    shift.do(cmd.PauseCounter(2, "meal"))
    shift.refuse(cmd.CallNext(2), "counter_paused")


def test_calling_while_a_ticket_is_at_the_counter_is_refused(shift):
    shift.issue("social")
    shift.issue("social")
    shift.open(2)
    shift.call(2)
    shift.refuse(cmd.CallNext(2), "counter_busy")
    shift.do(cmd.StartService(2))
    shift.refuse(cmd.CallNext(2), "counter_busy")


def test_calling_at_an_unknown_counter_is_refused(shift):
    shift.refuse(cmd.CallNext(99), "unknown_counter")
