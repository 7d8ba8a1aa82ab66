"""Fixtures for the device-link tests: a stand-in controller that answers requests."""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable

import paho.mqtt.client as paho
import pytest

from protocol import topics
from protocol.envelope import Message, decode, encode, make_reply

HALL = "testhall"


class Responder:
    """Answers every message on hall/{HALL}/dev/+/up like the controller would: de-duplicates by id
    (a resent message is counted once and answered again with the same result), refuses type
    `test.refuse`, stays silent for `test.silent`, and echoes the body of anything else."""

    def __init__(self, peer) -> None:
        self.peer = peer
        self.arrivals: collections.Counter[str] = collections.Counter()  # id -> times it arrived
        self.first: list[Message] = []  # each message once, in the order first seen
        self._replies: dict[str, Message] = {}
        self._lock = threading.Lock()
        self.changed = threading.Condition(self._lock)
        peer.on_message = self._on_message
        peer.subscribe(topics.every_device(HALL, "up"))

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
        with self.changed:
            return self.changed.wait_for(predicate, timeout)

    def _on_message(self, peer, mqtt_message: paho.MQTTMessage) -> None:
        route = topics.parse(mqtt_message.topic, HALL)
        if route.kind is not topics.Kind.UP:
            return
        message = decode(mqtt_message.payload)
        with self._lock:
            self.arrivals[message.id] += 1
            reply = self._replies.get(message.id)
            if reply is None:
                self.first.append(message)
                if message.type == "test.silent":
                    self.changed.notify_all()
                    return
                if message.type == "test.refuse":
                    reply = make_reply(message, ok=False, error=("not_today", "the counter is closed"))
                else:
                    reply = make_reply(message, {"echo": dict(message.body)})
                self._replies[message.id] = reply
            self.changed.notify_all()
        peer.client.publish(topics.device_down(HALL, route.device), encode(reply), qos=1)


@pytest.fixture
def responder(broker_url: str, mqtt_peer) -> Responder:
    return Responder(mqtt_peer(broker_url, "controller"))


@pytest.fixture
def make_responder(mqtt_peer) -> Callable[[str], Responder]:
    return lambda url: Responder(mqtt_peer(url, "controller"))
