"""A message that arrives twice counts once: the same ticket, the same call, the same reply (byte for
byte: a reply made again would carry a new id), before and after the controller restarts.

The devices here put raw messages on a device's topics of an in-memory hall (tests/controller/
pair.py), because re-sending one message with its id unchanged is exactly what a device link does
after a lost reply; copies sent together arrive in one batch, copies sent later in batches of their own."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from hall_controller.engine import events as ev
from protocol import topics
from protocol.envelope import decode, encode, format_epoch, make_message

from .conftest import HALL


class Device:
    """Speaks on one device's up topic and hears its down topic."""

    def __init__(self, hall, device: str):
        self.hall, self.up, self.down = hall, topics.device_up(HALL, device), topics.device_down(HALL, device)

    def send(self, message, times: int = 1) -> list[bytes]:
        """Send `times` copies in one batch; the replies quoting it that came back."""
        start = len(self.hall.published)
        self.hall.deliver([(self.up, encode(message))] * times)
        return [
            p.payload
            for p in self.hall.published[start:]
            if p.topic == self.down and decode(p.payload).re == message.id
        ]

    def heard(self, type: str) -> list:
        return [m for m in self.hall.on(self.down) if m.type == type]


def journalled(hall, kind) -> list:
    """The events of one kind in the controller's journal, read on a connection of our own."""
    with closing(sqlite3.connect(hall.db)) as db:
        rows = db.execute("SELECT type, body FROM events WHERE type = ? ORDER BY seq", (kind.__name__,)).fetchall()
    return [ev.decode(name, body) for name, body in rows]


def test_a_ticket_request_sent_twice_gives_one_ticket_and_the_same_reply(paired_hall):
    hall = paired_hall()
    kiosk = Device(hall, "K1")
    request = make_message("ticket.request", {"service": "property"})

    first, again = kiosk.send(request, times=2)  # back to back, in one batch
    assert first == again
    reply = decode(first)
    assert reply.ok and reply.body["ticket"]["label"] == "B001"
    assert kiosk.send(request) == [first]  # later: answered from memory
    assert [t.label for t in hall.engine.state.tickets.values() if t.service == "property"] == ["B001"]

    hall.restart()  # the reply now comes from the journal
    assert kiosk.send(request) == [first]
    assert kiosk.send(request, times=2) == [first, first]
    assert [t.label for t in hall.engine.state.tickets.values() if t.service == "property"] == ["B001"]
    assert len(journalled(hall, ev.TicketReserved)) == 1

    following = decode(kiosk.send(make_message("ticket.request", {"service": "property"}))[0])
    assert following.body["ticket"]["label"] == "B002"


def test_a_call_next_sent_twice_calls_one_citizen(paired_hall):
    hall = paired_hall()
    kiosk, caller = Device(hall, "K1"), Device(hall, "C4")
    for _ in range(2):
        ticket = decode(kiosk.send(make_message("ticket.request", {"service": "property"}))[0]).body["ticket"]
        assert decode(kiosk.send(make_message("ticket.printed", {"ticket": ticket["id"]}))[0]).ok
    assert decode(caller.send(make_message("counter.open", {"clerk": "S004"}))[0]).ok

    call_next = make_message("counter.call_next")
    replies = caller.send(call_next, times=3)
    assert replies == [replies[0]] * 3
    assert decode(replies[0]).body["view"]["ticket"]["label"] == "B001"
    hall.restart()
    assert caller.send(call_next) == [replies[0]]
    assert hall.engine.state.call_seq == 1
    assert hall.engine.state.waiting.count["property"] == 1  # B002 still waits
    assert [e.label for e in journalled(hall, ev.TicketCalled)] == ["B001"]


def test_a_rating_resent_by_the_evaluator_counts_once(paired_hall):
    hall = paired_hall()
    kiosk, caller, evaluator = Device(hall, "K1"), Device(hall, "C5"), Device(hall, "E5")
    ticket = decode(kiosk.send(make_message("ticket.request", {"service": "property"}))[0]).body["ticket"]["id"]
    kiosk.send(make_message("ticket.printed", {"ticket": ticket}))
    for step, body in (
        ("counter.open", {"clerk": "S005"}),
        ("counter.call_next", {}),
        ("counter.start", {}),
        ("counter.finish", {"outcome": "completed"}),
    ):
        assert decode(caller.send(make_message(step, body))[0]).ok
    (prompt,) = evaluator.heard("rating.prompt")
    prompt_id = prompt.body["prompt"]
    assert prompt_id == ticket

    rating = make_message("rating.submit", {"prompt": prompt_id, "level": 4, "pressed_at": format_epoch(hall.now())})
    replies = evaluator.send(rating, times=2)
    hall.restart()
    replies += evaluator.send(rating)
    assert replies == [replies[0]] * 3 and decode(replies[0]).ok
    assert len(journalled(hall, ev.RatingRecorded)) == 1
    assert hall.engine.state.prompts[ticket].level == 4
