"""The hall's own Mosquitto, run with the configuration `hall provision` writes, and a real
controller on it: no identity takes over another's session, nothing far over 16 KiB is carried,
nothing listens beyond the address the hall file names, retained messages outlive a restart,
and no password reaches a log or a command line."""

from __future__ import annotations

import json
import socket
import threading

from hall.mqtt import make_client, parse_broker_url
from protocol import envelope

from .conftest import controller_args, password_in, wait_until

HALL = "xinhua"


def online(peer) -> bool:
    message = peer.expect(topic=f"hall/{HALL}/controller/state")
    return json.loads(message.payload)["online"]


def ticket_request(peer, kiosk: str = "K1") -> envelope.Message:
    request = envelope.make_message("ticket.request", {"service": "social"})
    peer.publish(f"hall/{HALL}/dev/{kiosk}/up", request)
    return request


def reply_to(peer, request: envelope.Message, kiosk: str = "K1") -> envelope.Message:
    message = peer.expect(
        topic=f"hall/{HALL}/dev/{kiosk}/down", where=lambda m: envelope.decode(m.payload).re == request.id
    )
    return envelope.decode(message.payload)


def test_a_device_cannot_take_over_the_controllers_session(secured_broker, hall_controller, mqtt_peer, tmp_path):
    controller = hall_controller(*controller_args(secured_broker, tmp_path / "journal.db"))
    controller.line_starting("HALL_MQTT_URL=")
    kiosk = mqtt_peer(secured_broker.url("K1"), "kiosk")
    kiosk.subscribe(f"hall/{HALL}/dev/K1/down", f"hall/{HALL}/controller/state")
    wait_until(lambda: "connected to the broker" in controller.text(), "the controller to connect")
    assert online(kiosk)

    # an evaluator's credentials, connecting again and again with the controller's client id
    evaluator = parse_broker_url(secured_broker.url("E1"))
    for _ in range(20):
        thief = make_client(evaluator, f"hall-controller-{HALL}")
        connected = threading.Event()
        thief.on_connect = lambda *a: connected.set()
        thief.connect(evaluator.host, evaluator.port)
        thief.loop_start()
        assert connected.wait(5)
        thief.disconnect()
        thief.loop_stop()

    answered = 0
    for _ in range(19):
        request = ticket_request(kiosk)
        answered += reply_to(kiosk, request).ok
    assert answered == 19
    assert "lost the broker" not in controller.text()
    assert kiosk.received.empty() or all(
        json.loads(m.payload).get("online", True)
        for m in list(kiosk.received.queue)
        if m.topic.endswith("controller/state")
    )
    assert controller.stop() == 0


def test_the_controller_prints_and_logs_no_password(secured_broker, hall_controller, tmp_path):
    controller = hall_controller(*controller_args(secured_broker, tmp_path / "journal.db", "--log-level", "DEBUG"))
    url = controller.line_starting("HALL_MQTT_URL=")
    assert url == f"mqtt://controller:***@127.0.0.1:{secured_broker.port}"
    wait_until(lambda: "connected to the broker" in controller.text(), "the controller to connect")
    with open(f"/proc/{controller.process.pid}/cmdline", "rb") as f:
        command_line = f.read().decode()
    assert password_in(command_line, secured_broker.passwords) == []
    assert controller.stop() == 0
    assert password_in(controller.text(), secured_broker.passwords) == []


def test_a_50_mb_payload_is_not_carried_and_a_slightly_oversize_one_is_refused(
    secured_broker, hall_controller, mqtt_peer, tmp_path
):
    controller = hall_controller(*controller_args(secured_broker, tmp_path / "journal.db"))
    controller.line_starting("HALL_MQTT_URL=")
    kiosk = mqtt_peer(secured_broker.url("K1"), "kiosk")
    kiosk.subscribe(f"hall/{HALL}/dev/K1/down", f"hall/{HALL}/controller/state")
    assert online(kiosk)

    # 50 MB from another device: the broker ends that connection, the controller never sees it
    caller = parse_broker_url(secured_broker.url("C1"))
    flood = make_client(caller, "flood")
    gone = threading.Event()
    flood.on_disconnect = lambda *a: gone.set()
    flood.connect(caller.host, caller.port)
    flood.loop_start()
    flood.publish(f"hall/{HALL}/dev/C1/up", b"x" * (50 * 1024 * 1024), qos=1)
    assert gone.wait(30), "the broker kept a connection that sent 50 MB"
    flood.loop_stop()

    # just over 16 KiB: the broker passes it, the controller answers too_large (see test_bad_messages)
    kiosk.publish(f"hall/{HALL}/dev/K1/up", b"{" + b" " * (16 * 1024 + 10) + b"}")
    refused = envelope.decode(kiosk.expect(topic=f"hall/{HALL}/dev/K1/down").payload)
    assert refused.type == "message.refused" and refused.body["code"] == "too_large"

    request = ticket_request(kiosk)
    assert reply_to(kiosk, request).ok, "the hall goes on"
    assert "C1 sent" not in controller.text() and "52428800" not in controller.text()
    assert controller.stop() == 0


def test_the_broker_listens_only_on_the_named_address(secured_broker):
    conf = secured_broker.conf.read_text()
    assert f"listener {secured_broker.port} 127.0.0.1\n" in conf
    socket.create_connection(("127.0.0.1", secured_broker.port), timeout=2).close()
    refused = False
    try:  # another address of this machine (all of 127/8 is loopback on Linux)
        socket.create_connection(("127.0.0.2", secured_broker.port), timeout=2).close()
    except ConnectionRefusedError:
        refused = True
    assert refused, "the broker answered on an address the hall file does not name"


def test_retained_messages_outlive_a_broker_restart(secured_broker, mqtt_peer):
    controller = mqtt_peer(secured_broker.url("controller"), "controller")
    board = envelope.make_message("board.snapshot", {"calls": [], "waiting": {}})
    controller.publish(f"hall/{HALL}/board", board, retain=True)
    controller.close()
    secured_broker.restart()
    display = mqtt_peer(secured_broker.url("D1"), "display")
    display.subscribe(f"hall/{HALL}/board")
    kept = display.expect(topic=f"hall/{HALL}/board")
    assert kept.retain and envelope.decode(kept.payload).id == board.id
