"""Buttons in, presses out: the one seam where gpiozero's threads meet a device program.

gpiozero runs `when_pressed` on a background thread (on a Pi, lgpio's alert thread; with the mock
factory, the thread that drives the pin). The handlers here only stamp the moment with the injected
clock and put a `Press` (or `Held`, `Released`) on the program's queue; the program reads the
queue on its own thread. A slow handler would delay every other button, so nothing else happens
in them.

Wiring: each button between its GPIO and ground, using the Pi's internal pull-up (`pull_up=True`),
so a press pulls the pin low. `bounce_s` (default 50 ms) goes to the pin driver: lgpio reports an
edge only after it has been stable that long. A hold longer than `hold_s` (default 3 s, far longer
than any firm press) is reported as `Held`, so a button that sticks can be reported as a fault.

A person who presses twice in quick succession, or hard enough to rock the key, produces two
presses that the driver cannot tell from two deliberate ones; that rule ("pressed twice quickly
counts once") lives in `Debouncer`, on the stamped press times, so it is the same on the mock pins
(which ignore `bounce_time`) and tested with a fake clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from gpiozero import Button
from gpiozero.exc import GPIOZeroError
from gpiozero.pins import Factory

from drivers.gpio.pins import GpioUnavailable


@dataclass(frozen=True)
class Press:
    """A key went down at `at` (seconds on the program's monotonic clock)."""

    key: str
    at: float


@dataclass(frozen=True)
class Held:
    """A key has been down for the panel's hold time (stuck, or leant on)."""

    key: str
    at: float


@dataclass(frozen=True)
class Released:
    """A key came back up."""

    key: str
    at: float


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """A marker a simulator or a test puts on a program's queue behind some presses: the program
    sets `reached` when it gets there, so everything queued before it has been handled."""

    reached: threading.Event = field(default_factory=threading.Event)


class Inbox(Protocol):
    def put(self, item: Any) -> None: ...


class Debouncer:
    """Pressed twice quickly counts once.

    A press of a key within `window_s` of the previous press of the same key (whether that one
    counted or not, so a chattering contact never gets through) is dropped. `windows` gives some
    keys their own window: a clerk's "call next" needs a long one, a digit of a staff number a
    short one (typing "11" is two presses). Pure: it looks only at the press times.
    """

    def __init__(self, window_s: float = 0.5, windows: Mapping[str, float] | None = None) -> None:
        if window_s < 0 or any(w < 0 for w in (windows or {}).values()):
            raise ValueError("a debounce window cannot be negative")
        self.window_s = window_s
        self.windows = dict(windows or {})
        self._last: dict[str, float] = {}

    def accept(self, press: Press) -> bool:
        """True if `press` counts. Presses must come in the order they were stamped."""
        window = self.windows.get(press.key, self.window_s)
        last = self._last.get(press.key)
        self._last[press.key] = press.at
        return last is None or press.at - last >= window


class ButtonPanel:
    """One gpiozero `Button` per key (BCM pin numbers), reporting to `inbox`. Close it when done
    (`close()` or `with`), or the pins stay claimed (gpiozero raises GPIOPinInUse for a second claim)."""

    def __init__(
        self,
        pins: Mapping[str, int],
        inbox: Inbox,
        *,
        factory: Factory,
        clock: Callable[[], float] = time.monotonic,
        bounce_s: float | None = 0.05,
        hold_s: float = 3.0,
    ) -> None:
        if len(set(pins.values())) != len(pins):
            raise ValueError("two keys share one GPIO pin")
        self.pins = dict(pins)
        self._inbox = inbox
        self._clock = clock
        self.buttons: dict[str, Button] = {}
        try:
            for key, pin in self.pins.items():
                button = Button(pin, pull_up=True, bounce_time=bounce_s, hold_time=hold_s, pin_factory=factory)
                self.buttons[key] = button
                button.when_pressed = partial(self._edge, Press, key)
                button.when_held = partial(self._edge, Held, key)
                button.when_released = partial(self._edge, Released, key)
        except GPIOZeroError as e:
            self.close()
            raise GpioUnavailable(f"cannot use GPIO {pin} for key {key!r}: {e}") from None

    def _edge(self, kind: type, key: str) -> None:
        self._inbox.put(kind(key, self._clock()))

    def is_pressed(self, key: str) -> bool:
        return self.buttons[key].is_pressed

    def close(self) -> None:
        for button in self.buttons.values():
            button.close()
        self.buttons.clear()

    def __enter__(self) -> ButtonPanel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
