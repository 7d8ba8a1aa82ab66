"""The scenario file of `hall simulate`: what a day at the hall looks like, checked completely.

A hall file (`hall.toml`) says what the hall *is*; a scenario says what *happens* on one day:
how many citizens take a ticket for each service and when, how long serving them takes, which
clerk sits at which counter from when to when and when they go to lunch, how many do not come
when called, how many press a rating button and which. `docs/simulate.md` describes the format;
`examples/scenario.toml` is a working example.

Like the hall file, a scenario is checked on load, against the hall it is meant for: a typo,
an unknown counter or a probability of 1.5 stops with one sentence naming the field
(`ScenarioError`), before anything is simulated. The dataclasses are plain data in local times
of day; turning them into simulated instants is the simulation's business (`simulators.day`).
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hall.config import PAUSE_REASONS, Hall, TableReader

DEFAULT_PEAK = ("09:00", "11:30", 2.0)  # the morning peak: from, to, factor on the plain rates
DEFAULT_CV = 0.6  # spread of service times (standard deviation / mean)
LEVELS = (4, 3, 2, 1)  # 非常满意, 满意, 一般, 不满意


class ScenarioError(ValueError):
    """The scenario is wrong; the message names the field and the problem in one sentence."""


@dataclass(frozen=True)
class ServiceTime:
    """How long serving one citizen takes: a mean, and a spread as coefficient of variation.

    cv = 1 with `exponential` gives exponential times (the M/M/c model); otherwise log-normal,
    which is what real counter times look like (never negative, a long tail of hard cases).
    """

    mean_s: float
    cv: float = DEFAULT_CV
    exponential: bool = False


@dataclass(frozen=True)
class Break:
    at: dt.time
    minutes: float
    reason: str = "break"


@dataclass(frozen=True)
class Shift:
    """A clerk signed in at a counter from `start` to `end`, with breaks in between."""

    counter: int
    clerk: str
    start: dt.time
    end: dt.time
    breaks: tuple[Break, ...] = ()


@dataclass(frozen=True)
class Citizens:
    priority_share: float = 0.0  # share of tickets of the priority class
    no_show: float = 0.0  # probability a called citizen never comes
    walk_s: tuple[float, float] = (0.0, 0.0)  # from the call to the counter, uniform in this range
    participation: float = 0.0  # probability of pressing a rating button when prompted
    press_s: tuple[float, float] = (2.0, 10.0)  # from the end of service to the press
    mix: tuple[float, ...] = (0.6, 0.3, 0.07, 0.03)  # chance of levels 4, 3, 2, 1
    mix_over_target: tuple[float, ...] | None = None  # the same after a wait past the target


@dataclass(frozen=True)
class Clerks:
    recall_s: float = 30.0  # between a call and a recall when nobody comes
    wrapup_s: tuple[float, float] = (0.0, 0.0)  # from finishing one citizen to calling the next


@dataclass(frozen=True)
class Scenario:
    date: dt.date
    open: dt.time  # first ticket
    close: dt.time  # last ticket; clerks on duty then serve who waits
    arrivals: dict[str, tuple[tuple[dt.time, float], ...]]  # service -> (from, tickets/hour) steps
    service_times: dict[str, ServiceTime]
    staff: tuple[Shift, ...]
    citizens: Citizens
    clerks: Clerks


# --- loading -------------------------------------------------------------------------------


def load(path: str | Path, hall: Hall) -> Scenario:
    """Read and check a scenario for `hall`; raise ScenarioError with one sentence on any problem.

    The sentence starts with the file's name: "day.toml: citizens.no_show: 1.5 is above ...".
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        raise ScenarioError(f"{path}: there is no such scenario file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a folder, not a scenario file") from None
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{path}: not valid TOML: {e}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not UTF-8 text") from None
    try:
        return parse(raw, hall)
    except ScenarioError as e:
        raise ScenarioError(f"{path}: {e}") from None


def parse(raw: dict[str, Any], hall: Hall) -> Scenario:
    """Check a scenario already read from TOML against the hall it describes."""
    top = _Fields(raw, "")
    day = top.table("day")
    date = day.date("date")
    opening = day.time("open", default="08:30")
    closing = day.time("close", default="17:30")
    if closing <= opening:
        raise ScenarioError(f"day.close: {_hm(closing)} is not after the opening time {_hm(opening)}")
    day.done()

    arrivals = _arrivals(top.table("arrivals"), hall, opening, closing)
    service_times = _service_times(top.table("service_times", required=False), hall)
    citizens = _citizens(top.table("citizens", required=False), top.table("ratings", required=False))
    clerks_t = top.table("clerks", required=False)
    clerks = Clerks(
        recall_s=clerks_t.number("recall_s", default=30, minimum=1, maximum=600),
        wrapup_s=clerks_t.span("wrapup_s", default=(0, 0), maximum=3600),
    )
    clerks_t.done()
    staff = tuple(_shift(t, hall, opening, closing) for t in top.tables("staff"))
    top.done()

    if not staff:
        raise ScenarioError("staff: a day needs at least one [[staff]] shift, or no ticket is ever called")
    by_counter: dict[int, list[Shift]] = {}
    for s in staff:
        by_counter.setdefault(s.counter, []).append(s)
    for number, shifts in by_counter.items():
        shifts.sort(key=lambda s: s.start)
        for a, b in zip(shifts, shifts[1:]):
            if b.start < a.end:
                raise ScenarioError(
                    f"staff: counter {number} has two shifts at once "
                    f"({_hm(a.start)}-{_hm(a.end)} and {_hm(b.start)}-{_hm(b.end)})"
                )
    for service, steps in arrivals.items():
        if any(rate > 0 for _, rate in steps) and not any(hall.counters[n].level(service) for n in by_counter):
            raise ScenarioError(
                f"arrivals.{service}: no staffed counter serves it, so its tickets would never be called"
            )
    return Scenario(
        date=date,
        open=opening,
        close=closing,
        arrivals=arrivals,
        service_times=service_times,
        staff=staff,
        citizens=citizens,
        clerks=clerks,
    )


def _arrivals(t: _Fields, hall: Hall, opening: dt.time, closing: dt.time) -> dict:
    peak_t = t.table("peak", required=False)
    peak_from = peak_t.time("from", default=DEFAULT_PEAK[0])
    peak_to = peak_t.time("to", default=DEFAULT_PEAK[1])
    factor = peak_t.number("factor", default=DEFAULT_PEAK[2], minimum=0, maximum=100)
    if peak_to <= peak_from:
        raise ScenarioError(f"arrivals.peak.to: {_hm(peak_to)} is not after {_hm(peak_from)}")
    peak_t.done()
    out: dict[str, tuple[tuple[dt.time, float], ...]] = {}
    for service in list(t.raw):
        where = t.path(service)
        if service not in hall.services:
            raise ScenarioError(f"{where}: the hall has no service {service!r} (it has {', '.join(hall.services)})")
        value = t.raw.pop(service)
        if isinstance(value, dict):
            steps = _rate_table(_Fields(value, where), opening, closing)
        else:
            rate = _number(value, where, minimum=0, maximum=100_000)
            steps = _peaked(rate, factor, opening, closing, peak_from, peak_to)
        out[service] = steps
    if not out:
        raise ScenarioError("arrivals: name at least one service and its tickets per hour, like social = 30")
    return out


def _rate_table(t: _Fields, opening: dt.time, closing: dt.time) -> tuple[tuple[dt.time, float], ...]:
    steps = []
    for key in list(t.raw):
        where = t.path(f'"{key}"')
        at = _clock(key, where)
        if not opening <= at < closing:
            raise ScenarioError(f"{where}: {_hm(at)} is outside the opening hours {_hm(opening)}-{_hm(closing)}")
        if any(at == s[0] for s in steps):
            raise ScenarioError(f"{where}: the time {_hm(at)} is listed twice")
        steps.append((at, _number(t.raw.pop(key), where, minimum=0, maximum=100_000)))
    if not steps:
        raise ScenarioError(f'{t.prefix}: give tickets per hour from a time on, like {{ "08:30" = 20 }}')
    steps.sort()
    if steps[0][0] > opening:
        steps.insert(0, (opening, 0.0))
    return tuple(steps)


def _peaked(
    rate: float, factor: float, opening: dt.time, closing: dt.time, peak_from: dt.time, peak_to: dt.time
) -> tuple[tuple[dt.time, float], ...]:
    start, end = max(opening, peak_from), min(closing, peak_to)
    if start >= end:
        return ((opening, rate),)
    steps = {opening: rate}
    steps[start] = rate * factor  # replaces the opening step when the peak starts at once
    if end < closing:
        steps[end] = rate
    return tuple(sorted(steps.items()))


def _service_times(t: _Fields, hall: Hall) -> dict[str, ServiceTime]:
    out = {}
    for service in list(t.raw):
        where = t.path(service)
        if service not in hall.services:
            raise ScenarioError(f"{where}: the hall has no service {service!r}")
        s = t.table(service)
        out[service] = ServiceTime(
            mean_s=s.number(
                "mean_min", default=hall.services[service].mean_service_s / 60, minimum=0.05, maximum=24 * 60
            )
            * 60,
            cv=s.number("cv", default=DEFAULT_CV, minimum=0, maximum=5),
        )
        s.done()
    for service in hall.services.values():
        out.setdefault(service.id, ServiceTime(mean_s=service.mean_service_s))
    return out


def _citizens(t: _Fields, r: _Fields) -> Citizens:
    c = Citizens(
        priority_share=t.number("priority_share", default=0, minimum=0, maximum=1),
        no_show=t.number("no_show", default=0, minimum=0, maximum=1),
        walk_s=t.span("walk_s", default=(10, 40), maximum=3600),
        participation=r.number("participation", default=0.7, minimum=0, maximum=1),
        press_s=r.span("press_s", default=(2, 10), maximum=3600),
        mix=r.mix("mix", default=Citizens.mix),
        mix_over_target=r.mix("mix_over_target", default=None),
    )
    t.done()
    r.done()
    return c


def _shift(t: _Fields, hall: Hall, opening: dt.time, closing: dt.time) -> Shift:
    counter = t.int("counter", minimum=1)
    if counter not in hall.counters:
        raise ScenarioError(
            f"{t.path('counter')}: the hall has no counter {counter} (it has {', '.join(map(str, hall.counters))})"
        )
    clerk = t.string("clerk")
    if not 1 <= len(clerk) <= 64:
        raise ScenarioError(f"{t.path('clerk')}: a clerk's staff number is 1 to 64 characters")
    start = t.time("from", default=_hm(opening))
    end = t.time("to", default=_hm(closing))
    if end <= start:
        raise ScenarioError(f"{t.path('to')}: {_hm(end)} is not after the shift's start {_hm(start)}")
    breaks = []
    for i, raw in enumerate(t.list("breaks")):
        b = _Fields(raw, f"{t.path('breaks')}[{i}]")
        brk = Break(
            at=b.time("at"),
            minutes=b.number("min", minimum=1, maximum=24 * 60),
            reason=b.string("reason", default="break"),
        )
        if brk.reason not in PAUSE_REASONS:
            raise ScenarioError(f"{b.path('reason')}: {brk.reason!r} is not one of {', '.join(PAUSE_REASONS)}")
        if not start < brk.at < end:
            raise ScenarioError(f"{b.path('at')}: {_hm(brk.at)} is not inside the shift {_hm(start)}-{_hm(end)}")
        if breaks and brk.at <= breaks[-1].at:
            raise ScenarioError(f"{b.path('at')}: breaks must be listed in the order they are taken")
        b.done()
        breaks.append(brk)
    t.done()
    return Shift(counter=counter, clerk=clerk, start=start, end=end, breaks=tuple(breaks))


# --- checking single values ----------------------------------------------------------------


class _Fields(TableReader):
    """The scenario file's getters (the taking, paths and typo check are the hall file's)."""

    error = ScenarioError

    def list(self, key: str) -> list:
        value = self._take(key, [])
        if not isinstance(value, list):
            raise ScenarioError(f"{self.path(key)}: expected a list")
        return value

    def string(self, key: str, default: str | None = None) -> str:
        value = self._take(key, self.REQUIRED if default is None else default)
        if not isinstance(value, str):
            raise ScenarioError(f"{self.path(key)}: expected text, got {value!r}")
        return value

    def int(self, key: str, minimum: int) -> int:
        value = self._take(key, self.REQUIRED)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(f"{self.path(key)}: expected a whole number, got {value!r}")
        if value < minimum:
            raise ScenarioError(f"{self.path(key)}: {value} is below the minimum {minimum}")
        return value

    def number(self, key: str, default: float | None = None, *, minimum: float, maximum: float) -> float:
        value = self._take(key, self.REQUIRED if default is None else default)
        return _number(value, self.path(key), minimum, maximum)

    def span(self, key: str, default: tuple[float, float], maximum: float) -> tuple[float, float]:
        value = self._take(key, default)
        if (
            not isinstance(value, (list, tuple))
            or len(value) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        ):
            raise ScenarioError(
                f"{self.path(key)}: expected two numbers of seconds, shortest and longest, "
                f"like [{default[0]}, {default[1]}]"
            )
        low, high = float(value[0]), float(value[1])
        if not 0 <= low <= high <= maximum:
            raise ScenarioError(
                f"{self.path(key)}: expected 0 <= shortest <= longest <= {maximum}, got [{value[0]}, {value[1]}]"
            )
        return low, high

    def mix(self, key: str, default: tuple[float, ...] | None) -> tuple[float, ...] | None:
        value = self._take(key, default)
        if value is default:
            return default
        t = _Fields(value, self.path(key))
        shares = [t.number(str(level), default=0, minimum=0, maximum=1_000_000) for level in LEVELS]
        if t.raw:
            raise ScenarioError(f"{t.path(sorted(t.raw)[0])}: not a rating level (4, 3, 2 or 1)")
        if sum(shares) <= 0:
            raise ScenarioError(f"{self.path(key)}: give a share to at least one level, like {{ 4 = 0.6, 3 = 0.4 }}")
        return tuple(s / sum(shares) for s in shares)

    def time(self, key: str, default: str | None = None) -> dt.time:
        value = self._take(key, self.REQUIRED if default is None else default)
        return _clock(value, self.path(key))

    def date(self, key: str) -> dt.date:
        value = self._take(key, self.REQUIRED)
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                pass
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise ScenarioError(f"{self.path(key)}: expected a date like 2026-03-17, got {value!r}")
        return value


def _number(value: Any, where: str, minimum: float, maximum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ScenarioError(f"{where}: expected a number, got {value!r}")
    if value < minimum:
        raise ScenarioError(f"{where}: {value} is below the minimum {minimum}")
    if value > maximum:
        raise ScenarioError(f"{where}: {value} is above the maximum {maximum}")
    return float(value)


def _clock(value: Any, where: str) -> dt.time:
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None)
    if isinstance(value, str) and len(value) in (4, 5) and ":" in value:
        hours, _, minutes = value.partition(":")
        if hours.isdigit() and minutes.isdigit() and len(minutes) == 2:
            if int(hours) < 24 and int(minutes) < 60:
                return dt.time(int(hours), int(minutes))
    raise ScenarioError(f'{where}: expected a time of day like "08:30", got {value!r}')


def _hm(t: dt.time) -> str:
    return t.strftime("%H:%M")
