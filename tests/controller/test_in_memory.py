"""The session with devices wired in memory (tests/controller/pair.py): the retained board after a
reconnect, the timers on the injected clock, and a real kiosk program issuing through the session
(a citizen's whole path through all the real programs is in test_hall_in_memory).
The same paths over a real broker are in test_broker_restart and test_crash."""

from __future__ import annotations

from hall_controller.engine import TicketState
from hall_controller.engine import commands as c
from protocol import envelope, topics
from protocol.envelope import decode
from protocol.topics import Kind

from .conftest import HALL


def test_the_board_is_given_again_after_a_reconnect_if_the_broker_lost_it(paired_hall):
    hall = paired_hall()
    board = topics.board(HALL)
    first = hall.retained[board]
    assert decode(first).type == "board.snapshot"
    hall.reconnect()  # nothing changed and the broker kept it: the same board, sent again all the same
    assert hall.published[-1].topic in (board, topics.controller_state(HALL))
    assert sum(p.topic == board for p in hall.published) == 2

    hall.reconnect(lose_retained=True)  # a broker restarted without its retained messages
    assert decode(hall.retained[board]).body == decode(first).body
    screen = hall.device("D1", listen=("board",))
    assert [i.message.type for i in screen.seen.items if i.kind is Kind.BOARD] == ["board.snapshot"]


def test_a_board_that_did_not_change_is_not_sent_again_without_a_reconnect(paired_hall):
    hall = paired_hall()
    sent = len(hall.on(topics.board(HALL)))
    hall.advance(30)  # timers run; the board is the same
    assert len(hall.on(topics.board(HALL))) == sent


def test_a_reserved_ticket_is_voided_when_its_kiosk_never_prints_it(paired_hall):
    hall = paired_hall()
    kiosk = hall.device("K1")
    ticket = kiosk.request("ticket.request", {"service": "social"}).body["ticket"]["id"]
    assert hall.engine.state.tickets[ticket].state is TicketState.RESERVED
    hall.advance(hall.hall.dispatch.reservation_timeout_s + 1)
    assert hall.engine.state.tickets[ticket].state is TicketState.VOIDED


def test_a_real_kiosk_program_prints_a_ticket_the_session_issued(paired_hall, tmp_path):
    hall = paired_hall()
    kiosk = hall.kiosk("K1", tmp_path)  # the retained board and controller state taken
    kiosk.press("A")
    (issued,) = kiosk.program.printed
    assert (issued.label, issued.offline) == ("A001", False)
    assert hall.engine.state.tickets[issued.ticket_id].state is TicketState.WAITING, "ticket.printed arrived"
    assert kiosk.link.unanswered == 0
    assert kiosk.numbers.left("social", hall.now()) > 0, "the kiosk leased offline numbers while idle"


def test_a_staff_command_is_journalled_with_the_batch_and_reaches_the_board(paired_hall):
    hall = paired_hall()
    screen = hall.device("D1", listen=("board",))
    result = hall.submit(c.SetNotice("今日下午系统升级", "System upgrade this afternoon", by="wang"))
    assert result.refused is None and result.events
    board = screen.seen.expect("board.snapshot", where=lambda b: b.body["notice"]["en"].startswith("System"))
    assert board.body["notice"] == {"zh": "今日下午系统升级", "en": "System upgrade this afternoon"}
    hall.restart()
    assert hall.engine.state.notice == ("今日下午系统升级", "System upgrade this afternoon")


def test_the_session_stamps_what_it_publishes_with_the_time_it_is_given(paired_hall):
    """Sans-I/O to the time stamps: replies, calls and the board carry the `now` the session was
    handed, not this process's clock (here pointed at 1970 to tell them apart)."""
    hall = paired_hall()
    kiosk = hall.device("K1")
    envelope.use_clock(lambda: 0.0)
    try:
        hall.advance(1)
        reply = kiosk.request("ticket.request", {"service": "social"})
        hall.submit(c.OpenCounter(3, "S003"))
        hall.advance(1)
    finally:
        envelope.use_clock(hall.clock)
    assert reply.ts.startswith(envelope.format_epoch(hall.now())[:4]) and not reply.ts.startswith("1970")
    stamped = [decode(p.payload).ts for p in hall.published[-5:]]
    assert stamped and not any(ts.startswith("1970") for ts in stamped)
