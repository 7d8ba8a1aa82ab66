"""The report: a period's figures as frozen data, made from a tally of the engine's events.

This is what the management web, `hall report` and the demo's day report read. A `Figures` is
one row (the whole hall, one service, one counter, one clerk, one day or one ticket class); a
`Report` is every row of a period, plus arrivals by hour against open counters (for peak
staffing) and the ratings of 一般 or 不满意 that need a follow-up. docs/reports.md defines
every figure with its formula.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from hall.config import Hall
from hall_controller.reports.tally import Counts, Tally

LEVELS = (4, 3, 2, 1)  # 非常满意, 满意, 一般, 不满意
LEVEL_NAMES = {4: "非常满意", 3: "满意", 2: "一般", 1: "不满意"}
SCORE_5 = {4: 5, 3: 4, 2: 3, 1: 1}  # the four keys on the usual 5-point scale (docs/reports.md)


@dataclass(frozen=True)
class Figures:
    """One row of a report. Shares are fractions (0.9 is 90 %); times are seconds; a figure
    without anything to measure (no rating, no call) is None, never 0."""

    issued: int
    served: int
    no_shows: int
    transfers: int
    voided: int
    rated: int
    levels: dict[int, int]  # {4: n, 3: n, 2: n, 1: n}
    satisfaction_rate: float | None  # (levels 4 + 3) / rated
    mean_score_5: float | None  # mean of SCORE_5 over the ratings
    participation: float | None  # rated / served
    wait_mean_s: float | None  # from taking the ticket to its first call
    wait_p50_s: float | None  # nearest rank
    wait_p95_s: float | None
    within_target: float | None  # share of first calls within the service's target wait
    service_mean_s: float | None  # serving time per served ticket
    # the wait printed on tickets against the wait each had (tickets printed with a figure)
    called: int = 0  # first calls (the waits measured)
    ewt_tickets: int = 0
    ewt_mae_s: float | None = None  # mean |printed - actual|
    ewt_relative_mae: float | None = None  # ... over the mean actual wait of the same tickets
    ewt_bias_s: float | None = None  # mean (printed - actual): above 0, waits were shorter than printed


@dataclass(frozen=True)
class FollowUpRow:
    """A rating of 2 一般 or 1 不满意: someone should call the citizen back (the web keeps notes)."""

    ticket: str  # "20260317-A023": unique, for the web's notes
    label: str  # "A023": as printed
    counter: int
    clerk: str | None
    service: str
    level: int
    at: float  # when the rating was recorded (epoch seconds)


@dataclass(frozen=True)
class Report:
    start: float  # the period, epoch seconds: start <= t < end
    end: float
    overall: Figures
    by_service: dict[str, Figures]
    by_counter: dict[int, Figures]
    by_clerk: dict[str, Figures]
    by_day: dict[str, Figures]  # local dates, "2026-03-17"
    by_class: dict[str, Figures]
    arrivals_by_hour: list[tuple[int, float, float]]  # (local hour, mean tickets taken per active day
    #  in that hour, mean counters open in that hour)
    follow_ups: list[FollowUpRow]
    hall: str = ""
    timezone: str = "UTC"
    days: int = 0  # active days: local dates with a ticket taken or a counter open
    service_names: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (zh, en)
    counter_names: dict[int, tuple[str, str]] = field(default_factory=dict)
    priority: dict[str, int] = field(default_factory=dict)  # self | asked | confirmed | refused (tally.py)
    by_hour: dict[int, Figures] = field(default_factory=dict)  # local hour of day (0-23), every day of the period


def report(events: Iterable, hall: Hall, start: float, end: float, now: float | None = None) -> Report:
    """The report of `start <= t < end` from events in journal order.

    Give the events from some days before `start` too (report_from_journal gives seven), so
    tickets and counters already open at `start` are known. `now`: counters still open are
    counted as open up to `now` (default: up to `end`), for a report of a day still running.
    """
    if not end > start:
        raise ValueError("a report's period must end after it starts")
    return from_tally(Tally(hall, start, end).take_all(events), hall, now)


def from_tally(tally: Tally, hall: Hall, now: float | None = None) -> Report:
    start, end = tally.start, tally.end
    until = end if now is None else max(start, min(now, end))
    taken, open_by_hour, days = tally.hours(until)
    n_days = len(days)
    by_hour = [
        (h, taken[h] / n_days if n_days else 0.0, open_by_hour[h] / 3600 / n_days if n_days else 0.0) for h in range(24)
    ]
    by_service = {s: figures(c) for s, c in tally.by_service.items()}
    by_counter = {n: figures(tally.by_counter.get(n) or Counts()) for n in sorted({*hall.counters, *tally.by_counter})}
    classes = [*hall.ticket_classes, *sorted(k for k in tally.by_class if k not in hall.ticket_classes)]
    return Report(
        start=start,
        end=end,
        overall=figures(tally.overall),
        by_service=by_service,
        by_counter=by_counter,
        by_clerk={k: figures(tally.by_clerk[k]) for k in sorted(tally.by_clerk)},
        by_day={d: figures(tally.by_day[d]) for d in sorted(tally.by_day)},
        by_class={k: figures(tally.by_class.get(k) or Counts()) for k in classes},
        arrivals_by_hour=by_hour,
        follow_ups=[
            FollowUpRow(ticket, ticket.rsplit("-", 1)[-1], counter, clerk, service, level, at)
            for ticket, counter, clerk, service, level, at in tally.follow_ups
        ],
        hall=hall.id,
        timezone=hall.timezone,
        days=n_days,
        service_names={s.id: (s.names.zh, s.names.en) for s in hall.services.values()},
        counter_names={c.number: (c.names.zh, c.names.en) for c in hall.counters.values()},
        priority=dict(tally.priority),
        by_hour={h: figures(tally.by_hour[h]) for h in sorted(tally.by_hour)},
    )


def figures(c: Counts) -> Figures:
    """One row's figures from its running sums (docs/reports.md has the formulas)."""
    levels = {level: c.levels[level] for level in LEVELS}
    rated = sum(levels.values())
    waits = sorted(c.waits)
    n = len(waits)
    return Figures(
        issued=c.issued,
        served=c.served,
        no_shows=c.no_shows,
        transfers=c.transfers,
        voided=c.voided,
        rated=rated,
        levels=levels,
        satisfaction_rate=(levels[4] + levels[3]) / rated if rated else None,
        mean_score_5=sum(SCORE_5[k] * v for k, v in levels.items()) / rated if rated else None,
        participation=rated / c.served if c.served else None,
        wait_mean_s=sum(waits) / n if n else None,
        wait_p50_s=nearest_rank(waits, 0.50) if n else None,
        wait_p95_s=nearest_rank(waits, 0.95) if n else None,
        within_target=c.within / c.timed if c.timed else None,
        service_mean_s=c.service_s / c.served if c.served else None,
        called=n,
        ewt_tickets=c.promised,
        ewt_mae_s=c.promise_abs / c.promised if c.promised else None,
        ewt_relative_mae=c.promise_abs / c.promised_waits if c.promised_waits else None,
        ewt_bias_s=c.promise_err / c.promised if c.promised else None,
    )


def nearest_rank(ordered: list[float], p: float) -> float:
    """The p-th percentile by nearest rank: the smallest value with at least p of all at or below it."""
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]
