"""What the controller refuses: messages a device's role may not send, devices the hall does not
have, and every kind of bad input. Each gets one error reply where there is a device to reply to
(and none where there is not), the hall's state does not change, and the loop keeps serving.

The messages are put on the wire of an in-memory hall (tests/controller/pair.py) as raw bytes on
any topic, speaking as any device, because these are things a correct device link would never
send. Replies are collected from every device's down topic. Whether a message got no reply is
checked by order: each device's last message is one that is always answered, and the controller
answers one device's messages in the order they came.
"""

from __future__ import annotations

import json
from collections import defaultdict

from protocol.envelope import MAX_BYTES, Message, decode, encode, format_ts, make_message
from protocol.messages import CATALOGUE, may_send

from .conftest import HALL

ROLES = {"K1": "kiosk", "C1": "caller", "E1": "evaluator", "D1": "display"}


class Wire:
    """Speaks as any device (of this hall or another) and records every reply sent to one."""

    def __init__(self, hall):
        self.hall = hall
        self.replies: dict[tuple[str, str], list[Message]] = defaultdict(list)  # (hall, device) -> replies
        self.refused: dict[tuple[str, str], list[Message]] = defaultdict(list)  # message.refused: no id to quote
        self._read = 0

    def send(
        self,
        device: str,
        payload: bytes | Message | dict,
        *,
        hall: str = HALL,
        kind: str = "up",
        topic: str | None = None,
    ) -> None:
        if isinstance(payload, dict):
            payload = json.dumps(payload).encode()
        elif isinstance(payload, Message):
            payload = encode(payload)
        self.hall.deliver([(topic or f"hall/{hall}/dev/{device}/{kind}", payload)])
        self._hear()

    def replies_up_to(self, device: str, marker: Message, hall: str = HALL) -> list[Message]:
        """The replies `device` got before the one to `marker` (which is left out)."""
        got = self.replies[(hall, device)]
        assert any(r.re == marker.id for r in got), f"{device} got no reply to {marker.type} {marker.id}"
        return got[: [r.re for r in got].index(marker.id)]

    def _hear(self) -> None:
        fresh, self._read = self.hall.published[self._read :], len(self.hall.published)
        for out in fresh:
            parts = out.topic.split("/")
            if len(parts) != 5 or parts[4] != "down":
                continue
            _, hall, _, device, _ = parts
            message = decode(out.payload)
            if message.type == "message.refused":
                self.refused[(hall, device)].append(message)
            elif message.re is not None:  # not a counter view or a rating prompt
                self.replies[(hall, device)].append(message)


def settled(hall) -> dict:
    """The engine's state once its first tick has started every service's day."""
    assert len(hall.engine.state.days) == len(hall.hall.services), "the controller's first tick"
    return hall.engine.state.snapshot()


def refusal(reply: Message) -> tuple[str, str, str]:
    assert reply.ok is False
    return reply.type, reply.error.code, reply.error.message


def test_each_role_may_send_only_its_own_requests(paired_hall):
    ctl = paired_hall()
    wire = Wire(ctl)
    before = settled(ctl)

    answered: dict[str, list[str]] = {device: [] for device in ROLES}
    for device, role in ROLES.items():
        for name, spec in CATALOGUE.items():
            if may_send(role, name) and spec.topic == "up":
                continue  # its own requests; device.state is sent too, since it belongs on `state`
            message = make_message(name, spec.example)
            wire.send(device, message)
            if spec.replied:
                answered[device].append(message.id)
    wire.send("K99", make_message("ticket.request", {"service": "social"}))
    wire.send("K99", make_message("device.state", {"online": True}), kind="state")
    markers = {device: make_message("counter.status" if device != "C1" else "ticket.request", {}) for device in ROLES}
    for device, marker in markers.items():
        wire.send(device, marker)

    for device, role in ROLES.items():
        replies = wire.replies_up_to(device, markers[device])
        assert [r.re for r in replies] == answered[device], f"{device} got a reply it should not, or lacks one"
        for reply in replies:
            request_type, code, text = refusal(reply)
            assert code == "not_allowed" and role in text and request_type in text
    (unknown,) = wire.replies[(HALL, "K99")]
    assert refusal(unknown)[:2] == ("ticket.request", "unknown_device")
    assert "K99" in unknown.error.message
    assert ctl.engine.state.snapshot() == before, "a refused message changed the hall"
    assert "K99" not in ctl.engine.state.devices

    # The loop goes on: the clerk at counter 1 can still sign in.
    caller = make_message("counter.open", {"clerk": "S001"})
    wire.send("C1", caller)
    assert next(r for r in wire.replies[(HALL, "C1")] if r.re == caller.id).ok


NOW = format_ts()


def envelope(type: str, id: str, **fields) -> dict:
    return {"v": 1, "type": type, "id": id, "ts": NOW, **fields}


#: (device, payload, what the error reply says: (code, words in its message), or None: no reply
#: quoting an id; UNREADABLE: no id to quote, so `message.refused` with that code)
MALFORMED = ("message.refused", "malformed")
BAD_INPUT = [
    ("K1", b"{not json", MALFORMED),
    ("K1", b"[1, 2, 3]", MALFORMED),
    ("K1", b'"ticket.request"', MALFORMED),
    ("K1", b"\xff\xfe\x00", MALFORMED),
    ("K1", b"", MALFORMED),
    ("K1", {"v": 1, "type": "ticket.request", "ts": NOW, "service": "social"}, ("message.refused", "bad_field")),
    ("K1", envelope("ticket.request", "v2", v=2, service="social"), ("unsupported_version", "'v'")),
    ("K1", envelope("ticket.request", "v-text", v="1", service="social"), ("bad_field", "'v'")),
    ("K1", envelope("ticket.steal", "unknown-type", service="social"), ("unknown_type", "ticket.steal")),
    (
        "K1",
        envelope("TICKET", "bad-type-name", service="social"),
        ("message.refused", "bad_field"),
    ),  # no reply can carry that type
    ("K1", envelope("ticket.request", "no-ts", ts="yesterday", service="social"), ("bad_field", "'ts'")),
    ("K1", envelope("ticket.request", "int-service", service=5), ("bad_field", "'service'")),
    ("K1", envelope("ticket.request", "typo", servcie="social"), ("bad_field", "'servcie'")),
    # a class name the wire cannot carry; one the hall file does not name ("vip") the engine refuses (bad_class)
    ("K1", envelope("ticket.request", "class", service="social", **{"class": "v" * 33}), ("bad_field", "'class'")),
    ("K1", envelope("ticket.printed", "missing"), ("bad_field", "'ticket'")),
    (
        "K1",
        envelope("offline.backfill", "nested", tickets=[{"service": "social", "number": -1, "issued_at": NOW}]),
        ("bad_field", "'tickets[0].number'"),
    ),
    ("K1", envelope("offline.backfill", "empty-list", tickets=[]), ("bad_field", "'tickets'")),
    ("C1", envelope("counter.pause", "nap", reason="nap"), ("bad_field", "'reason'")),
    ("C1", envelope("counter.transfer", "float-counter", counter=7.5), ("bad_field", "'counter'")),
    ("E1", envelope("rating.submit", "level-5", prompt="x", level=5, pressed_at=NOW), ("bad_field", "'level'")),
    ("E1", envelope("rating.submit", "bool-level", prompt="x", level=True, pressed_at=NOW), ("bad_field", "'level'")),
    ("D1", envelope("calls.ack", "seq-0", seq=0), None),  # calls.ack is never answered, even refused
    ("K1", envelope("ticket.request", "a-reply", re="abc123", ok=True, service="social"), None),
    (
        "K1",
        json.dumps(envelope("ticket.request", "too-large", service="social", note="x" * MAX_BYTES)).encode(),
        ("too_large", "16384-byte limit"),
    ),
    ("K1", b"[" + b"1," * MAX_BYTES + b"1]", ("message.refused", "too_large")),
]


def message_id(payload: bytes | dict) -> str:
    return (json.loads(payload) if isinstance(payload, bytes) else payload)["id"]


def test_bad_input_is_refused_and_changes_nothing(paired_hall):
    ctl = paired_hall()
    wire = Wire(ctl)
    before = settled(ctl)
    devices_before = dict(ctl.engine.state.devices)

    for device, payload, _ in BAD_INPUT:
        wire.send(device, payload)
    # topics that are not this hall's, or not a device's, and states that are not device.state
    request = make_message("ticket.request", {"service": "social"})
    wire.send("K1", request, hall="otherhall")
    wire.send("K1", request, topic="hall/xinhua/dev/K 1/up")
    wire.send("K1", request, topic="hall/xinhua/dev/-K1/up")
    wire.send("K1", b"{broken", kind="state")
    wire.send("K1", make_message("device.state", {"online": True, "paper": "wet"}), kind="state")
    wire.send("K1", make_message("ticket.request", {"service": "social"}), kind="state")
    wire.send("Z9", make_message("device.state", {"online": True}), kind="state")
    markers = {
        device: make_message("counter.status" if device != "C1" else "ticket.request")
        for device in ("K1", "C1", "E1", "D1")
    }
    for device, marker in markers.items():
        wire.send(device, marker)

    for device, marker in markers.items():
        expected = [
            (message_id(p), why)
            for d, p, why in BAD_INPUT
            if d == device and why is not None and why[0] != "message.refused"
        ]
        replies = wire.replies_up_to(device, marker)
        unreadable = [
            why[1] for d, _, why in BAD_INPUT if d == device and why is not None and why[0] == "message.refused"
        ]
        assert [m.body["code"] for m in wire.refused[(HALL, device)]] == unreadable
        assert [r.re for r in replies] == [id for id, _ in expected], f"replies to {device}"
        for reply, (_, (code, words)) in zip(replies, expected):
            assert reply.ok is False and reply.error.code == code, reply
            assert words in reply.error.message, reply.error.message
    assert wire.replies[("otherhall", "K1")] == []
    assert ctl.engine.state.snapshot() == before, "bad input changed the hall"
    assert ctl.engine.state.devices == devices_before

    # The loop goes on: the very next ticket is the hall's first, A001.
    wire.send("K1", request)
    reply = next(r for r in wire.replies[(HALL, "K1")] if r.re == request.id)
    assert reply.ok and reply.body["ticket"]["label"] == "A001"
