"""A citizen's whole path through the real device programs and a real session, with no broker
(tests/controller/pair.py): the kiosk prints, the clerk's keypad calls, the calling screen shows
and says the call, the clerk serves, the evaluator asks and the rating is journalled once. And
the rule that depends on who has done what yet: no no-show before the hall has heard the call.
The same paths over a real broker, device by device, are in tests/keypads and tests/display_device."""

from __future__ import annotations

from devices.evaluator.machine import Phase
from hall_controller.engine import TicketState
from protocol import topics

from .conftest import HALL


def open_hall(paired_hall, tmp_path):
    """The example hall with K1, C3 (signed in as S005), E3 and the hall screen D1 running."""
    hall = paired_hall()
    rigs = hall.kiosk("K1", tmp_path), hall.caller("C3"), hall.evaluator("E3"), hall.display("D1", tmp_path)
    hall.settle()
    rigs[1].press("open", "S", "0", "0", "5", "enter")
    assert hall.engine.state.desks[3].clerk == "S005"
    return (hall, *rigs)


def refusals(hall, device: str) -> list[str]:
    """The codes of the refusals the controller sent `device`, in order."""
    return [m.error.code for m in hall.on(topics.device_down(HALL, device)) if not m.ok and m.error]


def test_a_citizen_from_the_kiosk_to_the_rating_through_the_real_programs(paired_hall, tmp_path):
    hall, kiosk, c3, e3, d1 = open_hall(paired_hall, tmp_path)

    kiosk.press("A")
    (printed,) = kiosk.program.printed
    ticket = hall.engine.state.tickets[printed.ticket_id]
    assert (printed.label, printed.offline, ticket.state) == ("A001", False, TicketState.WAITING)
    assert kiosk.link.unanswered == 0, "ticket.printed was answered"

    screen = c3.press("call")
    assert screen[2] == "A001 · 已呼叫 called"
    assert ticket.state is TicketState.CALLED and ticket.heard_at is None
    assert d1.shown.current is None, "the calling screen has not got round to it yet"

    hall.settle()  # the screen takes the call, shows it, says it, and reports it spoken
    assert (d1.shown.current.label, d1.shown.current.counter) == ("A001", 3)
    assert d1.speaker.labels == ["A001"]
    assert ticket.heard_at is not None, "the controller took the screen's report"
    reports = [(r.ticket, r.device, r.outcome) for r in hall.journalled("CallAnnounced")]
    assert reports == [(printed.ticket_id, "D1", "shown"), (printed.ticket_id, "D1", "spoken")]

    assert c3.press("start")[2] == "A001 · 办理中 serving"
    assert "办结结果 Outcome (确认 = 1):" in c3.press("finish")
    c3.press("enter")
    assert ticket.state is TicketState.DONE
    assert e3.program.machine.phase is Phase.IDLE, "the evaluator has not taken its prompt yet"

    hall.settle()
    assert e3.program.machine.phase is Phase.ASKING and e3.program.machine.prompt.ticket == printed.label
    assert len(e3.player.played) == 1, "the evaluator asked aloud for a rating"
    e3.press(4)  # very satisfied
    e3.press(2)  # changed their mind: the rating is given already
    hall.settle()
    (rating,) = hall.journalled("RatingRecorded")
    assert (rating.ticket, rating.counter, rating.clerk, rating.level) == (printed.ticket_id, 3, "S005", 4)
    assert e3.link.unanswered == 0, "rating.submit was answered"
    assert e3.program.machine.lights.on == (4,)


def test_a_no_show_waits_for_the_screen_to_say_the_call_then_for_no_show_wait_s(paired_hall, tmp_path):
    hall, kiosk, c3, _, d1 = open_hall(paired_hall, tmp_path)
    kiosk.press("A")
    (printed,) = kiosk.program.printed
    ticket = hall.engine.state.tickets[printed.ticket_id]
    c3.press("call")

    c3.press("no_show")  # the screen has not said the call: nobody could have answered it
    assert refusals(hall, "C3") == ["not_announced_yet"]
    assert ticket.state is TicketState.CALLED and c3.screen[2] == f"{printed.label} · 已呼叫 called"

    hall.settle()
    assert d1.speaker.labels == [printed.label] and ticket.heard_at is not None
    c3.press("no_show")  # heard just now: the citizen gets no_show_wait_s to come
    assert refusals(hall, "C3") == ["not_announced_yet", "too_soon"]
    assert ticket.state is TicketState.CALLED

    hall.advance(hall.hall.dispatch.no_show_wait_s)
    screen = c3.press("no_show")
    assert ticket.state is TicketState.NO_SHOW and f"{printed.label} 已过号 · {printed.label} marked no-show" in screen
    assert refusals(hall, "C3") == ["not_announced_yet", "too_soon"]
    assert [e.ticket for e in hall.journalled("TicketNoShow")] == [printed.ticket_id]
