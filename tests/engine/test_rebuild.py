"""The journal's JSON round trip, and an engine rebuilt from its events equal to the live one."""

from __future__ import annotations

from hypothesis import given

from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev

from .conftest import MINUTE, rebuilt
from .strategies import any_event, engine_settings


@engine_settings
@given(any_event)
def test_every_event_survives_the_json_round_trip(event):
    body = ev.encode(event)
    assert ev.decode(ev.event_name(event), body) == event
    assert "\n" not in body


def test_event_names_are_their_class_names():
    assert all(ev.event_name(kind.__new__(kind)) == name for name, kind in ev.EVENT_TYPES.items())


def busy_day(shift) -> None:
    """A morning in which every kind of event happens at least once."""
    start = shift.clock.now
    do = shift.do
    do(cmd.SetNotice("今日办理不动产请带原件", "Bring originals"))
    do(cmd.ReportDevice("K1", online=True, paper="low"))
    do(cmd.ReportDevice("E2", online=False))
    do(cmd.BookAppointment("XY12", "property", start + 30 * MINUTE, start + 60 * MINUTE, "desk"))
    do(cmd.BookAppointment("ZZ99", "social", start + 30 * MINUTE, start + 60 * MINUTE, "desk"))
    do(cmd.CancelAppointment("ZZ99", "desk"))
    do(cmd.LeaseOfflineBlock("K2", "social"))
    shift.open(1, 2, 3)
    for service in ("social", "social", "social", "property", "fund"):
        shift.issue(service, klass="priority" if service == "fund" else "normal")
        shift.later(MINUTE)
    asked = [shift.issue("social", klass="priority", kiosk="K3") for _ in range(2)]  # staff confirm at K3
    do(cmd.DecidePriority(asked[0].id, confirm=True, counter=1))
    do(cmd.DecidePriority(asked[1].id, confirm=False, by="supervisor1"))
    voided = shift.reserve("social")
    do(cmd.ReportPrintFailed(voided.id))
    shift.reserve("social")  # times out
    do(cmd.BackfillOffline("K2", "social", 999, start + 30))
    shift.later(3 * MINUTE)
    shift.call(2)
    do(cmd.Recall(2))
    do(cmd.MarkNoShow(2))
    shift.serve(2)
    do(cmd.Hold(2))
    shift.serve(2)
    shift.later(4 * MINUTE)
    shift.finish(2, "materials_incomplete")
    rated = shift.engine.state.desks[2].prompt
    do(cmd.SubmitRating(rated, 1, pressed_at=shift.clock.now))
    do(cmd.NoteFollowUp(rated, "回访:材料清单已重新告知 · called back, list of documents explained", "supervisor1"))
    do(cmd.CloseFollowUp(rated, "citizen satisfied with the explanation", "supervisor1"))
    do(cmd.SetIncident(True, "叫号系统维护中", "Calling system under maintenance", start + 2 * 3600, "manager"))
    do(cmd.SetIncident(False, by="manager"))
    do(cmd.ResumeHeld(2))
    do(cmd.Transfer(2, to_service="property"))
    shift.serve(3)
    do(cmd.Transfer(3, to_counter=1))
    shift.serve(1)
    shift.finish(1)
    do(cmd.Reinstate(shift.events_of(ev.TicketNoShow)[0].ticket))
    shift.serve(2)
    do(cmd.Hold(2))
    do(cmd.CloseCounter(2))
    do(cmd.PauseCounter(3, "meal"))
    do(cmd.ResumeCounter(3))
    shift.later(40 * MINUTE)  # rating timeouts, wait alerts
    shift.open(2)
    shift.display = None  # the speaker is off: nobody announces
    shift.call(2)
    shift.later(MINUTE)
    shift.display = "D1"
    alert = shift.events_of(ev.AlertRaised)[0].alert
    do(cmd.AcknowledgeAlert(alert, "manager"))
    checked_in = do(cmd.RequestTicket(appointment="XY12"))[0]
    do(cmd.ConfirmPrinted(checked_in.ticket))
    do(cmd.ReportDevice("E2", online=True))
    shift.issue("social")
    shift.serve(1)
    do(cmd.Transfer(1, to_counter=3))  # sent to counter 3 by name...
    do(cmd.CloseCounter(3))  # ...which closes: back to the queue


def test_a_busy_day_emits_every_kind_of_event(shift):
    busy_day(shift)
    seen = {ev.event_name(e) for e in shift.journal}
    assert seen == set(ev.EVENT_TYPES), set(ev.EVENT_TYPES) - seen


def test_engine_rebuilt_from_the_journal_equals_the_live_one(hall, shift):
    busy_day(shift)
    again = rebuilt(hall, shift.journal)
    assert again.state.snapshot() == shift.engine.state.snapshot()
    assert again.now == shift.engine.state.clock


def test_engine_rebuilt_after_a_restart_carries_on_like_the_live_one(hall, shift):
    """Restart mid-morning: the rebuilt engine answers every later tick and command the same way."""
    busy_day(shift)
    restarted = rebuilt(hall, shift.journal)
    now = shift.clock.now
    for step in [1, 30, 20 * MINUTE, 2 * 3600, 16 * 3600, 60]:
        now += step
        ticked = shift.engine.tick(now)
        assert restarted.tick(now) == ticked
        shift.journal.extend(ticked)
        for command in [
            cmd.RequestTicket("social"),
            cmd.CallNext(1),
            cmd.StartService(1),
            cmd.Finish(1),
            cmd.CallNext(2),
            cmd.MarkNoShow(2),
        ]:
            outcome = []
            for engine in (shift.engine, restarted):
                try:
                    outcome.append(engine.handle(command, now))
                except Exception as refusal:  # noqa: BLE001  (compared, not swallowed)
                    outcome.append(repr(refusal))
            assert outcome[0] == outcome[1], command
            if isinstance(outcome[0], list):
                shift.journal.extend(outcome[0])
        assert restarted.state.snapshot() == shift.engine.state.snapshot()


def test_engine_rebuilt_after_a_restart_orders_a_ticks_events_like_the_live_one(hall, shift):
    """The rebuilt engine also holds timers the live one has used up (here the social wait timer of
    a ticket since sent to property); its tick must still give the same events in the same order."""
    start = shift.clock.now
    moved = shift.issue("social")  # social target 20 min, property 30 min
    shift.issue("property")
    shift.open(2, 3)
    shift.later(MINUTE)
    shift.serve(2)
    shift.serve(3)
    shift.later(20 * MINUTE)  # the social timer of `moved` comes and goes
    shift.clock.advance(MINUTE)  # 22:00, no tick until 31:00
    shift.finish(3)  # a prompt timing out at 22:30
    shift.do(cmd.Transfer(2, to_service="property"))  # property timer: 30 minutes after arrival
    restarted = rebuilt(hall, shift.journal)
    now = start + 31 * MINUTE
    live = shift.engine.tick(now)
    shift.journal.extend(live)
    assert [type(e) for e in live] == [ev.RatingClosed, ev.AlertRaised]
    assert restarted.tick(now) == live
    assert shift.active_alert("wait_over_target", "property").message.startswith("Property")
    assert moved.service == "property"
