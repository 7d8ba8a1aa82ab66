"""The durable outbox: on disk before send_durable returns, resent until answered, exactly once after de-duplication."""

import queue
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devices.link import DeviceLink, LinkError
from devices.outbox import Outbox, OutboxError
from protocol.envelope import decode, make_message
from protocol.topics import Kind

from .conftest import HALL

PROGRAM = Path(__file__).with_name("device_program.py")


# -- the outbox file on its own --------------------------------------------------------------------


def test_outbox_keeps_messages_in_order_until_acknowledged(tmp_path):
    path = tmp_path / "kiosk" / "outbox.db"
    messages = [make_message("offline.backfill", {"n": n}) for n in range(5)]
    with Outbox(path) as outbox:
        for m in messages:
            outbox.put(m)
        assert [p.id for p in outbox.pending()] == [m.id for m in messages]
        assert outbox.acknowledge([messages[1].id, messages[3].id, "unknown"]) == 2
    with Outbox(path) as outbox:  # reopened: still there, still in order
        pending = outbox.pending()
        assert [p.id for p in pending] == [messages[0].id, messages[2].id, messages[4].id]
        assert decode(pending[1].payload) == messages[2]
        assert len(outbox) == 3 and outbox.pending(limit=1)[0].id == messages[0].id
        assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_outbox_refuses_a_duplicate_id(tmp_path):
    with Outbox(tmp_path / "o.db") as outbox:
        message = make_message("rating.submit", {"level": 4})
        outbox.put(message)
        with pytest.raises(ValueError, match="already in the outbox"):
            outbox.put(message)
        assert len(outbox) == 1


def test_one_outbox_file_has_one_owner(tmp_path):
    with Outbox(tmp_path / "o.db"):
        with pytest.raises(OutboxError, match="in use by another program"):
            Outbox(tmp_path / "o.db")
    Outbox(tmp_path / "o.db").close()  # free again once closed


def test_outbox_refuses_files_that_are_not_outboxes_and_leaves_them_alone(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_bytes(b"this is not a database, it is a shopping list\n" * 100)
    other = tmp_path / "journal.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE tickets (number TEXT)")
    db.close()
    before = {p: p.read_bytes() for p in (text, other)}
    with pytest.raises(OutboxError, match="is not an outbox database"):
        Outbox(text)
    with pytest.raises(OutboxError, match="is a database, but not a hall outbox"):
        Outbox(other)
    with pytest.raises(OutboxError, match="is a directory"):
        Outbox(tmp_path)
    assert {p: p.read_bytes() for p in (text, other)} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal.db", "notes.txt"]  # no lock files left behind


def test_send_durable_needs_an_outbox(broker_url):
    with DeviceLink(broker_url, HALL, "K1") as link:
        with pytest.raises(LinkError, match="no outbox"):
            link.send_durable("rating.submit")


# -- durable messages through real brokers ---------------------------------------------------------


def test_durable_message_is_answered_and_the_reply_handed_over(broker_url, responder, tmp_path):
    with DeviceLink(broker_url, HALL, "E1", outbox=tmp_path / "o.db") as link:
        assert link.wait_connected(10)
        message = link.send_durable("rating.submit", {"level": 4})
        received = link.incoming.get(timeout=10)
        assert received.kind is Kind.DOWN and received.message.re == message.id
        assert received.message.body == {"echo": {"level": 4}}
        assert _eventually(lambda: link.unanswered == 0)
    with Outbox(tmp_path / "o.db") as outbox:
        assert len(outbox) == 0


def test_durable_message_is_resent_until_someone_answers(broker_url, tmp_path, make_responder):
    with DeviceLink(broker_url, HALL, "E1", outbox=tmp_path / "o.db", resend_interval=0.2) as link:
        assert link.wait_connected(10)
        message = link.send_durable("rating.submit", {"level": 3})  # nobody listens yet: lost
        time.sleep(0.3)
        responder = make_responder(broker_url)  # the controller comes up
        assert link.incoming.get(timeout=10).message.re == message.id
        assert _eventually(lambda: link.unanswered == 0)
        assert responder.arrivals[message.id] >= 1 and len(responder.first) == 1


def test_a_reply_sent_twice_is_handed_over_once(broker_url, tmp_path, mqtt_peer):
    from protocol import topics
    from protocol.envelope import make_reply

    controller = mqtt_peer(broker_url, "controller")
    controller.subscribe(topics.every_device(HALL, "up"))
    with DeviceLink(broker_url, HALL, "E1", outbox=tmp_path / "o.db", resend_interval=0.2) as link:
        assert link.wait_connected(10)
        message = link.send_durable("rating.submit", {"level": 1})
        assert controller.expect(where=lambda m: decode(m.payload).id == message.id)
        assert controller.expect(where=lambda m: decode(m.payload).id == message.id)  # resent: no answer yet
        reply = make_reply(message, {"counted": True})
        for _ in range(2):  # the controller answers the original and the copy
            controller.publish(topics.device_down(HALL, "E1"), reply)
        controller.publish(topics.device_down(HALL, "E1"), make_message("rating.cancel"))
        handed = [link.incoming.get(timeout=10) for _ in range(2)]
        assert [r.message.type for r in handed] == ["rating.submit", "rating.cancel"]
        assert handed[0].message.re == message.id
        assert _eventually(lambda: link.unanswered == 0)


def test_200_durable_messages_survive_a_broker_kill_and_restart(mosquitto_broker, tmp_path, make_responder):
    url = mosquitto_broker.url
    responder = make_responder(url)
    sent = []
    with DeviceLink(url, HALL, "K1", outbox=tmp_path / "o.db", reconnect_delay=(0.1, 0.5), resend_interval=1.0) as link:
        assert link.wait_connected(10)
        for n in range(200):
            if n == 70:
                mosquitto_broker.kill()
            if n == 140:
                mosquitto_broker.start()
            sent.append(link.send_durable("rating.submit", {"n": n}).id)
        assert responder.wait_for(lambda: set(sent) <= set(responder.arrivals), timeout=60)
        assert _eventually(lambda: link.unanswered == 0, timeout=60)
        replies = _drain(link.incoming)
    assert len(sent) == len(set(sent)) == 200
    assert {m.id for m in responder.first} == set(sent)  # every id arrived, counted once after de-duplication
    assert sorted(r.message.re for r in replies) == sorted(sent)  # each reply handed to the device exactly once
    with Outbox(tmp_path / "o.db") as outbox:
        assert len(outbox) == 0


def test_a_restarted_device_resends_what_was_not_answered(broker_url, tmp_path, make_responder):
    outbox = tmp_path / "o.db"
    device = subprocess.Popen(
        [sys.executable, str(PROGRAM), broker_url, HALL, "K2", str(outbox), "durable", "25"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [device.stdout.readline().strip() for _ in range(27)]
        assert lines[0] == "connected" and lines[-1] == "ready", lines
        stored = [line.split()[1] for line in lines[1:-1]]
        device.send_signal(signal.SIGKILL)  # right after send_durable returned: nobody has answered
        device.wait(10)
    finally:
        if device.poll() is None:
            device.kill()
            device.wait()
        device.stdout.close()
    responder = make_responder(broker_url)
    with DeviceLink(broker_url, HALL, "K2", outbox=outbox) as link:  # the device starts again
        assert link.unanswered == 25
        assert responder.wait_for(lambda: set(stored) <= set(responder.arrivals))
        assert _eventually(lambda: link.unanswered == 0)
        assert sorted(r.message.re for r in _drain(link.incoming, 25)) == sorted(stored)
    assert [m.id for m in responder.first] == stored  # oldest first


def _drain(inbox, at_least=0, timeout=10.0):
    items, deadline = [], time.monotonic() + timeout
    while True:
        try:
            items.append(inbox.get(timeout=0.3 if len(items) >= at_least else max(0.0, deadline - time.monotonic())))
        except queue.Empty:
            return items


def _eventually(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
