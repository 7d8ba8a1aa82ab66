"""The loop every device program runs, and driving it from outside (tests, simulators, scripts).

Everything a program reacts to arrives on one queue, its inbox, in order: presses (put by
gpiozero's threads or the keyboard's), the link's messages (put by paho's thread), notes from its
own workers. One thread takes them. `StepLoop` is that loop, written once:

    step(timeout)  wait for the next item (at most `timeout`, less if the program has something
                   due sooner), take it, then let the program catch up with the passing of time
                   and redraw; True if an item was taken
    run(stop)      step until `stop` is set, `stop()` is called, or the program asks to stop
    wait_for(done, timeout)  step until `done()`, for tests and simulators on the program's thread

A program supplies only its own handlers:

    _wait_s(timeout)   how long this step may wait (default `timeout`); also what must be looked
                       at before waiting (the link's state, a window's touches)
    _woke()            what to look at once awake, with or without an item (default nothing)
    _take(item)        one item from the inbox
    _settle()          after the item: deadlines, the screen (default nothing)
    _stop_requested()  checked after every step of `run` (default False): a window's close button
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any


class StepLoop:
    """The base of the device programs: the inbox, `step`, `run`, `wait_for`. See the module."""

    step_s: float = 0.5  #: how long `step()` waits when not told
    run_step_s: float = 0.2  #: how long each step of `run` may wait
    wait_step_s: float = 0.05  #: how long each step of `wait_for` may wait
    drain: bool = False  #: take everything waiting in one step, then settle once

    def __init__(self, inbox: queue.Queue[Any]) -> None:
        self.inbox = inbox
        self._stopping = threading.Event()

    # -- what each program supplies ------------------------------------------------------------

    def _wait_s(self, timeout: float) -> float:
        return timeout

    def _woke(self) -> None:
        pass

    def _take(self, item: Any) -> None:
        raise NotImplementedError

    def _settle(self) -> None:
        pass

    def _stop_requested(self) -> bool:
        return False

    # -- the loop --------------------------------------------------------------------------------

    def step(self, timeout: float | None = None) -> bool:
        """Take the next item (waiting at most `timeout`, default `step_s`) and the passing of
        time. True if an item was taken."""
        wait = self._wait_s(self.step_s if timeout is None else timeout)
        items = []
        try:
            items.append(self.inbox.get(timeout=wait) if wait > 0 else self.inbox.get_nowait())
            while self.drain:
                items.append(self.inbox.get_nowait())
        except queue.Empty:
            pass
        self._woke()
        for item in items:
            self._take(item)
        self._settle()
        return bool(items)

    def run(self, stop: threading.Event | None = None, *, each_step: Callable[[], object] | None = None) -> None:
        """Step until `stop` is set, `stop()` is called, or the program asks to stop. `each_step()`
        is called after every step (a simulator redraws its terminal there)."""
        while not self.stopped and not (stop is not None and stop.is_set()):
            self.step(self.run_step_s)
            if self._stop_requested():
                self.stop()
            if each_step is not None:
                each_step()

    def stop(self) -> None:
        """Ask `run` and `wait_for` to return (safe from a signal handler or another thread)."""
        self._stopping.set()

    @property
    def stopped(self) -> bool:
        return self._stopping.is_set()

    def wait_for(self, done: Callable[[], bool], timeout: float) -> bool:
        """Step until `done()` (True) or `timeout` real seconds pass, or `stop()` (then `done()`)."""
        deadline = time.monotonic() + timeout
        while not done():
            left = deadline - time.monotonic()
            if left <= 0 or self.stopped:
                return done()
            self.step(min(left, self.wait_step_s))
        return True
