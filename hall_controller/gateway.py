"""The controller's one seam to MQTT: the broker connection, and nothing of the hall's rules.

One thread owns the connection, with paho's manual loop (no paho thread, no hand-over between
threads): it reads every message waiting on the socket, hands them as one batch to the
`HallSession` (hall_controller/session.py, which checks, applies, journals with one commit and
says what to publish), and writes what the session returns. Under light load a batch is one
message; under a burst it is hundreds, and the fsync is shared. The loop also owns the
reconnection to the broker (with backoff), re-subscribes on every connect, and has the session
give the retained board again after each (the broker may have lost it).

The management web runs on other threads and never touches the engine. It meets the loop here:
`submit(command)` queues a staff command (a notice, an acknowledged alert, a follow-up note) that
the loop applies in its next batch with the devices' messages, journals and commits like theirs,
then answers through a `concurrent.futures.Future`; `query(fn)` runs `fn(engine)` on the loop
thread between batches, for reads that need the engine; and `live` is a plain snapshot of the
hall (built by an injected `live_view(engine)`, rebuilt at most every BOARD_EVERY_S when something
changed, with a version number) that the web's streams read without touching the engine. A
socketpair wakes the loop's select() when something is submitted. While the broker is away the
loop still serves the web.
"""

from __future__ import annotations

import logging
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

import paho.mqtt.client as paho

from hall import clock as hall_clock
from hall.config import Hall
from hall.mqtt import close_client, make_client, parse_broker_url
from hall_controller.durable import DurableEngine
from hall_controller.session import BOARD_EVERY_S, HallSession, Publication
from protocol import topics

log = logging.getLogger("hall.controller")

MAX_BATCH = 512
RECONNECT_S = (0.5, 10.0)  # backoff between attempts to reach the broker
CORK = getattr(socket, "TCP_CORK", None)


class GatewayStopped(RuntimeError):
    """The controller's loop has stopped: a command or question from the web was not carried out."""


@dataclass(frozen=True)
class Live:
    """The hall as the web shows it, rebuilt on the loop thread; safe to read from any thread."""

    version: int  # grows by one whenever `view` or `broker` changes
    at: float  # controller time of the rebuild
    broker: bool  # connected to the broker
    view: dict | None  # what `live_view(engine)` made; None before the first rebuild


_COMMAND, _QUERY = "command", "query"


def _cork(sock, on: bool) -> None:
    """Hold small writes and send them as full segments when uncorked (Linux TCP_CORK). With
    TCP_NODELAY alone every acknowledgement and reply would be its own packet and wake-up."""
    if CORK is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, CORK, 1 if on else 0)
        except OSError:
            pass


class Gateway:
    def __init__(
        self,
        hall: Hall,
        durable: DurableEngine,
        broker_url: str,
        *,
        secret: bytes,
        clock=hall_clock.now,
        speed: float | None = None,
        client_id: str | None = None,
        live_view: Callable[[object], dict] | None = None,
        heartbeat: Callable[[], None] | None = None,
    ):
        self.hall = hall
        self.durable = durable
        self.engine = durable.engine
        self.secret = secret
        self.clock = clock
        self.speed = hall_clock.current().speed if speed is None else speed  # hall seconds per real second
        self._arrived: list[tuple[str, bytes]] = []
        self._started_at = clock()
        self.session = HallSession(hall, durable, secret=secret, started_at=self._started_at)
        self._changes = 0
        self._live_view = live_view
        self.live = Live(0, self._started_at, False, None)
        self._live_dirty = live_view is not None
        self._live_at = 0.0
        self._live_listeners: list[Callable[[Live], None]] = []
        self._inbox: deque[tuple[str, object, Future]] = deque()  # from the web's threads
        self._inbox_lock = threading.Lock()
        self._stopped = False
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.connected = threading.Event()
        self._heartbeat = heartbeat or (lambda: None)  # called every turn of the loop (systemd's watchdog)
        self._leaving = False
        self.client = make_client(broker_url, client_id or f"hall-controller-{hall.id}")
        will = self.session.controller_state(False, clock())
        self.client.will_set(will.topic, will.payload, qos=will.qos, retain=will.retain)
        self.client.max_inflight_messages_set(0)  # unlimited; also keeps paho from scanning every
        self.client.max_queued_messages_set(0)  # message in flight on each acknowledgement
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self._broker = parse_broker_url(broker_url)

    # --- paho callbacks (called from `serve`'s own thread, inside loop_read) ---------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.error("broker refused the controller: %s", reason_code)
            return
        client.subscribe(
            [(topics.every_device(self.hall.id, "up"), 1), (topics.every_device(self.hall.id, "state"), 1)]
        )
        self.session.reconnected()  # the board again on every (re)connect
        log.info("connected to the broker")

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        # Online only once the broker has the subscriptions: a device's request sent after it
        # sees "online" is sure to reach the controller (before the SUBACK it may be dropped).
        if any(code.is_failure for code in reason_codes):
            log.error("the broker refused the controller's subscriptions: %s", reason_codes)
            return
        self._publish([self.session.controller_state(True, self.clock())])
        self.connected.set()
        self._live_dirty = self._live_view is not None

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        if self._leaving:
            log.info("disconnected from the broker")
        elif self.connected.is_set():
            log.warning("lost the broker (%s); reconnecting", reason_code)
        self.connected.clear()
        self._live_dirty = self._live_view is not None

    def _on_message(self, client, userdata, msg) -> None:
        self._arrived.append((msg.topic, msg.payload))

    # --- the web's way in (any thread) -------------------------------------------------------

    def submit(self, command) -> Future:
        """Apply an engine command in the loop's next batch; the future gets its `Result` (events,
        or the refusal) once it is committed. Cancelling the future before then withdraws it."""
        return self._post(_COMMAND, command)

    def query(self, fn: Callable[[object], object]) -> Future:
        """Run `fn(engine)` on the loop thread between batches; the future gets what it returns
        (or raises what it raised). `fn` must only read, and return plain data."""
        return self._post(_QUERY, fn)

    def add_live_listener(self, listener: Callable[[Live], None]) -> None:
        """`listener(live)` is called on the loop thread after each new version: keep it short."""
        self._live_listeners.append(listener)

    def remove_live_listener(self, listener: Callable[[Live], None]) -> None:
        if listener in self._live_listeners:
            self._live_listeners.remove(listener)

    def live_changed(self) -> None:
        """Something the live view shows from outside the engine changed (an alert's delivery
        state): rebuild it on the loop's next round. Any thread; only sets a flag."""
        self._live_dirty = self._live_view is not None

    def _post(self, kind: str, item: object) -> Future:
        future: Future = Future()
        with self._inbox_lock:
            if self._stopped:
                future.set_exception(GatewayStopped("the hall controller is stopping"))
                return future
            self._inbox.append((kind, item, future))
            try:
                self._wake_w.send(b"\0")
            except BlockingIOError:
                pass  # the loop has many wake-ups waiting already
        return future

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except BlockingIOError:
            pass

    def _take_inbox(self) -> tuple[list, list]:
        commands, questions = [], []
        while self._inbox:
            kind, item, future = self._inbox.popleft()
            if future.set_running_or_notify_cancel():  # False: withdrawn, so not carried out
                (commands if kind is _COMMAND else questions).append((item, future))
        return commands, questions

    def _close_inbox(self) -> None:
        with self._inbox_lock:
            self._stopped = True
            while self._inbox:
                _, _, future = self._inbox.popleft()
                if future.set_running_or_notify_cancel():
                    future.set_exception(GatewayStopped("the hall controller stopped"))
            self._wake_r.close()
            self._wake_w.close()

    # --- running ----------------------------------------------------------------------------

    def serve(self, stop: threading.Event) -> None:
        """Run until `stop` is set: connect, then read, process, write, tick; reconnect if lost."""
        delay = RECONNECT_S[0]
        try:
            while not stop.is_set():
                if not self._connect():
                    self._wait_offline(stop, delay)
                    delay = min(delay * 2, RECONNECT_S[1])
                    continue
                delay = RECONNECT_S[0]
                self._run_connected(stop)
            self._say_goodbye()
        finally:
            self._close_inbox()

    def _wait_offline(self, stop: threading.Event, delay: float) -> None:
        """Between attempts to reach the broker the web is still served (what it changes is
        journalled; paho keeps the announcements until the broker is back)."""
        deadline = time.monotonic() + delay
        while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
            self._heartbeat()
            readable, _, _ = select.select([self._wake_r], [], [], min(left, 0.25))
            if readable:
                self._drain_wake()
            if self._inbox:
                self.process([])
            if self._live_dirty:
                self._refresh_live(self.clock())

    def _connect(self) -> bool:
        try:
            if self.client.socket() is None:
                self.client.connect(self._broker.host, self._broker.port, keepalive=15)
            return True
        except OSError as e:
            log.warning("cannot reach the broker at %s: %s", self._broker, e)
            return False

    def _run_connected(self, stop: threading.Event) -> None:
        while not stop.is_set():
            sock = self.client.socket()
            if sock is None:
                return
            try:
                if not self._round(sock):
                    return
            except Exception:  # our own bug: say so loudly, and keep serving the hall
                log.exception("the controller hit an internal error in this round; carrying on")

    def _round(self, sock) -> bool:
        """One turn of the loop: wait, read, process, write, tick. False when the connection is lost."""
        client = self.client
        self._heartbeat()
        now = self.clock()
        # the next tick is due in hall seconds; the hall clock may run faster than real time (the demo)
        wait = max(0.0, min((self.session.next_tick - now) / self.speed, BOARD_EVERY_S))
        pending = getattr(sock, "pending", lambda: 0)()
        readable, writable, _ = select.select(
            [sock, self._wake_r], [sock] if client.want_write() else [], [], 0 if pending else wait
        )
        _cork(sock, True)  # the acknowledgements, replies and calls of this round leave together
        try:
            if self._wake_r in readable:
                self._drain_wake()
            if sock in readable or pending:
                if not self._read_all(sock):
                    return False
            if self._arrived or self._inbox:
                batch, self._arrived = self._arrived, []
                self.process(batch)
            if client.want_write() and client.loop_write() != paho.MQTT_ERR_SUCCESS:
                return False
        finally:
            _cork(sock, False)
        client.loop_misc()
        now = self.clock()
        self._publish(self.session.tick(now))
        self._publish(self.session.board(now))
        if self._live_dirty and now - self._live_at >= BOARD_EVERY_S:
            self._refresh_live(now)
        return True

    def _read_all(self, sock) -> bool:
        """Read every message already waiting (up to MAX_BATCH); False if the connection is lost."""
        client = self.client
        while len(self._arrived) < MAX_BATCH:
            if client.loop_read(MAX_BATCH) != paho.MQTT_ERR_SUCCESS:
                return False
            if client.socket() is None:
                return False
            if not getattr(sock, "pending", lambda: 0)() and not select.select([sock], [], [], 0)[0]:
                return True
        return True

    def _say_goodbye(self) -> None:
        self._leaving = True
        if self.client.socket() is not None:
            bye = self.session.controller_state(False, self.clock())
            info = self.client.publish(bye.topic, bye.payload, qos=bye.qos, retain=bye.retain)
            deadline = time.monotonic() + 2
            while not info.is_published() and time.monotonic() < deadline and self.client.socket() is not None:
                self.client.loop(0.05)
        close_client(self.client)

    # --- one batch, and time -------------------------------------------------------------

    def process(self, batch: list[tuple[str, bytes]]) -> None:
        """Hand the batch and the web's commands to the session, publish what it returns (it is
        journalled by then), answer the web, then its questions."""
        now = self.clock()
        web, questions = self._take_inbox() if self._inbox else ((), ())
        try:
            outcome = self.session.receive(batch, now, [command for command, _ in web])
        except BaseException as e:
            for _, future in web:
                future.set_exception(e)
            raise
        for (_, future), result in zip(web, outcome.results):
            future.set_result(result)
        self._publish(outcome.publications)
        for fn, future in questions:
            try:
                future.set_result(fn(self.engine))
            except Exception as e:  # noqa: BLE001 - the asker's error, handed back to the asker
                future.set_exception(e)

    def _publish(self, publications: list[Publication]) -> None:
        for out in publications:
            self.client.publish(out.topic, out.payload, qos=out.qos, retain=out.retain)
        if self.session.changes != self._changes:
            self._changes = self.session.changes
            self._live_dirty = self._live_view is not None

    def _refresh_live(self, now: float) -> None:
        self._live_dirty = False
        self._live_at = now
        try:
            view = self._live_view(self.engine)
        except Exception:  # noqa: BLE001 - a fault in the web's view must not stop the hall
            log.exception("the live view of the hall failed; the web keeps the previous one")
            return
        broker = self.connected.is_set()
        old = self.live
        if view == old.view and broker == old.broker:
            return
        self.live = live = Live(old.version + 1, now, broker, view)
        for listener in list(self._live_listeners):
            try:
                listener(live)
            except Exception:  # noqa: BLE001 - same: the web's problem, logged, the hall goes on
                log.exception("a listener of the live view failed")

    def status_url(self, ticket_id: str) -> str:
        return self.session.status_url(ticket_id)

    @property
    def display_acks(self) -> dict[str, int]:
        """The last call each hall display confirmed having announced (read by tests and the web)."""
        return self.session.display_acks
