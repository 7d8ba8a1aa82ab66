"""The calling screen's rule book: the controller's messages in, what to show and what to say out.

`DisplayMachine` is pure: no MQTT, no pygame, no threads, no clock of its own (every method takes
`now`, seconds since the epoch on the screen's clock). The program (`devices.display.program`)
feeds it the messages its link receives and the announcer's "done" reports, asks it for the
`BoardState` to draw, and sends the acknowledgements and announcements it hands back.

The calls, by their gap-free sequence number (`seq`):

- A `call.made` with the next number is shown at once and handed to the announcer (in order; the
  announcer speaks one at a time). A number seen before is a duplicate and changes nothing.
- A number further ahead means calls were missed (the screen was offline, say): the call waits
  while the missing ones are taken from the board snapshot's recent calls, then all of them are
  shown and announced in order (the announcer skips any too old to be worth saying). A missing call
  the board no longer holds, or one no board brings within `gap_wait_s`, is lost: the rest go on.
- A board whose `call_seq` is ahead of the screen is the same gap, refilled the same way.
- The first board after a start is the baseline: its calls were made before this screen started,
  so they are shown, never announced. A board *behind* the screen that was sent after the newest
  call the screen knows (a controller started on an empty journal) is a new baseline too.
- `acknowledge()` gives the highest number up to which every call has been shown and has left the
  announcer (spoken, failed, or skipped as stale), with the reports since the last: the screen
  sends it as `calls.ack`.

Incidents: the controller's retained `controller.state` saying `online: false` (its last will after
a crash) puts the screen in incident mode, since the time it went down, until it says online
again; so does losing the broker itself for longer than `broker_grace_s`, and the board's own
`incident` field (set by staff: `{"since", "expected_back", "message": {"zh", "en"}}`, each
optional).

Bad input (a message that fails its catalogue check, a board with a name where a ticket number
belongs) raises `BadMessage` and changes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from devices.display.announcer import Announced, BadCall, CallEvent
from devices.display.board import (
    MAX_RECENT,
    BoardError,
    BoardState,
    CounterView,
    CurrentCall,
    Incident,
    RecentCall,
    ServiceWaiting,
)
from hall.config import Display, Hall, Names
from protocol import messages
from protocol.envelope import Message, ProtocolError, format_epoch, parse_ts
from protocol.messages import CALLS_PER_ACK
from protocol.topics import Kind

log = logging.getLogger(__name__)

KEEP_CALLS = 2 * (MAX_RECENT + 1)  # calls remembered for the screen (and to check a board against)
EXPECTED = {Kind.CALLS: "call.made", Kind.BOARD: "board.snapshot", Kind.CONTROLLER_STATE: "controller.state"}


@dataclass(frozen=True)
class Acknowledge:
    """Send `calls.ack`: every call up to `seq` is shown and done with; `calls`: what the screen did
    with each call since the last ack (as the message carries them; empty: leave the field out)."""

    seq: int
    calls: tuple[dict[str, Any], ...] = ()


class BadMessage(ValueError):
    """A message the screen cannot use; nothing was changed by it."""


@dataclass(frozen=True)
class KnownCall:
    """A call as the screen keeps it. `seen` is when this screen learned of it (its own clock), or
    None for a call that was already old then (the start-up board): old calls never blink."""

    seq: int
    label: str
    counter: int
    at: float  # when the controller made it (epoch seconds)
    recall: bool
    seen: float | None

    def event(self) -> CallEvent:
        return CallEvent(self.seq, self.label, self.counter, self.at, self.recall, self.seen)


@dataclass(frozen=True)
class CounterSeen:
    """One counter as the board tells it."""

    number: int
    state: str
    reason: str | None
    ticket: str | None
    clerk: str | None = None
    serving: bool = False  # the clerk has started serving `ticket`


@dataclass(frozen=True)
class Snapshot:
    """A board snapshot, checked through: every ticket number, count and name is one the screen may show."""

    call_seq: int
    calls: tuple[KnownCall, ...]  # oldest first
    waiting: tuple[ServiceWaiting, ...]
    counters: Mapping[int, CounterSeen]
    notice: Names
    incident: Incident | None
    sent: float  # the message's own time (epoch seconds)


class DisplayMachine:
    """One calling screen's state. `announce=False`: the screen has no voice (calls count as
    done as soon as they are shown). `notice_scrolls(names)` says whether a notice is too long for
    the band (the renderer knows); `notice_speed` is in pixels a second, advanced in steps of
    `scroll_step_s` (None: the notice never moves)."""

    def __init__(
        self,
        hall: Hall,
        display: Display,
        *,
        announce: bool = True,
        blink_s: float = 6.0,
        blink_period_s: float = 1.0,
        notice_scrolls: Callable[[Names], bool] = lambda notice: False,
        notice_speed: float = 80.0,
        scroll_step_s: float | None = 1 / 30,
        broker_grace_s: float = 20.0,
        gap_wait_s: float = 5.0,
        started: float = 0.0,
    ):
        self.hall = hall
        self.display = display
        self.counter_mode = display.mode == "counter"
        self.announce = announce
        self.blink_s, self.blink_period_s = blink_s, blink_period_s
        self._notice_scrolls = notice_scrolls
        self._scrolls_cache: dict[Names, bool] = {}
        self.notice_speed = notice_speed
        self.scroll_step_s = scroll_step_s
        self.broker_grace_s = broker_grace_s
        self.gap_wait_s = gap_wait_s

        self.last_seq: int | None = None  # every call up to here is known (None: no baseline yet)
        self.calls: dict[int, KnownCall] = {}  # the newest KEEP_CALLS
        self.held: dict[int, KnownCall] = {}  # calls that came ahead of a gap
        self.gap_since: float | None = None
        self.voice_pending: set[int] = set()  # handed to the announcer, not yet done
        self.acked = 0
        self.reports: list[dict[str, Any]] = []  # what was done with each call, for the next ack
        # zones: a counter whose own counter-mode screen has a voice hears its calls from there
        self.zoned = frozenset(
            d.counter
            for d in hall.displays.values()
            if d.mode == "counter" and d.voice not in (None, "none") and d.id != display.id
        )
        self.board: Snapshot | None = None
        self.notice = hall.notice
        self.notice_since = started
        self.counter_ticket: tuple[str | None, float | None] = (None, None)  # counter mode: (label, seen)
        self.controller_online: bool | None = None
        self.controller_down_since: float | None = None
        self.broker_down_since: float | None = None

    # --- what comes in ---------------------------------------------------------------------------

    def receive(self, kind: Kind | str, message: Message, now: float) -> list[CallEvent]:
        """Take one message from the link; returns the calls to hand to the announcer, in order.
        Raises BadMessage (and changes nothing) for a message the screen cannot use."""
        kind = Kind(kind)
        expected = EXPECTED.get(kind)
        if expected is None:
            return []  # the down topic: nothing is asked of a screen
        if message.type != expected:
            raise BadMessage(f"a {message.type} on the {kind.value} topic; expected {expected}")
        try:
            body = messages.check(message)
        except ProtocolError as e:
            raise BadMessage(f"{message.type} {message.id}: {e.message}") from None
        if kind is Kind.CALLS:
            return self._call_made(_call(body, now, "call.made"), now)
        if kind is Kind.BOARD:
            return self._board(_snapshot(body, message, now, self.hall.tz), now)
        return self._controller_state(body, now)

    def connection(self, connected: bool, now: float) -> None:
        """The link to the broker is up or down (polled by the loop)."""
        if connected:
            self.broker_down_since = None
        elif self.broker_down_since is None:
            self.broker_down_since = now

    def done(self, seq: int, report: Announced | None = None) -> None:
        """The announcer has finished with a call: spoken, shown only, or skipped (the report says
        which, and is sent with the next ack)."""
        self.voice_pending.discard(seq)
        if report is not None:
            self._report(seq, report.outcome, report.started, report.ended, report.reason)

    def take_reports(self) -> list[dict[str, Any]]:
        """What this screen did with each call since the last time, as `calls.ack` carries it
        (at most CALLS_PER_ACK; the rest wait for the next ack)."""
        out, self.reports = self.reports[:CALLS_PER_ACK], self.reports[CALLS_PER_ACK:]
        return out

    def _report(
        self, seq: int, outcome: str, started: float | None, ended: float | None, reason: str | None = None
    ) -> None:
        entry: dict[str, Any] = {"seq": seq, "outcome": outcome}
        if started is not None:
            entry["started"] = format_epoch(started)
        if ended is not None:
            entry["ended"] = format_epoch(ended)
        if reason:
            entry["reason"] = reason[:200]
        self.reports.append(entry)

    def tick(self, now: float) -> list[CallEvent]:
        """Let time pass: a gap no board has filled within `gap_wait_s` is given up."""
        if self.held and self.gap_since is not None and now - self.gap_since >= self.gap_wait_s:
            first = min(self.held)
            log.warning(
                "calls %d to %d never arrived; going on from call %d", (self.last_seq or 0) + 1, first - 1, first
            )
            self.last_seq = first - 1
            return self._drain_held(now)
        return []

    def acknowledge(self) -> list[Acknowledge]:
        """What to send as `calls.ack` now that the frame is shown and the calls are offered to the
        announcer: one `Acknowledge` when a new call is done or there is something to report, else none."""
        ack = self.take_ack()
        if ack is None and not self.reports:  # a report goes at once, even before its call is done
            return []
        return [Acknowledge(self.acked, tuple(self.take_reports()))]

    def take_ack(self) -> int | None:
        """The sequence number to acknowledge now (every call up to it shown and announced), or
        None when there is nothing new to acknowledge."""
        if self.last_seq is None:
            return None
        upto = min(self.voice_pending) - 1 if self.voice_pending else self.last_seq
        if upto <= self.acked:
            return None
        self.acked = upto
        return upto

    # --- calls -----------------------------------------------------------------------------------

    def _call_made(self, call: KnownCall, now: float) -> list[CallEvent]:
        if self.last_seq is None:  # a live call before any board: it is the baseline
            self.last_seq = call.seq - 1
        if call.seq <= self.last_seq or call.seq in self.held:
            return []  # a duplicate (QoS 1 redelivery, or refilled already)
        if call.seq > self.last_seq + 1:
            self.held[call.seq] = call
            if self.gap_since is None:
                self.gap_since = now
            log.info("call %d came after call %d: refilling the gap from the board", call.seq, self.last_seq)
            return self._refill(now)
        return self._accept(call) + self._drain_held(now)

    def _accept(self, call: KnownCall) -> list[CallEvent]:
        """Show a call (the next in sequence) and say whether it is to be announced."""
        self.last_seq = call.seq
        self._remember(call)
        if self.counter_mode and call.counter == self.display.counter:
            self.counter_ticket = (call.label, call.seen)
        ours = not self.counter_mode or call.counter == self.display.counter
        if not ours:
            return []
        # shown now (the controller starts the clocks from here if no screen says it in time);
        # what the voice did follows when the announcer is done with it
        zoned = not self.counter_mode and call.counter in self.zoned
        self._report(
            call.seq,
            "shown",
            call.seen,
            call.seen,
            "announced at its counter by that counter's own screen" if self.announce and zoned else None,
        )
        if not self.announce or zoned:
            return []
        self.voice_pending.add(call.seq)
        return [call.event()]

    def _drain_held(self, now: float) -> list[CallEvent]:
        out: list[CallEvent] = []
        assert self.last_seq is not None
        while self.last_seq + 1 in self.held:
            out += self._accept(self.held.pop(self.last_seq + 1))
        if self.held:
            out += self._refill(now)
        else:
            self.gap_since = None
        return out

    def _refill(self, now: float) -> list[CallEvent]:
        """Fill the gap after `last_seq` from the board we have, as far as it goes."""
        board = self.board
        assert self.last_seq is not None
        if board is None or board.call_seq <= self.last_seq:
            return []  # the board does not know more yet: wait for the next
        by_seq = {c.seq: c for c in board.calls}
        out: list[CallEvent] = []
        upto = max([board.call_seq, *self.held])
        while self.last_seq < upto:
            seq = self.last_seq + 1
            known = self.held.pop(seq, None) or by_seq.get(seq)
            if known is not None:
                out += self._accept(
                    KnownCall(
                        known.seq,
                        known.label,
                        known.counter,
                        known.at,
                        known.recall,
                        known.seen if known.seen is not None else now,
                    )
                )
            elif seq <= board.call_seq:  # older than anything the board still lists: lost
                found = [n for n in (*by_seq, *self.held) if n > seq]
                last_lost = min(board.call_seq, min(found) - 1) if found else board.call_seq
                log.warning("calls %d to %d were missed and the board no longer lists them", seq, last_lost)
                self.last_seq = last_lost
            else:
                break  # a later board may bring it
        if not self.held:
            self.gap_since = None
        return out

    def _remember(self, call: KnownCall) -> None:
        self.calls[call.seq] = call
        while len(self.calls) > KEEP_CALLS:
            del self.calls[min(self.calls)]

    # --- the board and the controller ----------------------------------------------------------------

    def _board(self, board: Snapshot, now: float) -> list[CallEvent]:
        out: list[CallEvent] = []
        if self.last_seq is None or self._is_new_baseline(board):
            if self.last_seq is not None:
                log.warning(
                    "the board says call %d, this screen has seen call %d: the controller started "
                    "afresh; showing its calls without announcing them",
                    board.call_seq,
                    self.last_seq,
                )
            self.calls = {c.seq: dataclasses.replace(c, seen=None) for c in board.calls}  # old: no blink
            self.held.clear()
            self.gap_since = None
            self.voice_pending.clear()
            self.last_seq = board.call_seq
            self.acked = 0
            if self.counter_mode:
                self.counter_ticket = (None, None)
            self.board = board
        else:
            self.board = board
            for c in board.calls:  # older calls this screen never saw: history, not news
                if (
                    c.seq <= self.last_seq
                    and c.seq not in self.calls
                    and (len(self.calls) < KEEP_CALLS or c.seq > min(self.calls))
                ):
                    self._remember(dataclasses.replace(c, seen=None))
            if board.call_seq > self.last_seq:
                out = self._refill(now)
        if board.notice != self.notice:
            self.notice, self.notice_since = board.notice, now
        if self.counter_mode:
            seen = board.counters.get(self.display.counter or 0)
            if seen is not None and seen.ticket != self.counter_ticket[0]:
                self.counter_ticket = (seen.ticket, None)
        return out

    def _is_new_baseline(self, board: Snapshot) -> bool:
        """A board behind this screen: a controller started afresh (its board was sent after the
        newest call this screen knows was made), or only a board older than a live call (sent
        before it: the retained board can arrive just after the first live call)."""
        assert self.last_seq is not None
        if board.call_seq >= self.last_seq:
            return False
        newest = max(self.calls.values(), key=lambda c: c.seq, default=None)
        return newest is None or board.sent > newest.at

    def _controller_state(self, body: Mapping[str, Any], now: float) -> list[CallEvent]:
        if body["online"]:
            self.controller_online = True
            self.controller_down_since = None
            return []
        if self.controller_online is False:
            return []  # still down: keep the time it went down
        if self.controller_online is None:
            # Down before this screen started: its own `since` is the best we know (a last will
            # carries the time it was set), or the last board it published, if that is later.
            since = _epoch(parse_ts(body["since"]))
            if self.board is not None:
                since = max(since, self.board.sent)
            self.controller_down_since = min(since, now)
        else:
            self.controller_down_since = now
        self.controller_online = False
        return []

    # --- what goes out ------------------------------------------------------------------------

    def incident(self, now: float) -> Incident | None:
        if self.board is not None and self.board.incident is not None:
            return self.board.incident
        down = self.controller_down_since
        if self.broker_down_since is not None and now - self.broker_down_since >= self.broker_grace_s:
            down = self.broker_down_since if down is None else min(down, self.broker_down_since)
        if down is None:
            return None
        return Incident(since=dt.datetime.fromtimestamp(down, self.hall.tz))

    def state(self, now: float) -> BoardState:
        """What the screen shows at `now`. Equal states draw equal pictures, so the loop redraws
        only when this changes (the clock by the minute, the blink by its phase, the notice by its step)."""
        tz = self.hall.tz
        clock = dt.datetime.fromtimestamp(math.floor(now / 60) * 60, tz)
        incident = self.incident(now)
        if self.counter_mode:
            return BoardState(
                hall_name=self.hall.names,
                now=clock,
                mode="counter",
                counter=self._counter_view(),
                incident=incident,
                blink_on=incident is None and self._blink(self.counter_ticket[1], now),
            )
        ordered = sorted(self.calls.values(), key=lambda c: c.seq, reverse=True)
        current = None
        recent: list[RecentCall] = []
        if ordered:
            newest = ordered[0]
            current = CurrentCall(
                newest.label,
                newest.counter,
                self._counter_name(newest.counter),
                dt.datetime.fromtimestamp(newest.at, tz),
                newest.recall,
            )
            shown = {newest.label}
            for c in ordered[1:]:
                if c.label not in shown and len(recent) < MAX_RECENT:
                    shown.add(c.label)
                    recent.append(RecentCall(c.label, c.counter))
        return BoardState(
            hall_name=self.hall.names,
            now=clock,
            mode="hall",
            current=current,
            recent=tuple(recent),
            waiting=self.board.waiting if self.board is not None else (),
            notice=self.notice,
            notice_offset=self._notice_offset(now),
            incident=incident,
            blink_on=incident is None and bool(ordered) and self._blink(ordered[0].seen, now),
        )

    def next_change(self, now: float) -> float:
        """The next moment `state` may change by itself (with no message coming)."""
        times: list[float] = [math.floor(now / 60) * 60 + 60]
        seen = self.counter_ticket[1] if self.counter_mode else self._newest_seen()
        if seen is not None and now - seen < self.blink_s:
            half = self.blink_period_s / 2
            times.append(seen + min(self.blink_s, (math.floor((now - seen) / half) + 1) * half))
        if self._scrolling():
            step = self.scroll_step_s
            assert step is not None
            times.append(self.notice_since + (math.floor((now - self.notice_since) / step) + 1) * step)
        if self.broker_down_since is not None and now - self.broker_down_since < self.broker_grace_s:
            times.append(self.broker_down_since + self.broker_grace_s)
        if self.held and self.gap_since is not None:
            times.append(self.gap_since + self.gap_wait_s)
        return min(times)

    # --- helpers --------------------------------------------------------------------------------

    def _newest_seen(self) -> float | None:
        if not self.calls:
            return None
        return self.calls[max(self.calls)].seen

    def _blink(self, seen: float | None, now: float) -> bool:
        if seen is None:
            return False
        age = now - seen
        if age < 0 or age >= self.blink_s:
            return False
        return (age % self.blink_period_s) < self.blink_period_s / 2

    def _scrolling(self) -> bool:
        if self.counter_mode or self.scroll_step_s is None:
            return False
        scrolls = self._scrolls_cache.get(self.notice)
        if scrolls is None:
            scrolls = self._scrolls_cache[self.notice] = bool(self._notice_scrolls(self.notice))
        return scrolls

    def _notice_offset(self, now: float) -> int:
        if not self._scrolling():
            return 0
        step = self.scroll_step_s
        assert step is not None
        steps = max(0, math.floor((now - self.notice_since) / step))
        return int(steps * step * self.notice_speed)

    def _counter_name(self, number: int) -> Names:
        counter = self.hall.counters.get(number)
        return counter.names if counter is not None else Names(f"{number}号窗口", f"Counter {number}")

    def _counter_view(self) -> CounterView:
        number = self.display.counter
        assert number is not None
        seen = self.board.counters.get(number) if self.board is not None else None
        if seen is not None:
            state, reason, clerk = seen.state, seen.reason, seen.clerk
        else:  # the board lists only counters that are not closed; before any board, assume open
            state, reason, clerk = ("closed" if self.board is not None else "open"), None, None
        ticket = self.counter_ticket[0] if state == "open" else None
        # serving only once the board says so for this very ticket: a newer call is only called
        serving = ticket is not None and seen is not None and seen.ticket == ticket and seen.serving
        return CounterView(
            number,
            self._counter_name(number),
            state=state,
            ticket=ticket,
            pause_reason=reason,
            clerk=clerk,
            serving=serving,
        )


# --- reading the controller's messages -----------------------------------------------------------


def _epoch(moment: dt.datetime) -> float:
    return moment.timestamp()


def _call(raw: Any, now: float, where: str) -> KnownCall:
    """A call from a call.made body or a board's calls list; BadMessage if any field is wrong."""
    if not isinstance(raw, Mapping):
        raise BadMessage(f"{where}: a call is not an object")
    try:
        at = _epoch(parse_ts(raw["at"]))
        recall = raw.get("recall", False)
        if not isinstance(recall, bool):
            raise BadMessage(f"{where}: recall {recall!r} is not true or false")
        event = CallEvent(raw["seq"], raw["label"], raw["counter"], at, recall)
    except KeyError as e:
        raise BadMessage(f"{where}: a call without {e.args[0]!r}") from None
    except (ValueError, TypeError, BadCall) as e:
        raise BadMessage(f"{where}: {e}") from None
    if event.seq < 1:
        raise BadMessage(f"{where}: call sequence number {event.seq} is not 1 or more")
    return KnownCall(event.seq, event.label, event.counter, event.at, event.recall, now)


def _names(raw: Any, where: str) -> Names:
    if not isinstance(raw, Mapping):
        raise BadMessage(f"{where} is not an object with zh and en")
    zh, en = raw.get("zh", ""), raw.get("en", "")
    if not isinstance(zh, str) or not isinstance(en, str) or len(zh) > 500 or len(en) > 500:
        raise BadMessage(f"{where}: zh and en must be texts of at most 500 characters")
    return Names(zh, en)


def _optional_time(raw: Mapping[str, Any], key: str, where: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    try:
        return _epoch(parse_ts(value))
    except ValueError:
        raise BadMessage(f"{where}.{key}: {value!r} is not an RFC 3339 time") from None


def _snapshot(body: Mapping[str, Any], message: Message, now: float, tz: dt.tzinfo) -> Snapshot:
    where = f"board.snapshot {message.id}"
    try:
        calls = tuple(
            sorted((_call(c, now, f"{where} calls[{i}]") for i, c in enumerate(body["calls"])), key=lambda c: c.seq)
        )
        if calls and calls[-1].seq > body["call_seq"]:
            raise BadMessage(f"{where}: a call numbered {calls[-1].seq}, beyond call_seq {body['call_seq']}")
        waiting = tuple(_service(s, f"{where} services[{i}]") for i, s in enumerate(body["services"]))
        counters: dict[int, CounterSeen] = {}
        for i, c in enumerate(body["counters"]):
            if not isinstance(c, Mapping):
                raise BadMessage(f"{where} counters[{i}] is not an object")
            view = CounterView(  # checks each field: a wrong type raises BoardError or TypeError
                cast(int, c.get("number")),
                Names("", ""),
                state=cast(str, c.get("state")),
                ticket=c.get("ticket"),
                pause_reason=c.get("reason"),
                clerk=c.get("clerk"),
                serving=c.get("serving", False),
            )
            counters[view.number] = CounterSeen(
                view.number, view.state, view.pause_reason, view.ticket, view.clerk, view.serving
            )
    except (BoardError, TypeError) as e:
        raise BadMessage(f"{where}: {e}") from None
    sent = _epoch(message.time)
    incident = None
    raw = body["incident"]
    if raw is not None:
        since = _optional_time(raw, "since", f"{where} incident")
        back = _optional_time(raw, "expected_back", f"{where} incident")
        incident = Incident(
            since=dt.datetime.fromtimestamp(sent if since is None else since, tz),
            message=_names(raw.get("message", {}), f"{where} incident.message"),
            expected_back=None if back is None else dt.datetime.fromtimestamp(back, tz),
        )
    return Snapshot(
        body["call_seq"], calls, waiting, counters, _names(body["notice"], f"{where} notice"), incident, sent
    )


def _service(raw: Any, where: str) -> ServiceWaiting:
    if not isinstance(raw, Mapping):
        raise BadMessage(f"{where} is not an object")
    wait_s = raw.get("estimated_wait_s")
    if wait_s is not None and (
        isinstance(wait_s, bool) or not isinstance(wait_s, (int, float)) or not math.isfinite(wait_s) or wait_s < 0
    ):
        raise BadMessage(f"{where}: estimated wait {wait_s!r} is not seconds")
    return ServiceWaiting(  # checks each field: a wrong type raises BoardError or TypeError
        _names(raw.get("name"), f"{where}.name"),
        cast(str, raw.get("prefix")),
        cast(int, raw.get("waiting")),
        wait_s,
        no_counter_open=wait_s is None and raw.get("no_counter_open") is True,
    )
