"""Alerts: wait past target, understaffed, long service, devices and paper; acknowledging; the notice."""

from __future__ import annotations

import pytest

from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev

from .conftest import MINUTE

# --- wait past target -----------------------------------------------------------------------


def test_wait_past_target_is_raised_by_tick(shift):
    shift.issue("social")  # target 20 minutes
    assert shift.later(19 * MINUTE) == []
    events = shift.later(2 * MINUTE)
    assert [(e.kind, e.subject) for e in events if isinstance(e, ev.AlertRaised)] == [("wait_over_target", "social")]


def test_wait_alert_is_raised_when_the_tick_lands_exactly_on_the_target(shift):
    shift.issue("social")
    shift.later(20 * MINUTE)
    shift.later(MINUTE)
    assert shift.active_alert("wait_over_target", "social") is not None


def test_wait_alert_is_raised_once_per_episode(shift):
    shift.issue("social")
    shift.later(MINUTE)
    shift.issue("social")
    shift.later(30 * MINUTE)
    assert len(shift.events_of(ev.AlertRaised)) == 1


def test_wait_alert_is_cleared_when_the_queue_is_back_within_target(shift):
    shift.issue("social")
    shift.later(15 * MINUTE)
    shift.issue("social")
    shift.later(6 * MINUTE)
    alert = shift.active_alert("wait_over_target", "social")
    shift.open(2)
    shift.call(2)  # A002 has waited 6 minutes: within target again
    assert shift.events_of(ev.AlertCleared) == [ev.AlertCleared(shift.clock.now, alert.id)]
    assert shift.active_alert("wait_over_target", "social") is None


def test_wait_alert_stays_while_the_queue_is_still_past_target(shift):
    shift.issue("social")
    shift.issue("social")
    shift.later(21 * MINUTE)
    shift.open(2)
    shift.call(2)
    assert shift.active_alert("wait_over_target", "social") is not None


def test_wait_alert_for_a_ticket_transferred_into_a_queue_it_has_waited_past_target(shift):
    shift.issue("social")
    shift.open(2)
    shift.later(MINUTE)
    shift.serve(2)
    shift.later(25 * MINUTE)  # its social timer came and went
    shift.do(cmd.Transfer(2, to_service="property"))  # property: target 30 minutes, from arrival
    shift.later(5 * MINUTE)
    assert shift.active_alert("wait_over_target", "property") is not None


def test_wait_alert_for_a_reinstated_ticket_that_has_waited_past_target(shift):
    t = shift.issue("social")
    shift.open(2)
    shift.later(5 * MINUTE)
    shift.call(2)
    shift.do(cmd.MarkNoShow(2))
    shift.later(20 * MINUTE)
    shift.do(cmd.Reinstate(t.id))
    shift.later(1)
    assert shift.active_alert("wait_over_target", "social") is not None


def test_wait_alert_for_a_held_ticket_requeued_past_target(shift):
    shift.issue("social")
    shift.open(2)
    shift.serve(2)
    shift.do(cmd.Hold(2))
    shift.later(25 * MINUTE)
    shift.do(cmd.CloseCounter(2))
    shift.later(1)
    assert shift.active_alert("wait_over_target", "social") is not None


# --- understaffed ---------------------------------------------------------------------------


def test_long_queue_while_a_capable_counter_is_closed_raises_understaffed(shift):
    shift.open(1, 2, 5)  # counter 6 (social, priority) stays closed
    for _ in range(4):
        shift.issue("social")
    assert shift.active_alert("understaffed", "social") is None
    shift.issue("social")  # the fifth: the long queue of this hall
    alert = shift.active_alert("understaffed", "social")
    assert alert is not None and "6" in alert.message


def test_understaffed_alert_clears_when_the_counters_open(shift):
    for _ in range(5):
        shift.issue("social")
    shift.open(1, 2, 5)
    assert shift.active_alert("understaffed", "social") is not None
    shift.open(6)
    assert shift.active_alert("understaffed", "social") is None


def test_understaffed_alert_clears_when_the_queue_gets_short(shift):
    for _ in range(5):
        shift.issue("social")
    shift.open(2)
    shift.call(2)
    assert shift.active_alert("understaffed", "social") is None


def test_pausing_a_counter_with_a_long_queue_raises_understaffed(shift):
    shift.open(1, 2, 5, 6)
    for _ in range(5):
        shift.issue("social")
    assert shift.active_alert("understaffed", "social") is None
    shift.do(cmd.PauseCounter(6, "meal"))
    assert shift.active_alert("understaffed", "social") is not None


def test_held_ticket_requeued_into_a_long_queue_raises_understaffed(shift):
    """A social ticket sent to counter 3 (property) by name is held there when counter 3 closes."""
    for _ in range(6):
        shift.issue("social")
    shift.open(1, 2, 3)  # counter 5 and 6 (social) stay closed
    shift.serve(2)
    shift.do(cmd.Transfer(2, to_counter=3))
    shift.serve(3)
    shift.do(cmd.Hold(3))
    shift.serve(1)
    assert shift.engine.state.waiting.count["social"] == 4
    assert shift.active_alert("understaffed", "social") is None
    shift.do(cmd.CloseCounter(3))  # the held social ticket is back: 5 wait
    assert shift.active_alert("understaffed", "social") is not None


# --- long service ---------------------------------------------------------------------------


def test_long_service_raises_an_alert_and_finishing_clears_it(shift):
    shift.issue("social")  # mean 6 minutes, factor 3: 18 minutes
    shift.open(2)
    shift.serve(2)
    shift.later(17 * MINUTE)
    assert shift.active_alert("long_service", "2") is None
    shift.later(MINUTE)
    alert = shift.active_alert("long_service", "2")
    assert alert is not None and "A001" in alert.message
    shift.finish(2)
    assert shift.active_alert("long_service", "2") is None


def test_long_service_alert_names_only_the_counter_serving_now(shift):
    """Sent on to counter 3 and started there the same second: counter 2 is not serving it any more."""
    shift.issue("social")
    shift.open(2, 3)
    shift.serve(2)
    shift.do(cmd.Transfer(2, to_counter=3))
    shift.serve(3)
    shift.later(18 * MINUTE)
    raised = [(e.kind, e.subject) for e in shift.events_of(ev.AlertRaised)]
    assert raised == [("long_service", "3")]


def test_held_time_does_not_count_as_long_service(shift):
    shift.issue("social")
    shift.open(2)
    shift.serve(2)
    shift.later(10 * MINUTE)
    shift.do(cmd.Hold(2))
    shift.later(60 * MINUTE)
    shift.do(cmd.ResumeHeld(2))
    shift.later(7 * MINUTE)
    assert shift.active_alert("long_service", "2") is None


# --- devices --------------------------------------------------------------------------------


def test_device_offline_raises_and_online_clears(shift):
    shift.do(cmd.ReportDevice("E3", online=False))
    assert shift.active_alert("device_offline", "E3") is not None
    shift.later(MINUTE)
    shift.do(cmd.ReportDevice("E3", online=True))
    assert shift.active_alert("device_offline", "E3") is None
    assert shift.engine.state.devices["E3"].since == shift.clock.now


@pytest.mark.parametrize("paper", ["low", "out"])
def test_printer_paper_raises_and_refill_clears(shift, paper):
    shift.do(cmd.ReportDevice("K1", paper=paper))
    alert = shift.active_alert("printer_paper", "K1")
    assert alert is not None and paper in alert.message
    shift.do(cmd.ReportDevice("K1", paper="ok"))
    assert shift.active_alert("printer_paper", "K1") is None


def test_paper_going_from_low_to_out_raises_a_new_alert(shift):
    shift.do(cmd.ReportDevice("K1", paper="low"))
    shift.do(cmd.ReportDevice("K1", paper="out"))
    assert "out" in shift.active_alert("printer_paper", "K1").message
    assert len(shift.events_of(ev.AlertCleared)) == 1


def test_a_repeated_device_report_changes_nothing(shift):
    shift.do(cmd.ReportDevice("K1", paper="low"))
    assert shift.do(cmd.ReportDevice("K1", paper="low")) == []


def test_report_from_an_unknown_device_is_refused(shift):
    shift.refuse(cmd.ReportDevice("K9"), "unknown_device")


def test_report_with_an_unknown_paper_state_is_refused(shift):
    shift.refuse(cmd.ReportDevice("K1", paper="wet"), "bad_paper")


# --- acknowledging --------------------------------------------------------------------------


def test_alert_is_acknowledged_once(shift):
    shift.do(cmd.ReportDevice("K1", online=False))
    alert = shift.active_alert("device_offline", "K1")
    assert shift.do(cmd.AcknowledgeAlert(alert.id, "manager")) == [
        ev.AlertAcknowledged(shift.clock.now, alert.id, "manager")
    ]
    assert alert.acked_by == "manager"
    assert shift.active_alert("device_offline", "K1") is alert  # acknowledged is not solved
    shift.refuse(cmd.AcknowledgeAlert(alert.id, "other"), "already_acknowledged")


def test_acknowledging_an_unknown_alert_or_anonymously_is_refused(shift):
    shift.refuse(cmd.AcknowledgeAlert(1, "manager"), "unknown_alert")
    shift.do(cmd.ReportDevice("K1", online=False))
    shift.refuse(cmd.AcknowledgeAlert(1, ""), "bad_user")


def test_negative_rating_alert_ends_when_a_person_acknowledges_it(shift):
    t = shift.issue("social")
    shift.open(2)
    shift.serve(2)
    shift.finish(2)
    shift.do(cmd.SubmitRating(t.id, 1, pressed_at=shift.clock.now))
    alert = shift.active_alert("negative_rating", t.id)
    shift.do(cmd.AcknowledgeAlert(alert.id, "manager"))
    assert shift.active_alert("negative_rating", t.id) is None


# --- the notice -----------------------------------------------------------------------------


def test_notice_is_set_in_both_languages(shift):
    shift.do(cmd.SetNotice("午休照常办理", "Open at lunch time"))
    assert shift.engine.state.notice == ("午休照常办理", "Open at lunch time")


def test_too_long_notice_is_refused(shift):
    shift.refuse(cmd.SetNotice("长" * 501, "ok"), "too_long")
    shift.refuse(cmd.SetNotice("好", "x" * 501), "too_long")
