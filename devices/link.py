"""The device link: the only code on a device that talks to the broker.

Every device program (kiosk, evaluator, counter caller, calling display) owns one `DeviceLink`.
It gives the program four things and hides MQTT behind them:

* `request(type, body, timeout)`: ask the controller and wait for its reply (matched by `re`);
  `ReplyTimeout` if none comes in time, `Refused(code, message)` if the controller says no.
* `send_durable(type, body)`: for what must arrive (offline tickets, ratings, print confirmations).
  The message is on disk (the outbox) when this returns, and is sent again on every reconnect and
  every few seconds until the controller's reply quoting its id arrives, across broker restarts and
  device restarts. That reply is also handed to the program.
* `incoming`: a queue of `Received` items (the device's `down` topic: prompts, leases, replies
  nobody waits for; and the hall topics it listens to, `board` and `calls` by default). Nothing is
  processed on paho's thread: the program takes items from the queue on its own thread.
* presence: a retained `device.state` message on the device's `state` topic, `online: true` plus
  whatever the program reports with `update_state` (paper low, cover open), published again on
  every connect; a retained `online: false` last will covers a crash or a cut cable.

Start-up never blocks on the broker: `start()` returns at once and the link keeps trying, with
backoff from 0.5 s to 10 s, for as long as it lives. Subscriptions are made again on every connect.

Threads: paho's network thread runs the callbacks, which only decode, match replies and fill the
queue; a courier thread owns resending from the outbox; the program's thread calls the methods.
"""

from __future__ import annotations

import collections
import importlib.metadata
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import paho.mqtt.client as paho

from devices.outbox import Outbox
from hall.mqtt import BrokerUrl, close_client, make_client, parse_broker_url
from protocol import topics
from protocol.envelope import Message, ProtocolError, decode, encode, make_message
from protocol.topics import Kind

log = logging.getLogger(__name__)

STATE_TYPE = "device.state"  # the retained presence message on the device's `state` topic


def _software() -> str:
    """What this device runs, for the fleet's health pages: hall-suite and its version."""
    try:
        return f"hall-suite {importlib.metadata.version('hall-suite')}"[:40]
    except importlib.metadata.PackageNotFoundError:
        return "hall-suite (not installed)"


SOFTWARE = _software()
DEFAULT_LISTEN = (Kind.BOARD, Kind.CALLS)
_LISTENABLE = {Kind.BOARD, Kind.CALLS, Kind.ALERTS, Kind.CONTROLLER_STATE}
_REMEMBERED_REPLIES = 10_000  # ids whose reply was handed over already: later copies are dropped


class LinkError(Exception):
    """Something the link could not do for the program."""


class ReplyTimeout(LinkError):
    """No reply to a request arrived in time (the controller or the broker is unreachable)."""

    def __init__(self, type: str, id: str, timeout: float) -> None:
        super().__init__(f"no reply to {type} {id} within {timeout:g} s")
        self.type, self.id, self.timeout = type, id, timeout


class Refused(LinkError):
    """The controller answered a request with ok=false; `code` says why for programs, `message` for people."""

    def __init__(self, code: str, message: str, reply: Message | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.reply = code, message, reply

    @classmethod
    def check(cls, reply: Message) -> Message:
        """The reply itself if the controller said ok; else this error, saying why."""
        if reply.ok:
            return reply
        error = reply.error
        raise cls(error.code if error else "refused", error.message if error else "", reply)


class LinkClosed(LinkError):
    """The link was closed before (or while) the program used it."""


@dataclass(frozen=True)
class Received:
    """One message for the program: from which kind of topic, and the checked message."""

    kind: Kind
    message: Message


class Inbox(Protocol):
    """Where received messages go: a `queue.Queue` by default, or anything with `put` (a display
    can pass an object that posts a pygame event, since pygame must own the main thread)."""

    def put(self, item: Received) -> None: ...


class _Waiter:
    __slots__ = ("answered", "reply")

    def __init__(self) -> None:
        self.answered = threading.Event()
        self.reply: Message | None = None


class DeviceLink:
    """A device's connection to the hall. Use as `with DeviceLink(...) as link:` or `start()`/`close()`.

    `outbox` is the path of the device's outbox file (or an open `Outbox`); without one,
    `send_durable` is not available. `listen` names the hall topics to receive besides the
    device's own `down` topic: any of "board", "calls", "alerts", "controller/state".
    `clock` is a monotonic clock (seconds), injected for resend timing.
    """

    def __init__(
        self,
        broker: BrokerUrl | str,
        hall: str,
        device: str,
        *,
        outbox: Path | str | Outbox | None = None,
        listen: Iterable[Kind | str] = DEFAULT_LISTEN,
        inbox: Inbox | None = None,
        state: Mapping[str, Any] | None = None,
        keepalive: int = 15,
        reconnect_delay: tuple[float, float] = (0.5, 10.0),
        resend_interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        client_id: str | None = None,
    ) -> None:
        self.hall, self.device = hall, device
        self.broker = parse_broker_url(broker) if isinstance(broker, str) else broker
        self.topic_up = topics.device_up(hall, device)
        self.topic_down = topics.device_down(hall, device)
        self.topic_state = topics.device_state(hall, device)
        kinds = [Kind(k) for k in listen]
        for kind in kinds:
            if kind not in _LISTENABLE:
                raise ValueError(
                    f"a device cannot listen to {kind.value!r}; choose from board, calls, alerts, controller/state"
                )
        self._listen = {topics.hall_topic(hall, k): k for k in kinds}
        self.incoming: Inbox = inbox if inbox is not None else queue.Queue()
        self._resend_interval = resend_interval
        self._clock = clock

        self._lock = threading.Lock()
        self._state: dict[str, Any] = dict(state or {})
        self._state.pop("online", None)
        self._waiting: dict[str, _Waiter] = {}
        self._answered: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._connected = threading.Event()
        self._closing = False
        self._started = False

        self._client = make_client(self.broker, client_id or f"{hall}.{device}")  # before the outbox: may raise

        self._owns_outbox = outbox is not None and not isinstance(outbox, Outbox)
        self._outbox: Outbox | None = Outbox(outbox) if self._owns_outbox else outbox  # type: ignore[arg-type]
        self._unanswered: set[str] = self._outbox.ids() if self._outbox is not None else set()
        self._last_sent: dict[str, float] = {}
        self._acks: list[str] = []
        self._flush = False
        self._wake = threading.Event()
        self._courier: threading.Thread | None = None

        self._client.reconnect_delay_set(*reconnect_delay)  # type: ignore[arg-type]  # floats work
        self._keepalive = keepalive
        self._client.on_pre_connect = self._on_pre_connect
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> DeviceLink:
        """Begin connecting in the background and return at once."""
        if self._closing:
            raise LinkClosed("this link was closed; make a new one")
        if self._started:
            return self
        self._started = True
        self._set_will()
        self._client.connect_async(self.broker.host, self.broker.port, keepalive=self._keepalive)
        self._client.loop_start()
        if self._outbox is not None:
            self._courier = threading.Thread(
                target=self._run_courier, name=f"hall-link-courier-{self.device}", daemon=True
            )
            self._courier.start()
        return self

    def close(self, timeout: float = 2.0) -> None:
        """Say goodbye (retained `online: false`), disconnect, stop the threads, close the outbox.

        Unanswered durable messages stay in the outbox for the next link on the same file.
        Requests still waiting in other threads fail with LinkClosed.
        """
        if self._closing:
            return
        self._closing = True
        self._wake.set()
        if self._courier is not None:
            self._courier.join(timeout)
        if self._started:
            if self._connected.is_set():
                info = self._client.publish(self.topic_state, self._state_payload(online=False), qos=1, retain=True)
                _wait_published(info, timeout)
            close_client(self._client)
        with self._lock:
            for waiter in self._waiting.values():
                waiter.answered.set()
            acks, self._acks = self._acks, []
        if self._outbox is not None:
            if acks:  # replies that came after the courier stopped
                self._outbox.acknowledge(acks)
            if self._owns_outbox:
                self._outbox.close()

    def __enter__(self) -> DeviceLink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what the program calls ------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float | None = None) -> bool:
        """Block until connected (True) or `timeout` passes (False)."""
        return self._connected.wait(timeout)

    @property
    def nodelay(self) -> bool | None:
        """Whether TCP_NODELAY is on for the current connection (None when there is none)."""
        sock = self._client.socket()
        if sock is None or not hasattr(sock, "getsockopt"):
            return None
        return bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    def request(self, type: str, body: Mapping[str, Any] | None = None, timeout: float = 5.0) -> Message:
        """Send a request to the controller and return its reply.

        Waits (within `timeout`) for the link to be connected before sending, so a request made
        while the broker is away is never sent late. Raises ReplyTimeout, Refused or LinkClosed.
        """
        self._check_open()
        message = make_message(type, body)
        payload = encode(message)
        deadline = time.monotonic() + timeout
        waiter = _Waiter()
        with self._lock:
            self._waiting[message.id] = waiter
        try:
            if not self._connected.wait(timeout):
                raise ReplyTimeout(type, message.id, timeout)
            self._client.publish(self.topic_up, payload, qos=1)
            waiter.answered.wait(max(0.0, deadline - time.monotonic()))
        finally:
            with self._lock:
                self._waiting.pop(message.id, None)
                reply = waiter.reply  # a reply that comes later goes to `incoming`
        if reply is None:
            if self._closing:
                raise LinkClosed(f"the link closed while {type} {message.id} waited for its reply")
            raise ReplyTimeout(type, message.id, timeout)
        return Refused.check(reply)

    def send(self, type: str, body: Mapping[str, Any] | None = None) -> Message:
        """Send a message that needs no reply (QoS 1, best effort: while the link is down, paho
        keeps it in memory until it reconnects). Use `send_durable` for anything that must arrive."""
        self._check_open()
        message = make_message(type, body)
        self._client.publish(self.topic_up, encode(message), qos=1)
        return message

    def send_durable(self, type: str, body: Mapping[str, Any] | None = None) -> Message:
        """Store the message in the outbox (on disk when this returns), then send it; it is sent
        again until the controller replies quoting its id, and that reply arrives in `incoming`."""
        self._check_open()
        if self._outbox is None:
            raise LinkError("this link has no outbox; give DeviceLink(outbox=PATH) to send durable messages")
        message = make_message(type, body)
        parcel = self._outbox.put(message)
        with self._lock:
            self._unanswered.add(message.id)
            connected = self._connected.is_set()
            if connected:
                self._last_sent[message.id] = self._clock()
        if connected:
            self._client.publish(self.topic_up, parcel.payload, qos=1)
        return message

    @property
    def unanswered(self) -> int:
        """How many durable messages still wait for their reply."""
        with self._lock:
            return len(self._unanswered)

    def update_state(self, **fields: Any) -> None:
        """Report the device's state (e.g. `paper="low"`); retained, and republished on reconnect.
        A field set to None is removed."""
        self._check_open()
        if "online" in fields:
            raise ValueError("'online' is the link's to say, not the program's")
        with self._lock:
            for name, value in fields.items():
                if value is None:
                    self._state.pop(name, None)
                else:
                    self._state[name] = value
            payload = self._state_payload(online=True)
            if self._connected.is_set():
                self._client.publish(self.topic_state, payload, qos=1, retain=True)

    @property
    def state(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._state)

    # -- paho's thread -----------------------------------------------------------------------------

    def _on_pre_connect(self, client: paho.Client, userdata: Any) -> None:
        self._set_will()  # a fresh id and time for the will of each connection

    def _on_connect(self, client: paho.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if reason_code.is_failure:
            log.warning("%s: the broker %s refused the connection: %s", self.device, self.broker, reason_code)
            return
        subscriptions = [(self.topic_down, 1)] + [(topic, 1) for topic in self._listen]
        client.subscribe(subscriptions)
        with self._lock:
            client.publish(self.topic_state, self._state_payload(online=True), qos=1, retain=True)
            self._flush = True
            self._connected.set()
        self._wake.set()
        log.info("%s: connected to %s", self.device, self.broker)

    def _on_disconnect(self, client: paho.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        was = self._connected.is_set()
        self._connected.clear()
        if was and not self._closing:
            log.warning("%s: lost the broker %s (%s); reconnecting", self.device, self.broker, reason_code)

    def _on_message(self, client: paho.Client, userdata: Any, mqtt_message: paho.MQTTMessage) -> None:
        topic = mqtt_message.topic
        if topic == self.topic_down:
            kind = Kind.DOWN
        elif topic in self._listen:
            kind = self._listen[topic]
        else:
            log.warning("%s: ignoring a message on %s, which it did not subscribe to", self.device, topic)
            return
        try:
            message = decode(mqtt_message.payload)
        except ProtocolError as e:
            log.warning("%s: dropped a bad message on %s: %s", self.device, topic, e)
            return
        if kind is Kind.DOWN and message.type == "message.refused":  # one of ours had no readable id
            log.warning(
                "%s: the controller could not read a message of ours (%s): %s",
                self.device,
                message.body.get("code"),
                message.body.get("reason"),
            )
        if kind is Kind.DOWN and message.re is not None and not self._claim_reply(message):
            return
        self.incoming.put(Received(kind, message))

    def _claim_reply(self, reply: Message) -> bool:
        """Route a reply; True if it should also go to the program's queue."""
        re_ = reply.re
        assert re_ is not None
        with self._lock:
            waiter = self._waiting.get(re_)
            if waiter is not None:
                if waiter.reply is None:
                    waiter.reply = reply
                    _remember(self._answered, re_)
                    waiter.answered.set()
                return False
            if re_ in self._answered:
                return False  # a copy: the controller answered a resent message again
            _remember(self._answered, re_)
            if re_ in self._unanswered:
                self._unanswered.discard(re_)
                self._last_sent.pop(re_, None)
                self._acks.append(re_)
                self._wake.set()
        return True  # a durable message's reply, a late reply, or one the link knows nothing of

    # -- the courier's thread ------------------------------------------------------------------------

    def _run_courier(self) -> None:
        assert self._outbox is not None
        while True:
            # While the broker is away there is nothing to time: a connect or close wakes us.
            self._wake.wait(self._next_wake() if self._connected.is_set() else None)
            self._wake.clear()
            with self._lock:
                acks, self._acks = self._acks, []
                flush, self._flush = self._flush, False
            if acks:
                self._outbox.acknowledge(acks)
            if self._closing:
                return
            if self._connected.is_set():
                self._resend(everything=flush)

    def _next_wake(self) -> float:
        with self._lock:
            if not self._last_sent:
                return self._resend_interval
            oldest = min(self._last_sent.values())
        return max(0.05, oldest + self._resend_interval - self._clock())

    def _resend(self, everything: bool) -> None:
        assert self._outbox is not None
        now = self._clock()
        for parcel in self._outbox.pending():
            with self._lock:
                if parcel.id not in self._unanswered:
                    continue
                last = self._last_sent.get(parcel.id)
                if not everything and last is not None and now - last < self._resend_interval:
                    continue
                if not self._connected.is_set() or self._closing:
                    return
                self._last_sent[parcel.id] = now
            self._client.publish(self.topic_up, parcel.payload, qos=1)

    # -- helpers -------------------------------------------------------------------------------------

    def _set_will(self) -> None:
        self._client.will_set(self.topic_state, self._state_payload(online=False), qos=1, retain=True)

    def _state_payload(self, online: bool) -> bytes:
        body = {"online": True, "software": SOFTWARE, **self._state} if online else {"online": False}
        return encode(make_message(STATE_TYPE, body))

    def _check_open(self) -> None:
        if self._closing:
            raise LinkClosed("this link is closed")


def _remember(ids: collections.OrderedDict[str, None], id_: str) -> None:
    ids[id_] = None
    ids.move_to_end(id_)
    while len(ids) > _REMEMBERED_REPLIES:
        ids.popitem(last=False)


def _wait_published(info: paho.MQTTMessageInfo, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not info.is_published() and time.monotonic() < deadline:
        time.sleep(0.01)
