"""Unparseable and oversize payloads on a device's `up` topic, through the provisioned broker to a
real controller process: each gets the reply docs/protocol.md promises (`message.refused` with
`malformed` or `too_large` where there is no id to quote, an error reply quoting the id where
there is), nothing changes, and the hall goes on."""

from __future__ import annotations

import json

from protocol import envelope
from protocol.envelope import MAX_BYTES

from .conftest import controller_args

HALL = "xinhua"


def test_unreadable_and_oversize_messages_get_their_documented_reply(
    secured_broker, hall_controller, mqtt_peer, tmp_path
):
    controller = hall_controller(*controller_args(secured_broker, tmp_path / "journal.db"))
    kiosk = mqtt_peer(secured_broker.url("K1"), "kiosk")
    kiosk.subscribe(f"hall/{HALL}/dev/K1/down", f"hall/{HALL}/controller/state")
    kiosk.expect(topic=f"hall/{HALL}/controller/state", where=lambda m: b'"online":true' in m.payload)
    up, down = f"hall/{HALL}/dev/K1/up", f"hall/{HALL}/dev/K1/down"

    def answer() -> envelope.Message:
        return envelope.decode(kiosk.expect(topic=down).payload)

    for payload, code in [
        (b"{not json", "malformed"),
        (b"\xff\xfe\x00", "malformed"),
        (b"[1, 2]", "malformed"),
        (b"x" * (MAX_BYTES + 100), "too_large"),
    ]:
        kiosk.publish(up, payload)
        refused = answer()
        assert refused.type == "message.refused" and refused.re is None
        assert refused.body["code"] == code and refused.body["size"] == len(payload) and refused.body["reason"]

    big = {
        "v": 1,
        "type": "ticket.request",
        "id": "big-one",
        "ts": envelope.format_ts(),
        "service": "social",
        "note": "x" * MAX_BYTES,
    }
    kiosk.publish(up, json.dumps(big).encode())
    reply = answer()
    assert (reply.re, reply.ok, reply.error.code) == ("big-one", False, "too_large")

    request = envelope.make_message("ticket.request", {"service": "social"})
    kiosk.publish(up, request)
    reply = answer()
    assert reply.re == request.id and reply.ok and reply.body["ticket"]["label"] == "A001", "nothing changed"
    assert controller.stop() == 0
