"""A message that arrives twice counts once: the same ticket, the same call, the same reply (byte for
byte: a reply made again would carry a new id), before and after the controller restarts.

The devices here are plain MQTT peers publishing on a device's topics, because re-sending one
message with its id unchanged is exactly what a device link does after a lost reply."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from hall import clock as hall_clock
from hall_controller.engine import events as ev
from protocol import topics
from protocol.envelope import decode, format_epoch, make_message

from .conftest import HALL


class Device:
    """A peer speaking on one device's up topic and hearing its down topic."""

    def __init__(self, peer, device: str):
        self.peer, self.up, self.down = peer, topics.device_up(HALL, device), topics.device_down(HALL, device)
        peer.subscribe(self.down)

    def send(self, message, times: int = 1) -> list[bytes]:
        for _ in range(times):
            self.peer.publish(self.up, message)
        return [
            self.peer.expect(topic=self.down, where=lambda m: decode(m.payload).re == message.id).payload
            for _ in range(times)
        ]


def journalled(ctl, kind) -> list:
    """The events of one kind in the controller's journal, read on a connection of our own."""
    with closing(sqlite3.connect(ctl.db)) as db:
        rows = db.execute("SELECT type, body FROM events WHERE type = ? ORDER BY seq", (kind.__name__,)).fetchall()
    return [ev.decode(name, body) for name, body in rows]


def test_a_ticket_request_sent_twice_gives_one_ticket_and_the_same_reply(broker_url, controller, mqtt_peer):
    ctl = controller(broker_url)
    kiosk = Device(mqtt_peer(broker_url, "K1"), "K1")
    request = make_message("ticket.request", {"service": "property"})

    first, again = kiosk.send(request, times=2)  # back to back: most likely in one batch
    assert first == again
    reply = decode(first)
    assert reply.ok and reply.body["ticket"]["label"] == "B001"
    assert kiosk.send(request) == [first]  # later: answered from memory
    assert [t.label for t in ctl.engine.state.tickets.values() if t.service == "property"] == ["B001"]

    ctl.restart()  # the reply now comes from the journal
    assert kiosk.send(request) == [first]
    assert kiosk.send(request, times=2) == [first, first]
    assert [t.label for t in ctl.engine.state.tickets.values() if t.service == "property"] == ["B001"]
    assert len(journalled(ctl, ev.TicketReserved)) == 1

    following = decode(kiosk.send(make_message("ticket.request", {"service": "property"}))[0])
    assert following.body["ticket"]["label"] == "B002"


def test_a_call_next_sent_twice_calls_one_citizen(broker_url, controller, mqtt_peer):
    ctl = controller(broker_url)
    peer = mqtt_peer(broker_url, "devices")
    kiosk, caller = Device(peer, "K1"), Device(peer, "C4")
    for _ in range(2):
        ticket = decode(kiosk.send(make_message("ticket.request", {"service": "property"}))[0]).body["ticket"]
        assert decode(kiosk.send(make_message("ticket.printed", {"ticket": ticket["id"]}))[0]).ok
    assert decode(caller.send(make_message("counter.open", {"clerk": "S004"}))[0]).ok

    call_next = make_message("counter.call_next")
    replies = caller.send(call_next, times=3)
    assert replies == [replies[0]] * 3
    assert decode(replies[0]).body["view"]["ticket"]["label"] == "B001"
    ctl.restart()
    assert caller.send(call_next) == [replies[0]]
    assert ctl.engine.state.call_seq == 1
    assert ctl.engine.state.waiting.count["property"] == 1  # B002 still waits
    assert [e.label for e in journalled(ctl, ev.TicketCalled)] == ["B001"]


def test_a_rating_resent_by_the_evaluator_counts_once(broker_url, controller, mqtt_peer):
    ctl = controller(broker_url)
    peer = mqtt_peer(broker_url, "devices")
    kiosk, caller, evaluator = Device(peer, "K1"), Device(peer, "C5"), Device(peer, "E5")
    ticket = decode(kiosk.send(make_message("ticket.request", {"service": "property"}))[0]).body["ticket"]["id"]
    kiosk.send(make_message("ticket.printed", {"ticket": ticket}))
    for step, body in (
        ("counter.open", {"clerk": "S005"}),
        ("counter.call_next", {}),
        ("counter.start", {}),
        ("counter.finish", {"outcome": "completed"}),
    ):
        assert decode(caller.send(make_message(step, body))[0]).ok
    prompt = peer.expect(topic=evaluator.down, where=lambda m: decode(m.payload).type == "rating.prompt")
    prompt_id = decode(prompt.payload).body["prompt"]
    assert prompt_id == ticket

    rating = make_message(
        "rating.submit", {"prompt": prompt_id, "level": 4, "pressed_at": format_epoch(hall_clock.now())}
    )
    replies = evaluator.send(rating, times=2)
    ctl.restart()
    replies += evaluator.send(rating)
    assert replies == [replies[0]] * 3 and decode(replies[0]).ok
    assert len(journalled(ctl, ev.RatingRecorded)) == 1
    assert ctl.engine.state.prompts[ticket].level == 4
