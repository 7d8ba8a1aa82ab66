"""The caller program: the clerk's keys, the counter's state machine, the screen, one DeviceLink.

One queue brings everything, in order: key presses (from the keyboard thread, or a simulator) and
the link's messages (the `counter.view` the controller pushes when the counter changes by
itself). One thread takes them. A key that makes a request sends it with `link.request` and waits
for the reply (`timeout`, 5 s by default); keys pressed meanwhile are dropped, so an impatient
second press of "call" never calls a second ticket. A timeout tells the clerk "controller not
answering, try again" and changes nothing else.

Views can cross on the wire: a view pushed just before a reply is processed after it. Each view
is the controller's, and its message id grows with the controller's clock; a pushed view older
than the last one shown is ignored, a reply's view is always taken.

At start, again after every reconnect, and when the controller's retained presence says it is
back, the program asks for the counter's view (`counter.status`), since pushes sent while either
was away are lost. While the controller's presence says it is down, the screen says so.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from devices.caller.keys import FUNCTIONS
from devices.caller.machine import CallerMachine, Request
from devices.caller.screen import Line, screen_lines
from devices.caller.terminal import Quit
from devices.link import DeviceLink, LinkClosed, Received, Refused, ReplyTimeout
from devices.stepping import StepLoop
from drivers.gpio import Checkpoint, Debouncer, Press
from hall.config import Caller, Hall
from protocol.topics import Kind

log = logging.getLogger("hall.caller")

REQUEST_TIMEOUT_S = 5.0
STATUS_RETRY_S = 5.0
# "Pressed twice quickly counts once": long for the keys that act, short for digits and letters.
FUNCTION_WINDOW_S = 0.8
TYPING_WINDOW_S = 0.05


def caller_debouncer() -> Debouncer:
    return Debouncer(TYPING_WINDOW_S, {k.name: FUNCTION_WINDOW_S for k in FUNCTIONS if k.name not in ("clear",)})


def is_view(view: Any, counter: int) -> bool:
    """Whether `view` is a counter view of `counter` the screen can show (the controller's shape)."""
    if not isinstance(view, dict) or view.get("counter") != counter:
        return False
    ticket, held, waiting = view.get("ticket"), view.get("held", []), view.get("waiting", 0)
    return (
        isinstance(view.get("state"), str)
        and (ticket is None or (isinstance(ticket, dict) and isinstance(ticket.get("label"), str)))
        and isinstance(held, list)
        and all(isinstance(h, str) for h in held)
        and isinstance(waiting, int)
        and not isinstance(waiting, bool)
    )


class CallerProgram(StepLoop):
    """The caller's loop (see `StepLoop`): `poll(press)` looks after a window's own keys and
    close button between steps of `run` (True: the window was closed)."""

    run_step_s = 0.1  # a window's keys are read between steps

    def __init__(
        self,
        hall: Hall,
        caller: Caller,
        link: DeviceLink,
        inbox: queue.Queue,
        show: Callable[[list[Line]], None],
        *,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = REQUEST_TIMEOUT_S,
        keyboard: bool = True,
        poll: Callable[[Callable[[str], None]], bool] = lambda press: False,
    ) -> None:
        super().__init__(inbox)
        self.hall, self.caller, self.link, self.show, self.poll = hall, caller, link, show, poll
        self.clock, self.timeout, self.keyboard = clock, timeout, keyboard
        self.machine = CallerMachine(hall, caller.counter)
        self.debouncer = caller_debouncer()
        self._view_id = ""  # id of the controller message whose view is shown
        self._quiet_until = 0.0  # keys pressed before this (device time) were pressed while waiting
        self._need_status = True
        self._status_at = float("-inf")
        self._was_connected = False
        self._pace_lock = threading.Lock()
        self._paced: dict[str, float] = {}
        self.lines: list[Line] = []
        self._draw()

    # -- the loop (StepLoop's step, run, wait_for) --------------------------------------------------

    def _wait_s(self, timeout: float) -> float:
        self._watch_link()
        return timeout

    def _settle(self) -> None:
        self._draw()

    def _stop_requested(self) -> bool:
        return self.poll(self.press)

    def press(self, key: str) -> None:
        """Put a key press on the queue, as the keyboard would (simulators and tests)."""
        self.inbox.put(Press(key, self.clock()))

    def press_paced(self, key: str, *, sleep: Callable[[float], None] = time.sleep) -> bool:
        """Press `key` from another thread at a clerk's pace, for scripts: once the same key's
        double-press window has passed since its last scripted press, and return when the program
        has handled it (its request answered or timed out). False if it was not handled in time."""
        window = self.debouncer.windows.get(key, self.debouncer.window_s)
        with self._pace_lock:
            wait = self._paced.get(key, float("-inf")) + window + 0.01 - self.clock()
            if wait > 0:
                sleep(wait)
            self.press(key)
            self._paced[key] = self.clock()
            checkpoint = Checkpoint()
            self.inbox.put(checkpoint)
            return checkpoint.reached.wait(self.timeout + 10)

    # -- items -------------------------------------------------------------------------------------

    def _take(self, item: Any) -> None:
        if isinstance(item, Press):
            if item.at <= self._quiet_until:
                log.info("%s: key %s pressed while waiting for the controller; ignored", self.caller.id, item.key)
                return
            if not self.debouncer.accept(item):
                log.info("%s: key %s pressed twice at once; counted once", self.caller.id, item.key)
                return
            for request in self.machine.key(item.key):
                self._ask(request)
                self._quiet_until = self.clock()
        elif isinstance(item, Received):
            self._message(item)
        elif isinstance(item, Quit):
            self.stop()
        elif isinstance(item, Checkpoint):
            item.reached.set()

    def _message(self, received: Received) -> None:
        message = received.message
        if received.kind is Kind.CONTROLLER_STATE and message.type == "controller.state":
            online = bool(message.body.get("online"))
            if online and not self.machine.controller_online:
                self._need_status = True  # back after a restart: what it pushed meanwhile is lost
                self._status_at = float("-inf")
            self.machine.set_controller_online(online)
            return
        if received.kind is not Kind.DOWN or message.is_reply:
            return  # a late reply: its view is in the next push or status anyway
        if message.type == "counter.view":
            view = message.body.get("view")
            if not is_view(view, self.caller.counter):
                log.warning("%s: a counter.view it cannot show (%.200r); ignored", self.caller.id, view)
                return
            if message.id < self._view_id:
                return  # older than what is shown (it crossed a reply on the way)
            self._view_id = message.id
            self.machine.view_pushed(view)

    def _ask(self, request: Request) -> None:
        self.machine.sent(request)
        self._draw()
        try:
            reply = self.link.request(request.type, dict(request.body), self.timeout)
        except Refused as e:
            self.machine.refused(request, e.code, e.message)
            log.info("%s: %s refused: %s (%s)", self.caller.id, request.type, e.message, e.code)
        except ReplyTimeout:
            self.machine.timed_out(request)
            log.warning("%s: no reply to %s within %g s", self.caller.id, request.type, self.timeout)
        except LinkClosed:
            self.machine.timed_out(request)
            self.stop()
        else:
            view = reply.body.get("view")
            if not is_view(view, self.caller.counter):
                log.warning(
                    "%s: the reply to %s has no view it can show; the last one stays", self.caller.id, request.type
                )
                view = None
            elif reply.id > self._view_id:
                self._view_id = reply.id
            self.machine.answered(request, view)
            if request.type == "counter.status":
                self._need_status = False

    def _watch_link(self) -> None:
        connected = self.link.connected
        if connected != self._was_connected:
            self._was_connected = connected
            self.machine.set_online(connected)
            if connected:
                self._need_status = True  # views pushed while away are lost: ask again
                self._status_at = float("-inf")
        if connected and self._need_status and self.clock() - self._status_at >= STATUS_RETRY_S:
            self._status_at = self.clock()
            self._ask(Request("counter.status"))

    def _draw(self) -> None:
        lines = screen_lines(self.machine.state, self.hall, keyboard=self.keyboard)
        if lines != self.lines:
            self.lines = lines
            self.show(lines)
