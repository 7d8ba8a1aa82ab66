"""The controller's one seam to MQTT: devices' messages in, replies and announcements out.

One thread owns the connection, with paho's manual loop (no paho thread, no hand-over between
threads): it reads every message waiting on the socket, takes them as one batch, checks each
(topic, device, role, envelope, fields), drops duplicates (by device and message id, remembered
in the journal, so a message re-sent after a restart still counts once), applies the batch to the
engine, journals it with its replies in one commit (one fsync however large the batch), and only
then writes: replies, calls (gap-free sequence numbers), rating prompts, alerts, counter views
and the retained board. Under light load a batch is one message; under a burst it is hundreds,
and the fsync is shared. Bad input of any kind gets an error reply where there is someone to
reply to, a log line, and changes nothing; the loop keeps running. The loop also owns the
reconnection to the broker (with backoff), and re-subscribes on every connect.

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

import json
import logging
import select
import socket
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

import paho.mqtt.client as paho

from hall import clock as hall_clock
from hall.config import Hall
from hall.mqtt import close_client, make_client, parse_broker_url
from hall_controller import effects, requests, views
from hall_controller.durable import DurableEngine, Result, StorageUnavailable
from hall_controller.engine import Refused
from hall_controller.engine import commands as c
from hall_controller.engine import events as ev
from protocol import envelope, messages, topics
from protocol.envelope import ProtocolError

log = logging.getLogger("hall.controller")

MAX_BATCH = 512
RECENT_IDS = 2_000  # replies kept in memory for duplicates; older ones are read from the journal
TICK_S = 1.0
BOARD_EVERY_S = 0.1  # the retained board is republished at most this often
RECONNECT_S = (0.5, 10.0)  # backoff between attempts to reach the broker
CORK = getattr(socket, "TCP_CORK", None)
UNAVAILABLE = "unavailable"  # the error code of requests refused while the journal cannot be written
SAY_AGAIN_S = 60.0  # how often a lasting storage trouble is logged again


class StorageTrouble:
    """One log line when the journal cannot be written, then one a minute while it lasts (not a
    traceback a round), and one when it is written again."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.since: float | None = None
        self.said_at = 0.0
        self.refused = 0

    def failed(self, trouble: Exception) -> None:
        now = self.clock()
        self.refused += 1
        if self.since is None:
            self.since, self.said_at = now, now
            log.error("%s; requests are answered `unavailable` until it can be (said again every minute)", trouble)
        elif now - self.said_at >= SAY_AGAIN_S:
            self.said_at = now
            log.error("%s, still: %d rounds refused in %.0f min", trouble, self.refused, (now - self.since) / 60)

    def fine(self) -> None:
        if self.since is not None:
            log.warning("the journal is written again: the hall goes on (%d rounds were refused)", self.refused)
            self.since, self.refused = None, 0


#: events that change no counter's view (a reserved ticket is not yet in any queue)
QUIET_FOR_COUNTERS = frozenset(
    {
        ev.TicketReserved,
        ev.RatingRecorded,
        ev.AlertRaised,
        ev.AlertCleared,
        ev.AlertAcknowledged,
        ev.DeviceReported,
        ev.NoticeSet,
        ev.AppointmentBooked,
        ev.OfflineBlockLeased,
        ev.RatingPrompted,
        ev.RatingClosed,
        ev.IncidentSet,
        ev.FollowUpOpened,
        ev.FollowUpNoted,
        ev.FollowUpClosed,
    }
)


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


@dataclass
class Pending:
    """One request of the batch being processed."""

    device: str
    role: str
    message: envelope.Message
    type: str
    body: dict
    commands: list = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    refused: Refused | None = None


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
        self.recent: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self.display_acks: dict[str, int] = {}
        self._views: dict[int, dict] = {}
        self._board: str | None = None
        self._board_dirty = True
        self._board_at = 0.0
        self._next_tick = 0.0
        self._started_at = clock()
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
        self._storage = StorageTrouble()
        self._heartbeat = heartbeat or (lambda: None)  # called every turn of the loop (systemd's watchdog)
        self._leaving = False
        self.client = make_client(broker_url, client_id or f"hall-controller-{hall.id}")
        self.client.will_set(topics.controller_state(hall.id), self._controller_state(False), qos=1, retain=True)
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
        self._board = None  # republish the board on every (re)connect
        self._board_dirty = True
        log.info("connected to the broker")

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        # Online only once the broker has the subscriptions: a device's request sent after it
        # sees "online" is sure to reach the controller (before the SUBACK it may be dropped).
        if any(code.is_failure for code in reason_codes):
            log.error("the broker refused the controller's subscriptions: %s", reason_codes)
            return
        client.publish(topics.controller_state(self.hall.id), self._controller_state(True), qos=1, retain=True)
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
        wait = max(0.0, min((self._next_tick - now) / self.speed, BOARD_EVERY_S))
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
        if now >= self._next_tick:
            self._next_tick = now + TICK_S
            self._tick(now)
        if self._board_dirty and now - self._board_at >= BOARD_EVERY_S:
            self._publish_board(now)
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
            info = self.client.publish(
                topics.controller_state(self.hall.id), self._controller_state(False), qos=1, retain=True
            )
            deadline = time.monotonic() + 2
            while not info.is_published() and time.monotonic() < deadline and self.client.socket() is not None:
                self.client.loop(0.05)
        close_client(self.client)

    # --- one batch --------------------------------------------------------------------------

    def process(self, batch: list[tuple[str, bytes]]) -> None:
        now = self.clock()
        web, questions = self._take_inbox() if self._inbox else ((), ())
        pending: list[Pending] = []
        in_batch: dict[tuple[str, str], Pending] = {}
        device_reports: list = []
        replies: list[tuple[str, bytes]] = []
        duplicates: list[tuple[str, str, str]] = []
        for topic, payload in batch:
            try:
                route = topics.parse(topic, self.hall.id)
            except topics.TopicError as e:
                log.warning("ignored: %s", e)
                continue
            if route.kind == topics.Kind.STATE:
                report = self._device_report(route.device, payload)
                if report is not None:
                    device_reports.append(report)
                continue
            item = self._accept(route.device, payload, replies)
            if item is None:
                continue
            key = (item.device, item.message.id)
            if key in in_batch:
                duplicates.append(key)
                continue
            stored = self.recent.get(key)
            if stored is not None:
                replies.append((item.device, stored))
                continue
            in_batch[key] = item
        answered = self.durable.journal.replies_for(list(in_batch))  # sent before a restart
        for key, item in in_batch.items():
            if key in answered:
                reply = answered[key].encode()
                self._remember(item.device, item.message.id, reply)  # and for its copies in this batch
                replies.append((item.device, reply))
            else:
                pending.append(item)

        commands = [(cmd, now) for cmd in device_reports]
        for item in pending:
            commands += [(cmd, now) for cmd in item.commands]
        if web:
            commands += [(command, now) for command, _ in web]
        try:
            results = self._apply_and_commit(commands, pending, replies, len(device_reports))
        except BaseException as e:
            for _, future in web:
                future.set_exception(e)
            raise
        for (_, future), result in zip(web, results[len(results) - len(web) :]):
            future.set_result(result)
        for key in duplicates:
            reply = self.recent.get(key)
            if reply is not None:
                replies.append((key[0], reply))

        for device, reply in replies:
            # QoS 0: devices use clean sessions, so the broker would drop a QoS 1 reply to a device
            # that is gone just the same; a device that misses its reply asks again and gets the
            # journalled one. QoS 1 would only add an acknowledgement to process per reply.
            self.client.publish(topics.device_down(self.hall.id, device), reply, qos=0)
        self._announce([e for r in results for e in r.events])
        for fn, future in questions:
            try:
                future.set_result(fn(self.engine))
            except Exception as e:  # noqa: BLE001 - the asker's error, handed back to the asker
                future.set_exception(e)

    def _apply_and_commit(self, commands: list, pending: list[Pending], replies: list, position: int) -> list[Result]:
        results = self.durable.apply(commands)
        made = []
        for item in pending:
            item.results = results[position : position + len(item.commands)]
            position += len(item.commands)
            reply = self._reply(item)
            if reply is not None:
                self.durable.remember_reply(item.device, item.message.id, reply.decode())
                made.append((item, reply))
        try:
            self.durable.commit()
        except StorageUnavailable as e:
            return self._unavailable(e, commands, pending, replies)
        self._storage.fine()
        for item, reply in made:  # remembered only once journalled: a retry after a failure is new
            self._remember(item.device, item.message.id, reply)
            replies.append((item.device, reply))
        return results

    def _unavailable(
        self, trouble: StorageUnavailable, commands: list, pending: list[Pending], replies: list
    ) -> list[Result]:
        """The batch was undone (see DurableEngine.commit): every request is refused `unavailable`
        (nothing was done; asking again later is safe), the web's commands too."""
        self._storage.failed(trouble)
        refusal = Refused(
            UNAVAILABLE,
            "the hall controller cannot write its journal just now (its disk is full "
            "or failing); nothing was done: please try again shortly",
        )
        for item in pending:
            if messages.CATALOGUE[item.type].replied:
                reply = envelope.make_reply(item.message, ok=False, error=(refusal.code, refusal.message))
                replies.append((item.device, envelope.encode(reply)))
        return [Result(refused=refusal) for _ in commands]

    def _accept(self, device: str, payload: bytes, replies: list) -> Pending | None:
        """Check a device's message; on any problem, queue an error reply where possible."""
        role = self.hall.device_role(device)
        try:
            message = envelope.decode(payload)
        except ProtocolError as e:
            log.warning("%s sent a bad message: %s", device, e.message)
            self._best_effort_error(device, payload, e.code, e.message, replies)
            return None
        if message.is_reply:
            log.warning("%s sent a reply to the controller; ignored", device)
            return None
        try:
            if role is None:
                raise ProtocolError("unknown_device", f"{device} is not a device of hall {self.hall.id}")
            body = messages.check(message, role)
            item = Pending(device, role, message, message.type, body)
            item.commands = requests.commands_for(message.type, body, device, role, self.hall, self.engine)
            return item
        except (ProtocolError, Refused) as e:
            log.warning("%s: %s refused: %s", device, message.type, e.message)
            if messages.CATALOGUE.get(message.type) is None or messages.CATALOGUE[message.type].replied:
                reply = envelope.encode(envelope.make_reply(message, ok=False, error=(e.code, e.message)))
                self._remember(device, message.id, reply)
                replies.append((device, reply))
            return None

    def _best_effort_error(self, device: str, payload: bytes, code: str, text: str, replies: list) -> None:
        """A message that fails the envelope check is answered to its device: as a reply if its
        type and id are readable, else as `message.refused` (there is no id to put in `re`)."""
        if self.hall.device_role(device) is None:
            return
        try:
            if len(payload) > 2 * envelope.MAX_BYTES:
                raise ValueError("too large to look for an id")
            obj = json.loads(payload)
            if not isinstance(obj["id"], str) or not 0 < len(obj["id"]) <= 64:
                raise ValueError("no usable id")
            request = envelope.Message(type=obj["type"], id=obj["id"], ts=obj.get("ts", ""))
            reply = envelope.encode(envelope.make_reply(request, ok=False, error=(code, text)))
        except Exception:  # noqa: BLE001 - not even an id to answer to
            body = {"code": code, "reason": text[:200], "size": len(payload)}
            reply = envelope.encode(envelope.make_message("message.refused", body))
        replies.append((device, reply))

    def _reply(self, item: Pending) -> bytes | None:
        spec = messages.CATALOGUE[item.type]
        if item.type == "calls.ack":
            self.display_acks[item.device] = max(self.display_acks.get(item.device, 0), item.body["seq"])
        if not spec.replied:
            return None
        refused = requests.refusal_of(item.type, item.results)
        if refused is not None:
            reply = envelope.make_reply(item.message, ok=False, error=(refused.code, refused.message))
        else:
            body = requests.reply_body(
                item.type, item.results, item.device, item.role, self.hall, self.engine, self.status_url
            )
            reply = envelope.make_reply(item.message, body)
            if "view" in body:
                self._views[body["view"]["counter"]] = body["view"]
        return envelope.encode(reply)

    def _remember(self, device: str, message_id: str, reply: bytes) -> None:
        self.recent[(device, message_id)] = reply
        if len(self.recent) > RECENT_IDS:
            self.recent.popitem(last=False)

    def _device_report(self, device: str, payload: bytes):
        if self.hall.device_role(device) is None:
            log.warning("state from unknown device %s ignored", device)
            return None
        try:
            message = envelope.decode(payload)
            body = messages.check(message)
            if message.type != "device.state":
                raise ProtocolError("bad_field", f"a state topic carries device.state, not {message.type}")
        except ProtocolError as e:
            log.warning("%s published a bad state: %s", device, e.message)
            return None
        return c.ReportDevice(device, body["online"], body.get("paper", "ok"), body.get("fault"))

    # --- time and announcements -------------------------------------------------------------

    def _tick(self, now: float) -> None:
        events = self.durable.tick(now)
        if events:
            try:
                self.durable.commit()
            except StorageUnavailable as e:
                self._storage.failed(e)  # undone: the same time comes again at the next tick
                return
            self._storage.fine()
            self._announce(events)

    def _announce(self, events: list) -> None:
        for out in effects.announcements(self.hall, events):
            self.client.publish(out.topic, envelope.encode(out.message), qos=out.qos, retain=out.retain)
        if events:
            self._board_dirty = True
            self._live_dirty = self._live_view is not None
            if any(type(e) not in QUIET_FOR_COUNTERS for e in events):
                self._push_views()

    def _push_views(self) -> None:
        for caller in self.hall.callers.values():
            view = views.counter_view(self.engine, caller.counter)
            if self._views.get(caller.counter) != view:
                self._views[caller.counter] = view
                message = envelope.make_message("counter.view", {"view": view})
                self.client.publish(topics.device_down(self.hall.id, caller.id), envelope.encode(message), qos=1)

    def _publish_board(self, now: float) -> None:
        board = views.fit_board(views.board(self.engine), envelope.MAX_BYTES - 512)  # room for the envelope
        text = json.dumps(board, sort_keys=True, ensure_ascii=False)
        self._board_dirty = False
        self._board_at = now
        if text == self._board:
            return
        self._board = text
        message = envelope.make_message("board.snapshot", board)
        self.client.publish(topics.board(self.hall.id), envelope.encode(message), qos=1, retain=True)

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
        return self.hall.ticket_url + views.status_token(self.secret, ticket_id)

    def _controller_state(self, online: bool) -> bytes:
        since = views.rfc3339(self._started_at if online else self.clock())
        return envelope.encode(envelope.make_message("controller.state", {"online": online, "since": since}))
