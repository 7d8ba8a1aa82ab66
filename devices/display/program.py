"""The calling screen as a running device: its link, its rule book, its painter, its voice, one loop.

`DisplayProgram` joins the pieces and owns nothing else:

- one `DeviceLink` (the board, the calls and the controller's state), whose messages land in a
  queue the loop reads: paho's thread never touches pygame;
- the `DisplayMachine` (pure, `machine.py`), which turns messages into a `BoardState`;
- a `BoardPainter` and a `Screen` (a window, fullscreen, or PNG frames), used from the main
  thread only, as SDL requires;
- an `Announcer` with its own worker thread; when it is done with a call it puts a note in the
  same queue, and the loop acknowledges the call to the controller.

The loop sleeps on that queue until a message comes or the picture is due to change by itself
(the minute, the blink, the scrolling notice), and draws a frame only when the state changed, so
an idle screen costs next to nothing; when only the notice scrolled, only its band is redrawn. It also wakes every `pump_s` to let SDL see window events
(Escape, the close button) and to notice a lost broker.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import queue
from collections.abc import Callable
from dataclasses import dataclass

import pygame

from devices.display.announcer import Announced, Announcer, CallEvent
from devices.display.board import BoardState
from devices.display.machine import BadMessage, DisplayMachine
from devices.display.render import BoardPainter
from devices.link import DeviceLink, Received
from devices.stepping import StepLoop
from drivers.screen import PngScreen, Screen
from drivers.voice import Speaker
from hall import clock as hall_clock
from hall.config import Display, Hall
from protocol.topics import Kind

log = logging.getLogger(__name__)

LISTEN = (Kind.BOARD, Kind.CALLS, Kind.CONTROLLER_STATE)


@dataclass(frozen=True)
class Spoken:
    """The announcer has finished with this call (put in the loop's queue from its thread)."""

    seq: int
    report: Announced | None = None


class DisplayProgram(StepLoop):
    """One calling screen. Use as `with DisplayProgram(...) as screen: screen.run()` on the main thread;
    `screen.stop()` (from a signal handler, say) makes `run` return within `pump_s`.

    `speaker=None`: a screen without a voice. `observer(state)` is called after each frame is
    shown (tests and benchmarks read what is on the screen from it). `scroll_step_s`: how often
    the notice moves (default: 30 times a second on a real screen, never on PNG frames, which are
    for looking at, not for watching).
    """

    drain = True  # every message waiting is taken before one frame is drawn
    step_s = run_step_s = wait_step_s = math.inf  # the picture's own changes, and pump_s, say when to wake

    def __init__(
        self,
        hall: Hall,
        display: Display,
        broker_url: str,
        screen: Screen,
        speaker: Speaker | None,
        *,
        repeats: int = 2,
        clock: Callable[[], float] = hall_clock.now,
        observer: Callable[[BoardState], None] | None = None,
        scroll_step_s: float | None | str = "auto",
        pump_s: float | None = None,
        max_age_s: float = 180.0,
        behind_s: float | None = None,
    ):
        if behind_s is None:
            behind_s = hall.dispatch.display_behind_s
        self.hall, self.display, self.screen, self.clock = hall, display, screen, clock
        self.observer = observer
        super().__init__(queue.Queue())
        png = isinstance(screen, PngScreen)
        self.pump_s = pump_s if pump_s is not None else (1.0 if png else 0.25)
        if scroll_step_s == "auto":
            scroll_step_s = None if png else 1 / 30
        self.painter = BoardPainter()
        size = screen.size
        self.machine = DisplayMachine(
            hall,
            display,
            announce=speaker is not None,
            notice_scrolls=lambda notice: self.painter.notice_scrolls(notice, size),
            notice_speed=size[1] * 0.08,
            scroll_step_s=scroll_step_s,  # type: ignore[arg-type]
            started=clock(),
        )
        self.announcer = (
            Announcer(
                speaker,
                clock,
                repeats=repeats,
                max_age_s=max_age_s,
                behind_s=behind_s,
                on_done=lambda done: self.inbox.put(Spoken(done.seq, done)),
            )
            if speaker is not None
            else None
        )
        self.link = DeviceLink(broker_url, hall.id, display.id, listen=LISTEN, inbox=self.inbox)
        self.frame = pygame.Surface(size)
        self.shown: BoardState | None = None
        self._warmed: tuple = (None, None)
        self._dirty = False
        self.frames = 0
        self.acks_sent = 0
        self._now = clock()
        self._announce: list[CallEvent] = []

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> DisplayProgram:
        if self.announcer is not None:
            self.announcer.start()
        self.link.start()
        return self

    def close(self) -> None:
        self.stop()
        try:
            self.link.close()
        finally:
            if self.announcer is not None:
                self.announcer.close(timeout=5.0)

    def __enter__(self) -> DisplayProgram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the loop (StepLoop's step, run, wait_for) --------------------------------------------------
    # Each step waits for a message or the next change of the picture, takes everything waiting,
    # and shows a new frame if anything visible changed.

    def _wait_s(self, timeout: float) -> float:
        now = self.clock()
        return min(timeout, self.pump_s, max(0.0, self.machine.next_change(now) - now))

    def _woke(self) -> None:
        self._now = self.clock()
        self._announce = []

    def _take(self, item: Received | Spoken) -> None:
        if isinstance(item, Spoken):
            self.machine.done(item.seq, item.report)
            return
        try:
            self._announce += self.machine.receive(item.kind, item.message, self._now)
        except BadMessage as e:
            log.warning("%s: ignored a message: %s", self.display.id, e)

    def _settle(self) -> None:
        now = self._now
        self.machine.connection(self.link.connected, now)
        announce = self._announce + self.machine.tick(now)
        if self.screen.quit_requested():
            self.stop()
        self._show(now)
        for call in announce:  # after the frame: the hall sees the call, then hears it
            assert self.announcer is not None
            if not self.announcer.offer(call):
                self.machine.done(call.seq)
        for ack in self.machine.acknowledge():
            body: dict = {"seq": ack.seq}
            if ack.calls:
                body["calls"] = list(ack.calls)
            self.link.send("calls.ack", body)
            self.acks_sent += 1

    def _show(self, now: float) -> None:
        state = self.machine.state(now)
        if state == self.shown:
            return
        if (
            self.shown is not None
            and state.mode == "hall"
            and not self._dirty
            and dataclasses.replace(self.shown, notice_offset=state.notice_offset) == state
        ):
            self.screen.show(self.frame, self.painter.paint_notice(state, self.frame))  # only the scroll moved
        else:
            self.painter.paint(state, self.frame)
            self.screen.show(self.frame)
        self._dirty = False
        self.shown = state
        self.frames += 1
        if self.observer is not None:
            self.observer(state)
        if state.blink_on and (state.current, state.counter) != self._warmed:
            # A new call blinks: draw its other phase now, while the hall looks at this frame, so
            # that the frame half a second from now finds its texts drawn. (The frame on the screen
            # is a copy; this one is drawn over again before it is shown.)
            self._warmed = (state.current, state.counter)
            self.painter.paint(dataclasses.replace(state, blink_on=False), self.frame)
            self._dirty = True  # self.frame no longer holds what is on the screen
