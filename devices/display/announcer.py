"""Speak every call at least once, in call order, one at a time: the calling screen's voice queue.

Calls reach a screen over MQTT, sometimes twice (QoS 1 redelivery, a refill from the board
snapshot after a gap), sometimes in a burst (opening time, several clerks pressing "call next" at
once, the controller back after an outage). `CallQueue` is the pure rule book: a call is
identified by its sequence number, so a duplicate is dropped; pending calls are spoken lowest
sequence first; a call that reached the screen more than `max_age_s` after it was made is shown
on the screen but not spoken (after a long outage, "A023 to counter 5" twenty minutes late only
confuses the hall); a call that merely waited in the queue is always spoken. A recall is a new call event with its own sequence number, so it is spoken again.

`Announcer` runs the queue on one worker thread that feeds the speaker, so announcements never
overlap and the screen's main thread never waits for the voice. It keeps up with a burst by
shortening, never by dropping: with calls waiting behind the one being said, the repeat goes first
(`busy_repeats`, once), then with more waiting the English sentence, then the chime between calls
(`Shortening`). Every call leaves the queue with an `Announced` report, which the screen sends to
the controller: spoken (from when to when, and what was left out), shown only (a speaker that can
only chime), or skipped with the reason (too old, or the voice failed), each skip with a WARNING
in the log. A call started more than `behind_s` after it was made is logged as the screen falling
behind (the controller raises the alert from the report).

Ages are measured with the injected clock against the call's own time: give the announcer a
clock that agrees with the controller's (NTP on the Pi, or corrected by the offset seen in
message timestamps), or calls may be judged stale or fresh wrongly.
"""

from __future__ import annotations

import heapq
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from drivers.voice import Speaker, VoiceError, build_announcement
from drivers.voice.sentence import LABEL, MAX_COUNTER

log = logging.getLogger(__name__)


class BadCall(ValueError):
    """A call event that cannot be announced (not a ticket number, no counter, bad sequence number)."""


class AnnouncerStopped(RuntimeError):
    """The announcer's worker has stopped; `__cause__` is the error that stopped it, if any."""


@dataclass(frozen=True)
class CallEvent:
    seq: int  # the controller's gap-free call sequence number
    label: str  # "A023"
    counter: int
    at: float  # when the call was made, seconds since the epoch
    recall: bool = False
    received: float | None = None  # when this screen got it (None: now, as it is offered)

    def __post_init__(self) -> None:
        if isinstance(self.seq, bool) or not isinstance(self.seq, int) or self.seq < 0:
            raise BadCall(f"call sequence number {self.seq!r} is not a whole number >= 0")
        if not isinstance(self.label, str) or not LABEL.fullmatch(self.label):
            raise BadCall(f"call {self.seq}: {self.label!r} is not a ticket number like A023")
        if isinstance(self.counter, bool) or not isinstance(self.counter, int) or not 1 <= self.counter <= MAX_COUNTER:
            raise BadCall(f"call {self.seq}: counter {self.counter!r} is not 1-{MAX_COUNTER}")
        if isinstance(self.at, bool) or not isinstance(self.at, (int, float)):
            raise BadCall(f"call {self.seq}: time {self.at!r} is not a number of seconds")


class CallQueue:
    """Pending calls in sequence order; no threads, no clock of its own (time is an argument)."""

    def __init__(self, *, max_age_s: float = 180.0, remember: int = 10_000):
        self.max_age_s = max_age_s
        self._heap: list[tuple[int, CallEvent]] = []
        self._seen: set[int] = set()
        self._seen_order: deque[int] = deque()
        self._remember = remember
        self._stale: list[CallEvent] = []

    def offer(self, call: CallEvent) -> bool:
        """Queue a call; False (and nothing changes) if its sequence number was seen before."""
        if call.seq in self._seen:
            return False
        self._seen.add(call.seq)
        self._seen_order.append(call.seq)
        if len(self._seen_order) > self._remember:
            self._seen.discard(self._seen_order.popleft())
        heapq.heappush(self._heap, (call.seq, call))
        return True

    def next_call(self, now: float) -> CallEvent | None:
        """The pending call to speak now, lowest sequence first; stale ones are set aside. A call is
        stale when it reached the screen already old (refilled after an outage), never because it
        waited behind others in this queue: a backlog is shortened, not dropped."""
        while self._heap:
            _, call = heapq.heappop(self._heap)
            reached = call.received if call.received is not None else now
            if reached - call.at > self.max_age_s:
                self._stale.append(call)
                continue
            return call
        return None

    def take_stale(self) -> list[CallEvent]:
        """Calls dropped as too old since the last time this was asked."""
        stale, self._stale = self._stale, []
        return stale

    def __len__(self) -> int:
        return len(self._heap)


@dataclass(frozen=True)
class Shortening:
    """How many calls must wait behind the one being said before each part is left out: the
    repeat first, then the English sentence, then the chime between calls. The order of calls
    and the Chinese sentence with the ticket number are never given up."""

    repeat: int = 1
    english: int = 3
    chime: int = 5

    def __post_init__(self) -> None:
        if not 1 <= self.repeat <= self.english <= self.chime:
            raise ValueError(
                "shortening must drop the repeat first, then the English, then the chime (1 <= "
                f"repeat <= english <= chime), not {self.repeat}, {self.english}, {self.chime}"
            )


@dataclass(frozen=True)
class Announced:
    """What the announcer did with one call: `outcome` spoken (from `started` to `ended`), shown
    (the speaker only chimes) or skipped; `reason` says why it was skipped, or what was left out."""

    call: CallEvent
    outcome: str
    started: float
    ended: float
    reason: str | None = None

    @property
    def seq(self) -> int:
        return self.call.seq


class Announcer:
    """Feeds a speaker from a CallQueue on one worker thread. Use as a context manager."""

    def __init__(
        self,
        speaker: Speaker,
        clock: Callable[[], float],
        *,
        max_age_s: float = 180.0,
        repeats: int = 2,
        busy_repeats: int = 1,
        shortening: Shortening = Shortening(),
        behind_s: float = 60.0,
        on_done: Callable[[Announced], None] | None = None,
    ):
        build_announcement("A1", 1, repeats=repeats)  # refuse bad repeat counts now,
        build_announcement("A1", 1, repeats=busy_repeats)  # not at the first call
        self.speaker = speaker
        self.clock = clock
        self.repeats = repeats
        self.busy_repeats = busy_repeats
        self.shortening = shortening
        self.behind_s = behind_s
        self.on_done = on_done
        self.queue = CallQueue(max_age_s=max_age_s)
        self.announced = 0
        self.failed = 0
        self.skipped = 0
        self.shown = 0
        self._behind = False
        self._last_ended: float | None = None
        self._cond = threading.Condition()
        self._speaking = False
        self._stopping = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="announcer", daemon=True)

    def start(self) -> Announcer:
        self._thread.start()
        return self

    def __enter__(self) -> Announcer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def offer(self, call: CallEvent) -> bool:
        """Queue a call for speaking (thread-safe); False if it is a duplicate."""
        with self._cond:
            self._raise_if_stopped()
            fresh = self.queue.offer(call)
            if fresh:
                self._cond.notify_all()
            return fresh

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is queued or being spoken; False on timeout."""
        with self._cond:
            done = self._cond.wait_for(
                lambda: self._error is not None or (not self.queue and not self._speaking), timeout
            )
            self._raise_if_stopped()
            return done

    def close(self, timeout: float | None = None) -> None:
        """Stop after the announcement being spoken; calls still queued are dropped."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._error is not None:
            raise AnnouncerStopped("the announcer's worker failed") from self._error

    def _raise_if_stopped(self) -> None:
        if self._error is not None:
            raise AnnouncerStopped("the announcer's worker failed") from self._error
        if self._stopping:
            raise AnnouncerStopped("the announcer was closed")

    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    call = None
                    while not self._stopping:
                        call = self.queue.next_call(self.clock())
                        self._report_stale()
                        if call is not None:
                            break
                        self._last_ended = None  # the queue ran dry: the next call rings the chime again
                        self._cond.notify_all()  # idle: wake wait_idle()
                        self._cond.wait()
                    if self._stopping:
                        return
                    waiting = len(self.queue)
                    self._speaking = True
                assert call is not None
                self._done(self._speak(call, waiting))
                with self._cond:
                    self._speaking = False
                    self._cond.notify_all()
        except BaseException as e:  # a bug, not a voice problem: stop and let close()/offer() raise it
            log.exception("the announcer stopped")
            with self._cond:
                self._error = e
                self._speaking = False
                self._cond.notify_all()

    def _speak(self, call: CallEvent, waiting: int) -> Announced:
        """Say one call, shortened by how many wait behind it."""
        cut = self.shortening
        repeats = self.busy_repeats if waiting >= cut.repeat else self.repeats
        english = waiting < cut.english
        chime = waiting < cut.chime or self._last_ended is None  # the first call of a burst still rings
        left_out = {
            what
            for what, kept in (("the repeat", repeats >= self.repeats), ("English", english), ("the chime", chime))
            if not kept
        }
        announcement = build_announcement(
            call.label, call.counter, repeats=repeats, with_english=english, with_chime=chime
        )

        most = [waiting]

        def go_on(phrase, index: int) -> bool | None:
            """Calls that came in while this one is being said shorten what is left of it."""
            with self._cond:
                now_waiting = len(self.queue)
            most[0] = max(most[0], now_waiting)
            if phrase.language == "zh" and now_waiting >= cut.repeat:
                left_out.add("the repeat")
                return None
            if phrase.language == "en" and now_waiting >= cut.english:
                left_out.add("English")
                return False
            return True

        started = self.clock()
        try:
            prepared = self.speaker.prepare(announcement)
            started = self.clock()
            self._note_lag(call, started)
            self.speaker.play(prepared, go_on)
        except VoiceError as e:
            # The call is on the screen already; one failed announcement must not silence the day.
            self.failed += 1
            self._last_ended = None
            log.warning("call %s to counter %d (seq %d) was not spoken: %s", call.label, call.counter, call.seq, e)
            return Announced(call, "skipped", started, self.clock(), f"the voice failed: {e}"[:200])
        ended = self._last_ended = self.clock()
        if not self.speaker.speaks_numbers:
            self.shown += 1
            return Announced(call, "shown", started, ended, "the chime only: no voice is installed")
        self.announced += 1
        order = ("the repeat", "English", "the chime")
        reason = (
            f"shortened ({most[0]} calls waiting): without {', '.join(w for w in order if w in left_out)}"
            if left_out
            else None
        )
        return Announced(call, "spoken", started, ended, reason)

    def _note_lag(self, call: CallEvent, started: float) -> None:
        late = started - call.at
        if late > self.behind_s and not self._behind:
            log.warning(
                "the screen is %.0f s behind the calls (starting %s for counter %d, seq %d)",
                late,
                call.label,
                call.counter,
                call.seq,
            )
        self._behind = late > self.behind_s

    def _done(self, report: Announced) -> None:
        if self.on_done is not None:
            self.on_done(report)

    def _report_stale(self) -> None:
        now = self.clock()
        for call in self.queue.take_stale():
            self.skipped += 1
            age = now - call.at
            log.warning(
                "call %s to counter %d (seq %d) is %.0f s old: shown, not spoken",
                call.label,
                call.counter,
                call.seq,
                age,
            )
            self._done(Announced(call, "skipped", now, now, f"{age:.0f} s old when its turn came: shown, not spoken"))
