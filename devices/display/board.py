"""What a calling screen shows, as plain frozen data: the renderer's only input.

The display program fills a `BoardState` from the controller's board snapshot and call events,
plus its own clock (the date, the notice's scroll offset, the blink phase); `render.render_board`
turns it into a picture. Nothing here knows about MQTT or pygame, so the same state can be
rendered in tests, in the simulator and on the Pi.

Privacy is structural: a ticket is shown by its label only ("A023": one to three capital letters
and digits), and a clerk by a staff number. A state carrying anything else is refused when it is
made, with one `BoardError`, and nothing is drawn from it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from hall.config import PAUSE_REASONS, Names

LABEL = re.compile(r"[A-Z]{1,3}[0-9]{1,6}")
STAFF_NUMBER = re.compile(r"[A-Za-z0-9-]{1,16}")
MODES = ("hall", "counter")
COUNTER_STATES = ("open", "paused", "closed")
MAX_RECENT = 8


class BoardError(ValueError):
    """A board state that must not be shown (a name where a ticket number belongs, a bad mode…)."""


def _label(value: object, where: str) -> str:
    if not isinstance(value, str) or not LABEL.fullmatch(value):
        raise BoardError(f"{where}: {value!r} is not a ticket number like A023")
    return value


def _counter_number(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 999:
        raise BoardError(f"{where}: {value!r} is not a counter number (1-999)")
    return value


@dataclass(frozen=True)
class CurrentCall:
    """The call being announced: the big number on the hall screen."""

    label: str
    counter: int
    counter_name: Names
    at: dt.datetime  # when the call was made (local time)
    recall: bool = False

    def __post_init__(self) -> None:
        _label(self.label, "current call")
        _counter_number(self.counter, "current call counter")


@dataclass(frozen=True)
class RecentCall:
    label: str
    counter: int

    def __post_init__(self) -> None:
        _label(self.label, "recent call")
        _counter_number(self.counter, "recent call counter")


@dataclass(frozen=True)
class ServiceWaiting:
    name: Names
    prefix: str
    waiting: int
    wait_s: float | None  # estimated wait for a ticket taken now, seconds; None: not known yet
    no_counter_open: bool = False  # no wait is shown because no counter serving it is open now

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Z]{1,3}", self.prefix or ""):
            raise BoardError(f"service {self.name.en!r}: prefix {self.prefix!r} is not 1-3 capital letters")
        if isinstance(self.waiting, bool) or not isinstance(self.waiting, int) or self.waiting < 0:
            raise BoardError(f"service {self.name.en!r}: waiting {self.waiting!r} is not a count")
        if self.wait_s is not None and (
            isinstance(self.wait_s, bool)
            or not isinstance(self.wait_s, (int, float))
            or not math.isfinite(self.wait_s)
            or self.wait_s < 0
        ):
            raise BoardError(f"service {self.name.en!r}: estimated wait {self.wait_s!r} is not seconds")


@dataclass(frozen=True)
class Incident:
    """The controller is unreachable: calling has stopped for now, tickets stay valid."""

    since: dt.datetime
    message: Names = Names("", "")
    expected_back: dt.datetime | None = None


@dataclass(frozen=True)
class CounterView:
    """Counter mode: the one window this screen stands above."""

    number: int
    name: Names
    state: str = "open"  # open | paused | closed
    ticket: str | None = None  # the ticket being called or served here
    pause_reason: str | None = None
    clerk: str | None = None  # staff number, never a name
    serving: bool = False  # the clerk has started serving `ticket` (else it is only called)

    def __post_init__(self) -> None:
        _counter_number(self.number, "counter")
        if self.state not in COUNTER_STATES:
            raise BoardError(f"counter {self.number}: state {self.state!r} is not one of {', '.join(COUNTER_STATES)}")
        if self.ticket is not None:
            _label(self.ticket, f"counter {self.number} ticket")
        if self.pause_reason is not None and self.pause_reason not in PAUSE_REASONS:
            raise BoardError(
                f"counter {self.number}: pause reason {self.pause_reason!r} is not one of {', '.join(PAUSE_REASONS)}"
            )
        if not isinstance(self.serving, bool):
            raise BoardError(f"counter {self.number}: serving {self.serving!r} is not true or false")
        if self.serving and self.ticket is None:
            raise BoardError(f"counter {self.number}: serving, but no ticket")
        if self.clerk is not None and not STAFF_NUMBER.fullmatch(self.clerk):
            raise BoardError(f"counter {self.number}: clerk {self.clerk!r} is not a staff number")


@dataclass(frozen=True)
class BoardState:
    hall_name: Names
    now: dt.datetime  # local date and time, as the clock shows it
    mode: str = "hall"  # hall | counter
    current: CurrentCall | None = None
    recent: tuple[RecentCall, ...] = ()  # newest first, the current call not included
    waiting: tuple[ServiceWaiting, ...] = ()
    notice: Names = Names("", "")
    notice_offset: int = 0  # pixels the notice band has scrolled
    incident: Incident | None = None
    blink_on: bool = False  # the current call is drawn highlighted (see `blink_on`)
    counter: CounterView | None = None  # counter mode only

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise BoardError(f"mode {self.mode!r} is not one of {', '.join(MODES)}")
        if self.mode == "counter" and self.counter is None:
            raise BoardError("counter mode needs the counter this screen stands above")
        if len(self.recent) > MAX_RECENT:
            raise BoardError(f"{len(self.recent)} recent calls; a screen shows at most {MAX_RECENT}")
        if isinstance(self.notice_offset, bool) or not isinstance(self.notice_offset, int) or self.notice_offset < 0:
            raise BoardError(f"notice offset {self.notice_offset!r} is not a pixel count")


def blink_on(called_at: float, now: float, *, for_s: float = 6.0, period_s: float = 1.0) -> bool:
    """The blink phase of a call made at `called_at`: highlighted for the first half of every
    `period_s` during the first `for_s` seconds, then steady (not highlighted)."""
    age = now - called_at
    if age < 0 or age >= for_s:
        return False
    return (age % period_s) < period_s / 2
