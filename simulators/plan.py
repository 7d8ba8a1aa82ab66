"""The staffing planner: the fewest counters that keep waits within target, found on the real engine.

A manager asks "how many counters do I need open at 9-11 to keep waits within target?". The
planner answers by simulating (simulators/day.py: the hall's own engine, its A/B post rule and
class restrictions, common random numbers across staffings) over several seeds, and keeping the
smallest staffing whose waits meet both targets:
- the share of tickets called within the service's target wait is at least `within`;
- the 95th percentile of the wait is at most `p95_multiple` times the target.

Two questions, one module:
- `simple(...)`: one service, identical counters, Poisson arrivals, exponential service (the
  M/M/c queue), where queueing theory (Erlang C, `erlang_c_counters`) gives the answer to check
  the simulation against;
- `by_hour(...)`: a hall and a day (a scenario file, or a day built from the hall's journal): for
  each hour, which counters to open. It starts from every counter open in every hour of the day,
  then, hour by hour from the morning on, closes counters one at a time (the ones that add least
  first) while the tickets arriving in that hour and the next still meet the targets. An hour
  that misses them with every counter open says so.

Pure: no files, no printing (plan_cli.py does that).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace

from hall.config import Hall
from hall_controller.engine import events as ev
from hall_controller.reports.figures import nearest_rank
from simulators import day
from simulators.scenario import Scenario

SIMPLE_HOURS = 200.0  # simulated hours per seed in the simple case
P95 = 0.95


# --- the simple case: M/M/c --------------------------------------------------------------------


def erlang_c_waits(
    arrivals_per_hour: float, mean_service_min: float, counters: int, target_s: float
) -> tuple[float, float] | None:
    """Queueing theory's share of waits within `target_s` and 95th-percentile wait (seconds) for
    the M/M/c queue; None when `counters` cannot keep up (the queue grows without end)."""
    theory = day.erlang_c(arrivals_per_hour, mean_service_min, counters)
    if not theory["stable"]:
        return None
    lam, mu = arrivals_per_hour / 3600, 1 / (mean_service_min * 60)
    # erlang_c rounds; recompute the chance of waiting exactly
    a = lam / mu
    term, total = 1.0, 1.0
    for k in range(1, counters):
        term *= a / k
        total += term
    top = term * a / counters / (1 - a / counters)
    p_wait = top / (total + top)
    drain = counters * mu - lam  # P(W > t) = p_wait * exp(-drain * t)
    within = 1 - p_wait * math.exp(-drain * target_s)
    p95 = 0.0 if p_wait <= 1 - P95 else math.log(p_wait / (1 - P95)) / drain
    return within, p95


def erlang_c_counters(
    arrivals_per_hour: float, mean_service_min: float, target_wait_min: float, within: float, p95_multiple: float
) -> int:
    """The fewest counters queueing theory says meet both targets."""
    c = max(1, math.floor(arrivals_per_hour * mean_service_min / 60) + 1)
    while True:
        w = erlang_c_waits(arrivals_per_hour, mean_service_min, c, target_wait_min * 60)
        if w is not None and w[0] >= within and w[1] <= p95_multiple * target_wait_min * 60:
            return c
        c += 1


@dataclass(frozen=True)
class Trial:
    """What one staffing gave, over every seed: share within target and 95th percentile wait."""

    counters: int
    within_target: float | None
    p95_s: float | None
    mean_wait_s: float | None
    called: int

    def meets(self, within: float, p95_limit_s: float) -> bool:
        return (
            self.within_target is not None
            and self.within_target >= within
            and self.p95_s is not None
            and self.p95_s <= p95_limit_s
        )


def simple(
    arrivals_per_hour: float,
    mean_service_min: float,
    target_wait_min: float,
    within: float,
    p95_multiple: float = 2.0,
    seeds: tuple[int, ...] = (1, 2, 3),
    hours: float = SIMPLE_HOURS,
) -> dict:
    """The fewest identical counters meeting the targets in simulation, with Erlang C's answer
    beside it and every staffing tried."""
    limit = p95_multiple * target_wait_min * 60
    c = max(1, math.floor(arrivals_per_hour * mean_service_min / 60) + 1)  # fewer can never keep up
    trials: list[Trial] = []
    while True:
        hall = day.simple_hall(c, mean_service_min, target_wait_min)
        plan = day.plan_simple(hall, arrivals_per_hour, mean_service_min, hours)
        waits: list[float] = []
        for seed in seeds:
            waits += _waits(hall, plan, seed)
        trial = _trial(c, waits, target_wait_min * 60)
        trials.append(trial)
        if trial.meets(within, limit):
            break
        c += 1
    theory = erlang_c_counters(arrivals_per_hour, mean_service_min, target_wait_min, within, p95_multiple)
    best = trials[-1]
    return {
        "mode": "simple",
        "parameters": {
            "arrivals_per_hour": arrivals_per_hour,
            "mean_service_min": mean_service_min,
            "target_wait_min": target_wait_min,
            "within": within,
            "p95_multiple": p95_multiple,
            "seeds": list(seeds),
            "hours_per_seed": hours,
        },
        "counters": best.counters,
        "within_target": best.within_target,
        "p95_s": best.p95_s,
        "erlang_c": {"counters": theory, **_theory_row(arrivals_per_hour, mean_service_min, theory, target_wait_min)},
        "tried": [_trial_row(t) for t in trials],
        "hours": [
            {
                "hour": None,
                "counters": {day.SIMPLE_SERVICE: best.counters},
                "within_target": best.within_target,
                "p95_s": best.p95_s,
            }
        ],
    }


def _theory_row(arrivals_per_hour: float, mean_service_min: float, counters: int, target_wait_min: float) -> dict:
    w = erlang_c_waits(arrivals_per_hour, mean_service_min, counters, target_wait_min * 60)
    return {"within_target": round(w[0], 4), "p95_s": round(w[1], 1)} if w else {"within_target": None, "p95_s": None}


def _waits(hall: Hall, plan: day.Plan, seed: int) -> list[float]:
    """Every first-call wait of a simulated run (seconds)."""
    since: dict[str, float] = {}
    waits: list[float] = []

    def on_event(e) -> None:
        if type(e) is ev.TicketReserved:
            since[e.ticket] = e.since
        elif type(e) is ev.TicketCalled:
            start = since.pop(e.ticket, None)
            if start is not None:
                waits.append(max(0.0, e.at - start))

    day.simulate(hall, plan, seed, on_event)
    return waits


def _trial(counters: int, waits: list[float], target_s: float) -> Trial:
    if not waits:
        return Trial(counters, None, None, None, 0)
    ordered = sorted(waits)
    within = sum(1 for w in ordered if w <= target_s) / len(ordered)
    return Trial(
        counters,
        round(within, 4),
        round(nearest_rank(ordered, P95), 1),
        round(sum(ordered) / len(ordered), 1),
        len(ordered),
    )


def _trial_row(t: Trial) -> dict:
    return {
        "counters": t.counters,
        "within_target": t.within_target,
        "p95_s": t.p95_s,
        "mean_wait_s": t.mean_wait_s,
        "called": t.called,
    }


# --- a hall's day, hour by hour ------------------------------------------------------------------


@dataclass(frozen=True)
class HourFigures:
    """The tickets taken in one hour, over every seed."""

    taken: int
    within_target: float | None  # each ticket against its own service's target
    p95_s: float | None
    p95_ratio: float | None  # 95th percentile of wait / target
    by_service: dict[str, tuple[int, float | None, float | None]]  # service -> (taken, within, p95 ratio)


def day_hours(hall: Hall, scenario: Scenario) -> list[int]:
    """The local hours in which tickets are taken."""
    last = scenario.close.hour - (1 if scenario.close.minute == 0 else 0)
    return list(range(scenario.open.hour, last + 1))


def staffing_plan(hall: Hall, scenario: Scenario, staffing: dict[int, frozenset[int]]) -> day.Plan:
    """The scenario's day with counters open by the hour as `staffing` says (no breaks: the plan
    is about counters, the rota fits clerks and lunches around it). A counter open in the last
    hour stays until nobody it may serve waits."""
    base = day.plan_day(hall, scenario)
    tz = hall.tz

    def at(hour: int) -> float:
        return dt.datetime.combine(scenario.date, dt.time(hour), tzinfo=tz).timestamp()

    open_at, close_at = base.start, base.close
    shifts = []
    for counter in sorted(hall.counters):
        hours = sorted(h for h, open_ in staffing.items() if counter in open_)
        runs: list[list[int]] = []
        for h in hours:
            if runs and runs[-1][-1] == h - 1:
                runs[-1].append(h)
            else:
                runs.append([h])
        for run in runs:
            start = max(open_at, at(run[0]))
            end = min(close_at, at(run[-1] + 1))
            shifts.append(
                day.PlannedShift(
                    counter=counter, clerk=f"P{counter:03d}", start=start, end=end, stays_late=end >= close_at
                )
            )
    return replace(base, shifts=tuple(shifts), start=open_at)


def hour_figures(hall: Hall, plan: day.Plan, seeds: tuple[int, ...]) -> dict[int, HourFigures]:
    """Waits of the tickets taken in each local hour, pooled over the seeds."""
    tz = hall.tz
    cells: dict[int, dict[str, list[float]]] = {}  # hour -> service -> waits / target
    raw: dict[int, list[float]] = {}
    for seed in seeds:
        taken: dict[str, tuple[int, str, float]] = {}

        def on_event(e) -> None:
            if type(e) is ev.TicketReserved:
                taken[e.ticket] = (dt.datetime.fromtimestamp(e.since, tz).hour, e.service, e.since)
            elif type(e) is ev.TicketCalled:
                t = taken.pop(e.ticket, None)
                if t is not None:
                    hour, service, since = t
                    wait = max(0.0, e.at - since)
                    cells.setdefault(hour, {}).setdefault(service, []).append(
                        wait / hall.services[service].target_wait_s
                    )
                    raw.setdefault(hour, []).append(wait)

        day.simulate(hall, plan, seed, on_event)
    out = {}
    for hour, services in cells.items():
        ratios = sorted(r for rs in services.values() for r in rs)
        waits = sorted(raw[hour])
        by_service = {}
        for s, rs in services.items():
            rs = sorted(rs)
            by_service[s] = (len(rs), sum(1 for r in rs if r <= 1) / len(rs), nearest_rank(rs, P95))
        out[hour] = HourFigures(
            len(ratios),
            sum(1 for r in ratios if r <= 1) / len(ratios),
            nearest_rank(waits, P95),
            nearest_rank(ratios, P95),
            by_service,
        )
    return out


MIN_CELL = 8  # a service's tickets in an hour (over every seed) judged on their own from this many


def _meets(f: HourFigures | None, within: float, p95_multiple: float) -> bool:
    if f is None:
        return True  # nobody came: nothing to miss
    if f.within_target < within or f.p95_ratio > p95_multiple:
        return False
    return all(share >= within and ratio <= p95_multiple for n, share, ratio in f.by_service.values() if n >= MIN_CELL)


def _no_worse(before: HourFigures | None, after: HourFigures | None, within: float, p95_multiple: float) -> bool:
    """An hour that met the targets still does; one that missed them (every counter was not
    enough) misses them by no more than before."""
    if _meets(before, within, p95_multiple):
        return _meets(after, within, p95_multiple)
    return (
        after is not None
        and before is not None
        and after.within_target >= before.within_target
        and after.p95_ratio <= before.p95_ratio
    )


def today_staffing(hall: Hall, scenario: Scenario) -> dict[int, float]:
    """Counters open on the scenario's own rota, by the hour (a counter open half the hour counts half)."""
    tz = hall.tz
    out: dict[int, float] = {}
    for h in day_hours(hall, scenario):
        lo = dt.datetime.combine(scenario.date, dt.time(h), tzinfo=tz).timestamp()
        hi = lo + 3600
        total = 0.0
        for s in scenario.staff:
            start = dt.datetime.combine(scenario.date, s.start, tzinfo=tz).timestamp()
            end = dt.datetime.combine(scenario.date, s.end, tzinfo=tz).timestamp()
            seconds = max(0.0, min(hi, end) - max(lo, start))
            for b in s.breaks:
                b0 = dt.datetime.combine(scenario.date, b.at, tzinfo=tz).timestamp()
                seconds -= max(0.0, min(hi, b0 + b.minutes * 60) - max(lo, b0))
            total += max(0.0, seconds) / 3600
        out[h] = round(total, 2)
    return out


def by_hour(
    hall: Hall, scenario: Scenario, within: float, p95_multiple: float = 2.0, seeds: tuple[int, ...] = (1, 2, 3)
) -> dict:
    """For each hour of the scenario's day, the counters to open (see the module docstring), and
    what today's rota (the scenario's staff) gives for comparison."""
    hours = day_hours(hall, scenario)
    staffing = {h: frozenset(hall.counters) for h in hours}
    figures = hour_figures(hall, staffing_plan(hall, scenario, staffing), seeds)
    # least useful first: counters with more skills help more queues, so they close last
    order = sorted(hall.counters, key=lambda n: (len(hall.counters[n].primary) + len(hall.counters[n].backup), -n))
    for i, h in enumerate(hours):
        if not _meets(figures.get(h), within, p95_multiple):
            continue  # not even every counter is enough here
        judged = hours[max(0, i - 1) : i + 2]  # its queue reaches into the next hour, and back
        for counter in order:
            if counter not in staffing[h] or len(staffing[h]) == 1:
                continue
            trial = {**staffing, h: staffing[h] - {counter}}
            if not _serves_every_service(hall, trial[h]):
                continue
            tried = hour_figures(hall, staffing_plan(hall, scenario, trial), seeds)
            if all(_no_worse(figures.get(x), tried.get(x), within, p95_multiple) for x in judged):
                staffing, figures = trial, tried
    today_plan = day.plan_day(hall, scenario)
    today = hour_figures(hall, today_plan, seeds)
    open_today = today_staffing(hall, scenario)
    planned_all = _overall(hall, staffing_plan(hall, scenario, staffing), seeds)
    today_all = _overall(hall, today_plan, seeds)
    arrivals = _arrivals_by_hour(scenario, hours)
    rows = []
    for h in hours:
        f, t = figures.get(h), today.get(h)
        rows.append(
            {
                "hour": h,
                "arrivals_per_hour": arrivals[h],
                "counters": {
                    "total": len(staffing[h]),
                    "open": sorted(staffing[h]),
                    "average": round(len(staffing[h]) * _open_share(scenario, h), 2),
                    "by_service": {
                        s: sum(1 for n in staffing[h] if s in hall.counters[n].primary) for s in hall.services
                    },
                },
                "within_target": _r(f and f.within_target, 4),
                "p95_s": _r(f and f.p95_s, 1),
                "meets": _meets(f, within, p95_multiple),
                "today": {
                    "counters_open": open_today[h],
                    "within_target": _r(t and t.within_target, 4),
                    "p95_s": _r(t and t.p95_s, 1),
                },
            }
        )
    return {
        "mode": "day",
        "hall": hall.id,
        "date": scenario.date.isoformat(),
        "parameters": {"within": within, "p95_multiple": p95_multiple, "seeds": list(seeds)},
        "hours": rows,
        "plan": planned_all,
        "today": today_all,
        "p95_falls_by_s": (
            None
            if planned_all["p95_s"] is None or today_all["p95_s"] is None
            else round(today_all["p95_s"] - planned_all["p95_s"], 1)
        ),
        "counter_hours": {
            "plan": round(sum(len(staffing[h]) * _open_share(scenario, h) for h in hours), 2),
            "today": round(sum(open_today.values()), 2),
        },
    }


def _serves_every_service(hall: Hall, open_: frozenset[int]) -> bool:
    """Every service keeps a counter with it as primary skill (else its tickets are never called)."""
    return all(any(s in hall.counters[n].primary for n in open_) for s in hall.services)


def _overall(hall: Hall, plan: day.Plan, seeds: tuple[int, ...]) -> dict:
    waits: list[float] = []
    within = 0
    for seed in seeds:
        since: dict[str, tuple[float, str]] = {}

        def on_event(e) -> None:
            nonlocal within
            if type(e) is ev.TicketReserved:
                since[e.ticket] = (e.since, e.service)
            elif type(e) is ev.TicketCalled:
                t = since.pop(e.ticket, None)
                if t is not None:
                    wait = max(0.0, e.at - t[0])
                    waits.append(wait)
                    within += wait <= hall.services[t[1]].target_wait_s

        day.simulate(hall, plan, seed, on_event)
    if not waits:
        return {"called": 0, "within_target": None, "p95_s": None, "mean_wait_s": None}
    ordered = sorted(waits)
    return {
        "called": len(ordered),
        "within_target": round(within / len(ordered), 4),
        "p95_s": round(nearest_rank(ordered, P95), 1),
        "mean_wait_s": round(sum(ordered) / len(ordered), 1),
    }


def _open_share(scenario: Scenario, hour: int) -> float:
    """How much of the hour the doors are open (8:30 opening: half of hour 8)."""
    lo = max(dt.time(hour), scenario.open)
    hi = min(dt.time(hour + 1) if hour < 23 else dt.time(23, 59, 59), scenario.close)
    minutes = (hi.hour * 60 + hi.minute) - (lo.hour * 60 + lo.minute)
    return max(0.0, min(60, minutes)) / 60


def _arrivals_by_hour(scenario: Scenario, hours: list[int]) -> dict[int, float]:
    """Tickets expected in each hour, every service together (the scenario's rates, averaged over the hour)."""
    out = {}
    for h in hours:
        total = 0.0
        for steps in scenario.arrivals.values():
            for minute in range(0, 60, 5):
                t = dt.time(h, minute)
                if not scenario.open <= t < scenario.close:
                    continue
                rate = 0.0
                for since, r in steps:
                    if since <= t:
                        rate = r
                total += rate / 12
        out[h] = round(total, 1)
    return out


def _r(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


# --- dispatch policies ---------------------------------------------------------------------------


POLICIES = ("head_start", "interleave_2_1")


def with_policy(hall: Hall, policy: str) -> Hall:
    """The hall under a dispatch policy: today's bounded head start as the hall file says, or
    every counter that serves all classes interleaving two normal tickets with one priority one."""
    if policy == "head_start":
        return replace(hall, counters={n: replace(c, interleave=None) for n, c in hall.counters.items()})
    if policy == "interleave_2_1":
        return replace(
            hall, counters={n: c if c.classes else replace(c, interleave=(2, 1)) for n, c in hall.counters.items()}
        )
    raise ValueError(f"a policy is one of {', '.join(POLICIES)}, not {policy!r}")


def compare_policies(hall: Hall, scenario: Scenario, seeds: tuple[int, ...] = (1, 2, 3)) -> dict:
    """The same day (the scenario's own rota, the same crowd) under each dispatch policy: the
    waits of each ticket class."""
    out = {}
    for policy in POLICIES:
        h = with_policy(hall, policy)
        waits: dict[str, list[float]] = {}
        within: dict[str, int] = {}
        for seed in seeds:
            since: dict[str, tuple[float, str, str]] = {}

            def on_event(e) -> None:
                if type(e) is ev.TicketReserved:
                    since[e.ticket] = (e.since, e.service, e.klass)
                elif type(e) is ev.TicketCalled:
                    t = since.pop(e.ticket, None)
                    if t is not None:
                        wait = max(0.0, e.at - t[0])
                        waits.setdefault(t[2], []).append(wait)
                        within[t[2]] = within.get(t[2], 0) + (wait <= h.services[t[1]].target_wait_s)

            day.simulate(h, day.plan_day(h, scenario), seed, on_event)
        every = sorted(w for ws in waits.values() for w in ws)
        out[policy] = {
            "within_target": round(sum(within.values()) / len(every), 4) if every else None,
            "p95_s": round(nearest_rank(every, P95), 1) if every else None,
            "by_class": {
                k: {
                    "called": len(ws),
                    "mean_s": round(sum(ws) / len(ws), 1),
                    "p95_s": round(nearest_rank(sorted(ws), P95), 1),
                    "within_target": round(within[k] / len(ws), 4),
                }
                for k, ws in sorted(waits.items(), key=lambda kv: hall.ticket_classes.index(kv[0]))
            },
        }
    return out
