"""The hall's clock: the one place every program takes "what time is it in the hall" from.

Why one place: the engine takes `now` as an argument, so the hall's behaviour over a day (the
daily number reset, appointment windows, rating prompt windows, alerts past a target, the
reports of "today") depends only on the clock someone hands it. Real programs hand it the real
clock. Tests, and a demo that runs a day faster than real time, hand it a clock that starts at a
chosen instant and runs on from it, at the real speed or faster. Every program of the suite
(controller, web, devices, simulators) and every subprocess they start read the same setting:

    HALL_CLOCK="2026-12-04T23:50:00+08:00"                  start here, now, at the real speed
    HALL_CLOCK="2026-12-04T23:50:00+08:00 x60"              ... sixty times faster
    HALL_CLOCK="2026-12-04T23:50:00+08:00 x60 @1796399400.25"
                                    ... where hall time was that instant at that real epoch second

The third form pins the clock to one real instant, so that several processes started at
different moments agree on the hall's time to the millisecond; `HallClock.spec()` writes it.
With no HALL_CLOCK (and no `--clock`), a program runs on the real clock.

Only hall time is bent: timeouts of sockets and of the broker's keep-alive stay in real time.
A program that waits for a hall-time interval asks `real_seconds` how long that is in real time.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass

from protocol import envelope

ENV = "HALL_CLOCK"


class ClockError(ValueError):
    """A clock setting that cannot be understood."""


@dataclass(frozen=True)
class HallClock:
    """Hall time in epoch seconds: `start` at real epoch second `anchor`, running at `speed`.

    `start=None` is the real clock. Calling the clock gives the hall's time now.
    """

    start: float | None = None
    anchor: float = 0.0
    speed: float = 1.0

    def __call__(self) -> float:
        if self.start is None:
            return time.time()
        return self.start + (time.time() - self.anchor) * self.speed

    @property
    def is_real(self) -> bool:
        return self.start is None

    def real_seconds(self, hall_seconds: float) -> float:
        """How long `hall_seconds` of hall time last in real time."""
        return hall_seconds / self.speed

    def spec(self) -> str:
        """The HALL_CLOCK text of this clock, pinned to its anchor (empty for the real clock)."""
        if self.start is None:
            return ""
        start = dt.datetime.fromtimestamp(self.start, dt.UTC).isoformat()
        return f"{start} x{self.speed:g} @{self.anchor:.6f}"


REAL = HallClock()


def starting_at(start: float | dt.datetime, speed: float = 1.0) -> HallClock:
    """A clock whose hall time is `start` now and runs on at `speed`."""
    if isinstance(start, dt.datetime):
        if start.tzinfo is None:
            raise ClockError("a hall clock needs a start time with its UTC offset, e.g. 2026-12-04T23:50:00+08:00")
        start = start.timestamp()
    if not speed > 0:
        raise ClockError(f"a hall clock's speed must be above 0, not {speed:g}")
    return HallClock(float(start), time.time(), float(speed))


def parse(text: str) -> HallClock:
    """A clock from its setting: `START [xSPEED] [@REAL_EPOCH]` (see the module's docstring)."""
    words = text.split()
    if not words:
        return REAL
    try:
        start = dt.datetime.fromisoformat(words[0].replace("Z", "+00:00"))
    except ValueError:
        raise ClockError(
            f"the hall clock {text!r} does not start with an ISO 8601 time such as 2026-12-04T23:50:00+08:00"
        ) from None
    speed, anchor = 1.0, None
    for word in words[1:]:
        try:
            if word.startswith("x"):
                speed = float(word[1:])
            elif word.startswith("@"):
                anchor = float(word[1:])
            else:
                raise ValueError
        except ValueError:
            raise ClockError(
                f"the hall clock {text!r}: {word!r} is neither a speed (x60) nor a real start (@1796399400.25)"
            ) from None
    clock = starting_at(start, speed)
    return clock if anchor is None else HallClock(clock.start, anchor, clock.speed)


_setting: tuple[str | None, HallClock] = (None, REAL)


def current() -> HallClock:
    """This process's hall clock, as HALL_CLOCK says now (the real clock when it says nothing).

    The setting is read on every call and parsed only when it changed, so a test that sets the
    variable moves every program in its process, and a child process inherits the same clock.
    """
    global _setting
    text = os.environ.get(ENV)
    if text != _setting[0]:
        _setting = (text, parse(text) if text else REAL)
    return _setting[1]


def now() -> float:
    """The hall's time now, in epoch seconds: the default clock of every program."""
    return current()()


envelope.use_clock(now)  # messages are stamped on the hall's clock wherever hall/ is loaded


def use(clock: HallClock) -> None:
    """Make `clock` this process's hall clock, and that of every process it starts from now on."""
    if clock.is_real:
        os.environ.pop(ENV, None)
    else:
        os.environ[ENV] = clock.spec()


def add_argument(parser) -> None:
    """`--clock START[ xSPEED]` on a program's command line (the same text as HALL_CLOCK)."""
    parser.add_argument(
        "--clock",
        metavar="START",
        type=_argument,
        help="run on a hall clock that starts at this ISO 8601 time (with its offset), "
        "optionally followed by ' x60' for a speed; default: HALL_CLOCK, else the real clock",
    )


def _argument(text: str) -> HallClock:
    import argparse

    try:
        return parse(text)
    except ClockError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def apply_argument(clock: HallClock | None) -> None:
    """Use the clock given by `--clock`, if one was given."""
    if clock is not None:
        use(clock)
