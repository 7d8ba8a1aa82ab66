"""The controller's handling of messages, sans-I/O: a batch in, what to publish out.

`HallSession` is what the gateway hands every batch to (h11's `Connection`, for the hall): the
devices' messages as they came off the broker (topic, payload bytes) and the staff's commands,
with the time. It checks each message (topic, device, role, envelope, fields), drops duplicates
(by device and message id, remembered in the journal, so a message re-sent after a restart still
counts once), applies the batch to the engine, journals it with its replies in one commit (one
fsync however large the batch), and only then returns what to publish: replies, calls (gap-free
sequence numbers), rating prompts, alerts and counter views. Commit before publish is kept here,
not left to the caller: nothing this returns can announce what the journal does not hold. Bad
input of any kind gets an error reply where there is someone to reply to, a log line, and
changes nothing.

`tick(now)` runs the engine's timers (once every TICK_S); `board(now)` gives the retained board
when it changed (at most every BOARD_EVERY_S); `reconnected()` makes the next `board` give it
again whatever it was, since the broker may have lost its retained copy.

No broker, socket, thread or clock here: the time is always an argument. The gateway drives it
live; tests drive it with devices wired in memory (tests/controller/pair.py).
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from hall.config import Hall
from hall_controller import effects, requests, views
from hall_controller.durable import DurableEngine, Result, StorageUnavailable
from hall_controller.engine import Refused
from hall_controller.engine import commands as c
from hall_controller.engine import events as ev
from protocol import envelope, messages, topics
from protocol.envelope import ProtocolError

log = logging.getLogger("hall.controller")

RECENT_IDS = 2_000  # replies kept in memory for duplicates; older ones are read from the journal
TICK_S = 1.0
BOARD_EVERY_S = 0.1  # the retained board is republished at most this often
UNAVAILABLE = "unavailable"  # the error code of requests refused while the journal cannot be written
SAY_AGAIN_S = 60.0  # how often a lasting storage trouble is logged again

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


@dataclass(frozen=True)
class Publication:
    """One message for the broker, as the session wants it sent."""

    topic: str
    payload: bytes
    qos: int = 0
    retain: bool = False


@dataclass(frozen=True)
class Round:
    """What one batch came to: what to publish (already journalled), and one result per command."""

    publications: list[Publication]
    results: list[Result]


class StorageTrouble:
    """One log line when the journal cannot be written, then one a minute while it lasts (not a
    traceback a round), and one when it is written again."""

    def __init__(self) -> None:
        self.since: float | None = None
        self.said_at = 0.0
        self.refused = 0

    def failed(self, trouble: Exception, now: float) -> None:
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


class HallSession:
    """The controller's side of the conversation with the hall's devices, for one engine and journal.

    `started_at` is the controller's start (what `controller.state` says it has been online since).
    `changes` grows whenever the engine's state changed, so a caller can tell when to rebuild
    what it shows of the hall.
    """

    def __init__(self, hall: Hall, durable: DurableEngine, *, secret: bytes, started_at: float) -> None:
        self.hall = hall
        self.durable = durable
        self.engine = durable.engine
        self.secret = secret
        self.started_at = started_at
        self.recent: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self.display_acks: dict[str, int] = {}
        self.changes = 0
        self.next_tick = 0.0
        self._views: dict[int, dict] = {}
        self._board: str | None = None
        self._board_dirty = True
        self._board_at = 0.0
        self._storage = StorageTrouble()

    # --- what the gateway calls ---------------------------------------------------------------

    def receive(self, batch: Sequence[tuple[str, bytes]], now: float, commands: Sequence = ()) -> Round:
        """Take one batch: the devices' messages (topic, payload) and the staff's engine commands.

        Everything is applied and journalled in one commit before this returns; the publications
        are then safe to send. `results` has one `Result` per command, in order. Raises only on
        our own bug (the batch is then not journalled, and nothing is to be published).
        """
        pending: list[Pending] = []
        in_batch: dict[tuple[str, str], Pending] = {}
        device_reports: list = []
        replies: list[tuple[str, bytes]] = []
        duplicates: list[tuple[str, str]] = []
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
            item = self._accept(route.device, payload, replies, now)
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

        applied = [(cmd, now) for cmd in device_reports]
        for item in pending:
            applied += [(cmd, now) for cmd in item.commands]
        applied += [(command, now) for command in commands]
        results = self._apply_and_commit(applied, pending, replies, len(device_reports), now)
        for key in duplicates:
            reply = self.recent.get(key)
            if reply is not None:
                replies.append((key[0], reply))

        # QoS 0: devices use clean sessions, so the broker would drop a QoS 1 reply to a device
        # that is gone just the same; a device that misses its reply asks again and gets the
        # journalled one. QoS 1 would only add an acknowledgement to process per reply.
        out = [Publication(topics.device_down(self.hall.id, device), reply, qos=0) for device, reply in replies]
        try:
            out += self._announce([e for r in results for e in r.events], now)
        except Exception:  # our own bug, after the commit: the replies still go out
            log.exception("the controller hit an internal error announcing a batch; carrying on")
        return Round(out, results[len(results) - len(commands) :] if commands else [])

    def tick(self, now: float) -> list[Publication]:
        """The engine's timers, when due (every TICK_S): journalled before they are announced."""
        if now < self.next_tick:
            return []
        self.next_tick = now + TICK_S
        return self._tick(now)

    def board(self, now: float) -> list[Publication]:
        """The retained board, if it changed (looked at no more than every BOARD_EVERY_S)."""
        if self._board_dirty and now - self._board_at >= BOARD_EVERY_S:
            return self._publish_board(now)
        return []

    def reconnected(self) -> None:
        """The broker connection is new: the next `board` is given again, changed or not (a
        restarted broker may have lost its retained copy, and a screen must find one)."""
        self._board = None
        self._board_dirty = True

    def controller_state(self, online: bool, now: float) -> Publication:
        """The retained presence of the controller (online since its start, or offline from now)."""
        since = views.rfc3339(self.started_at if online else now)
        message = envelope.make_message("controller.state", {"online": online, "since": since}, now=now)
        return Publication(topics.controller_state(self.hall.id), envelope.encode(message), qos=1, retain=True)

    def status_url(self, ticket_id: str) -> str:
        return self.hall.ticket_url + views.status_token(self.secret, ticket_id)

    # --- one batch --------------------------------------------------------------------------

    def _apply_and_commit(
        self, commands: list, pending: list[Pending], replies: list, position: int, now: float
    ) -> list[Result]:
        results = self.durable.apply(commands)
        made = []
        for item in pending:
            item.results = results[position : position + len(item.commands)]
            position += len(item.commands)
            reply = self._reply(item, now)
            if reply is not None:
                self.durable.remember_reply(item.device, item.message.id, reply.decode())
                made.append((item, reply))
        try:
            self.durable.commit()
        except StorageUnavailable as e:
            return self._unavailable(e, commands, pending, replies, now)
        self._storage.fine()
        for item, reply in made:  # remembered only once journalled: a retry after a failure is new
            self._remember(item.device, item.message.id, reply)
            replies.append((item.device, reply))
        return results

    def _unavailable(
        self, trouble: StorageUnavailable, commands: list, pending: list[Pending], replies: list, now: float
    ) -> list[Result]:
        """The batch was undone (see DurableEngine.commit): every request is refused `unavailable`
        (nothing was done; asking again later is safe), the web's commands too."""
        self._storage.failed(trouble, now)
        refusal = Refused(
            UNAVAILABLE,
            "the hall controller cannot write its journal just now (its disk is full "
            "or failing); nothing was done: please try again shortly",
        )
        for item in pending:
            if messages.CATALOGUE[item.type].replied:
                reply = envelope.make_reply(item.message, ok=False, error=(refusal.code, refusal.message), now=now)
                replies.append((item.device, envelope.encode(reply)))
        return [Result(refused=refusal) for _ in commands]

    def _accept(self, device: str, payload: bytes, replies: list, now: float) -> Pending | None:
        """Check a device's message; on any problem, queue an error reply where possible."""
        role = self.hall.device_role(device)
        try:
            message = envelope.decode(payload)
        except ProtocolError as e:
            log.warning("%s sent a bad message: %s", device, e.message)
            self._best_effort_error(device, payload, e.code, e.message, replies, now)
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
                reply = envelope.encode(envelope.make_reply(message, ok=False, error=(e.code, e.message), now=now))
                self._remember(device, message.id, reply)
                replies.append((device, reply))
            return None

    def _best_effort_error(self, device: str, payload: bytes, code: str, text: str, replies: list, now: float) -> None:
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
            reply = envelope.encode(envelope.make_reply(request, ok=False, error=(code, text), now=now))
        except Exception:  # noqa: BLE001 - not even an id to answer to
            body = {"code": code, "reason": text[:200], "size": len(payload)}
            reply = envelope.encode(envelope.make_message("message.refused", body, now=now))
        replies.append((device, reply))

    def _reply(self, item: Pending, now: float) -> bytes | None:
        spec = messages.CATALOGUE[item.type]
        if item.type == "calls.ack":
            self.display_acks[item.device] = max(self.display_acks.get(item.device, 0), item.body["seq"])
        if not spec.replied:
            return None
        refused = requests.refusal_of(item.type, item.results)
        if refused is not None:
            reply = envelope.make_reply(item.message, ok=False, error=(refused.code, refused.message), now=now)
        else:
            body = requests.reply_body(
                item.type, item.results, item.device, item.role, self.hall, self.engine, self.status_url
            )
            reply = envelope.make_reply(item.message, body, now=now)
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

    def _tick(self, now: float) -> list[Publication]:
        events = self.durable.tick(now)
        if not events:
            return []
        try:
            self.durable.commit()
        except StorageUnavailable as e:
            self._storage.failed(e, now)  # undone: the same time comes again at the next tick
            return []
        self._storage.fine()
        return self._announce(events, now)

    def _announce(self, events: list, now: float) -> list[Publication]:
        out = [
            Publication(a.topic, envelope.encode(a.message), qos=a.qos, retain=a.retain)
            for a in effects.announcements(self.hall, events, now)
        ]
        if events:
            self._board_dirty = True
            self.changes += 1
            if any(type(e) not in QUIET_FOR_COUNTERS for e in events):
                out += self._push_views(now)
        return out

    def _push_views(self, now: float) -> list[Publication]:
        out = []
        for caller in self.hall.callers.values():
            view = views.counter_view(self.engine, caller.counter)
            if self._views.get(caller.counter) != view:
                self._views[caller.counter] = view
                message = envelope.make_message("counter.view", {"view": view}, now=now)
                out.append(Publication(topics.device_down(self.hall.id, caller.id), envelope.encode(message), qos=1))
        return out

    def _publish_board(self, now: float) -> list[Publication]:
        board = views.fit_board(views.board(self.engine), envelope.MAX_BYTES - 512)  # room for the envelope
        text = json.dumps(board, sort_keys=True, ensure_ascii=False)
        self._board_dirty = False
        self._board_at = now
        if text == self._board:
            return []
        self._board = text
        message = envelope.make_message("board.snapshot", board, now=now)
        return [Publication(topics.board(self.hall.id), envelope.encode(message), qos=1, retain=True)]
