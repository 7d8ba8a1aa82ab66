"""The simulated day: the real dispatch engine, driven by citizens and clerks on a simulated clock.

`hall simulate` answers "what would this staffing do to the waits?" in seconds instead of a
day. It runs the same `Engine` as the hall controller, with commands and `now` exactly as the
gateway would pass them, so what it measures is what the live hall would do, rules and all
(backup counters, the priority head start, recalls, rating prompts that time out).

Three parts:
- the plan (`Plan`): a scenario turned into simulated instants. `plan_day` makes one from a
  scenario file; `plan_simple` and `simple_hall` make the M/M/c case (Poisson arrivals,
  exponential service, c identical counters), which must agree with queueing theory;
- the day (`simulate`): a discrete-event loop over a heap of future happenings (a citizen
  arrives or presses a rating key; a clerk's wait is over). The clerks follow the procedure of
  simulators/clerk.py, which the crowd follows too: each of their actions becomes the engine
  command their keypad would send, at its instant;
- the results (`results`): every statistic is computed from the events the engine emits, by the
  reports' own tally (hall_controller/reports/tally.py), never from the simulation's own notes.

Randomness comes from `random.Random` instances seeded from the one seed, so the same seed
gives the same day. The citizens (when they come, and everything about them) are the ones of
simulators/behaviour.py, which the crowd of `hall demo` plays too: two runs with the same seed and
different staffing see the same crowd, which makes comparing staffings fair (common random numbers).
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from hall import config
from hall.config import Hall
from hall_controller.engine import Engine, Refused
from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev
from hall_controller.reports.figures import nearest_rank
from hall_controller.reports.tally import Tally, ewt_figures
from simulators import clerk
from simulators.behaviour import Citizen, citizens
from simulators.scenario import LEVELS, Citizens, Clerks, Scenario, ServiceTime

SIMPLE_START = dt.datetime(2026, 1, 5)  # where the simple case's clock starts (a Monday midnight)
SIMPLE_SERVICE = "service"

FLOOR_STAFF = "floor staff (simulated)"  # who confirms priority asked for at a "staff" kiosk


# --- the plan ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedShift:
    counter: int
    clerk: str
    start: float
    end: float | None  # None: on duty until the simulation stops
    stays_late: bool  # after `end`, serve whoever still waits, then leave
    breaks: tuple[tuple[float, float, str], ...] = ()  # (at, seconds, reason)


@dataclass(frozen=True)
class Plan:
    """A day to simulate, in simulated instants (epoch seconds)."""

    mode: str  # "scenario" or "simple"
    date: str  # the local date of `start`, for the results
    start: float
    close: float  # no ticket is taken from here on
    stop: float | None  # the simulation ends here; None: once the hall is empty
    arrivals: dict[str, tuple[tuple[float, float], ...]]  # service -> (from, tickets per second) steps
    service_times: dict[str, ServiceTime]
    shifts: tuple[PlannedShift, ...]
    citizens: Citizens
    clerks: Clerks


def plan_day(hall: Hall, scenario: Scenario) -> Plan:
    """The scenario's day at `hall`, in the hall's time zone."""
    tz = hall.tz

    def at(t: dt.time) -> float:
        return dt.datetime.combine(scenario.date, t, tzinfo=tz).timestamp()

    close = at(scenario.close)
    shifts = tuple(
        PlannedShift(
            counter=s.counter,
            clerk=s.clerk,
            start=at(s.start),
            end=at(s.end),
            stays_late=at(s.end) >= close,
            breaks=tuple((at(b.at), b.minutes * 60, b.reason) for b in s.breaks),
        )
        for s in scenario.staff
    )
    return Plan(
        mode="scenario",
        date=scenario.date.isoformat(),
        start=min([at(scenario.open), *(s.start for s in shifts)]),
        close=close,
        stop=None,
        arrivals={
            service: tuple((at(t), rate / 3600) for t, rate in steps) for service, steps in scenario.arrivals.items()
        },
        service_times=scenario.service_times,
        shifts=shifts,
        citizens=scenario.citizens,
        clerks=scenario.clerks,
    )


def simple_hall(counters: int, mean_service_min: float, target_wait_min: float = 20) -> Hall:
    """One service, `counters` identical counters serving it, numbers that never run out."""
    return config.parse(
        {
            "hall": {"id": "simple", "name": {"zh": "模拟大厅", "en": "Simulated hall"}},
            "services": [
                {
                    "id": SIMPLE_SERVICE,
                    "prefix": "A",
                    "name": {"zh": "综合业务", "en": "Service"},
                    "numbers": [1, 999_999],
                    "reset": "never",
                    "target_wait_min": target_wait_min,
                    "mean_service_min": mean_service_min,
                }
            ],
            "counters": [{"number": n, "primary": [SIMPLE_SERVICE]} for n in range(1, counters + 1)],
        }
    )


def plan_simple(hall: Hall, arrivals_per_hour: float, mean_service_min: float, hours: float) -> Plan:
    """The M/M/c queue: Poisson arrivals, exponential service, FIFO, every counter open throughout."""
    start = SIMPLE_START.replace(tzinfo=hall.tz).timestamp()
    stop = start + hours * 3600
    return Plan(
        mode="simple",
        date=SIMPLE_START.date().isoformat(),
        start=start,
        close=stop,
        stop=stop,
        arrivals={SIMPLE_SERVICE: ((start, arrivals_per_hour / 3600),)},
        service_times={SIMPLE_SERVICE: ServiceTime(mean_s=mean_service_min * 60, cv=1.0, exponential=True)},
        shifts=tuple(
            PlannedShift(counter=n, clerk=f"S{n:03d}", start=start, end=None, stays_late=False)
            for n in sorted(hall.counters)
        ),
        citizens=Citizens(walk_s=(0.0, 0.0), participation=0.0),
        clerks=Clerks(wrapup_s=(0.0, 0.0)),
    )


def erlang_c(arrivals_per_hour: float, mean_service_min: float, counters: int) -> dict:
    """Queueing theory for the simple case: M/M/c mean wait, chance of waiting, utilisation."""
    lam, mu = arrivals_per_hour / 3600, 1 / (mean_service_min * 60)
    a = lam / mu
    rho = a / counters
    if rho >= 1:
        return {"utilisation": round(rho, 4), "p_wait": 1.0, "mean_wait_s": None, "stable": False}
    term, total = 1.0, 1.0  # a^k / k!, summed for k < c
    for k in range(1, counters):
        term *= a / k
        total += term
    top = term * a / counters / (1 - rho)  # a^c / c! * 1/(1-rho)
    p_wait = top / (total + top)
    return {
        "utilisation": round(rho, 4),
        "p_wait": round(p_wait, 4),
        "mean_wait_s": round(p_wait / (counters * mu - lam), 1),
        "stable": True,
    }


# --- the day -------------------------------------------------------------------------------


def simulate(hall: Hall, plan: Plan, seed: int, on_event: Callable[[Any], None] | None = None) -> dict:
    """Run the plan on a fresh engine; return the results as plain data (see docs/simulate.md).

    `on_event`, if given, sees every event the engine emits, in order (to journal a simulated
    day, or to check the tally).
    """
    day = _Day(hall, plan, seed, on_event)
    day.run()
    result = {
        "mode": plan.mode,
        "hall": hall.id,
        "date": plan.date,
        "seed": seed,
        "started": _local(plan.start, hall),
        "ended": _local(day.end, hall),
    }
    result.update(results(day.tally, day.end))
    result["tickets"]["turned_away"] = day.turned_away
    return result


# what happens next (the heap holds (at, order, kind, subject))
ARRIVAL, CLERK, RATING = range(3)


class _Desk:
    """A counter and the script of its clerks, as the day drives it (the engine keeps its own view)."""

    __slots__ = ("number", "script", "token", "idle", "idle_since", "levels")

    def __init__(self, number: int, script: clerk.Script | None, levels: dict[str, int]):
        self.number = number
        self.script = script
        self.token = 0  # the clerk's wake-up carries it: a stale one is ignored
        self.idle = False  # waiting for someone to call: a new ticket wakes them
        self.idle_since = 0.0
        self.levels = levels  # service -> 1 primary, 2 backup


class _Day:
    def __init__(self, hall: Hall, plan: Plan, seed: int, on_event: Callable[[Any], None] | None):
        self.hall, self.plan = hall, plan
        self.engine = Engine(hall)
        self.tally = Tally(hall, plan.start)
        self.take = self.tally.take
        if on_event is not None:
            tally_take = self.tally.take

            def take(e) -> None:
                tally_take(e)
                on_event(e)

            self.take = take
        self.arrivals = citizens(hall, plan, seed)
        self.clerk_rng = random.Random(f"{seed}/clerks")
        self.heap: list = []
        self.order = itertools.count()
        self.now = self.end = plan.start
        self.turned_away = 0
        self.citizen: dict[str, clerk.Ticketed] = {}  # ticket -> its holder
        shifts: dict[int, list[PlannedShift]] = {}
        for shift in plan.shifts:
            shifts.setdefault(shift.counter, []).append(shift)

        def clock() -> float:
            return self.now

        self.desks = {
            n: _Desk(
                n,
                clerk.counter_script(
                    shifts[n],
                    clerk.counter_of(hall, n),
                    hall,
                    plan,
                    clock,
                    self.clerk_rng,
                    self.citizen.get,
                    glance_s=math.inf,
                )
                if n in shifts
                else None,
                {s: c.level(s) for s in (*c.primary, *c.backup)},
            )
            for n, c in hall.counters.items()
        }
        self.serving = {s: [d for d in self.desks.values() if s in d.levels] for s in hall.services}
        self.speaker = next((d.id for d in hall.displays.values() if d.mode == "hall"), None)
        self.handlers = (self._arrival, self._clerk, self._rating)

    def at(self, when: float, kind: int, subject) -> None:
        heapq.heappush(self.heap, (when, next(self.order), kind, subject))

    def do(self, command) -> list:
        """One command to the engine at the current instant; its events go to the tally."""
        events = self.engine.handle(command, self.now)
        take = self.take
        for e in events:
            take(e)
            if self.speaker is not None and (type(e) is ev.TicketCalled or type(e) is ev.TicketRecalled):
                # the hall display speaks each call as it is made (the clerks' clocks start from it)
                for heard in self.engine.handle(
                    cmd.ReportCalls(self.speaker, (cmd.CallOutcome(e.call_seq, "spoken", self.now, self.now),)),
                    self.now,
                ):
                    take(heard)
        self.end = self.now
        return events

    def run(self) -> None:
        plan = self.plan
        self.begin()
        self.advance(math.inf if plan.stop is None else plan.stop)
        if plan.stop is not None:
            self.now = self.end = plan.stop
            for e in self.engine.tick(plan.stop):
                self.take(e)

    def begin(self) -> None:
        """Open the day: the engine's first tick, each service's first arrival, the clerks' scripts."""
        plan, tick, take = self.plan, self.engine.tick, self.take
        for e in tick(plan.start):
            take(e)
        self._expect_next()
        for desk in self.desks.values():
            if desk.script is not None:
                self._act(desk)

    def advance(self, until: float) -> bool:
        """Play every happening up to `until` (after `begin`); a live driver (the district demo's
        engine-level halls) calls this as its sped-up clock moves. False when the day is over."""
        heap, pop, tick, take, handlers = self.heap, heapq.heappop, self.engine.tick, self.take, self.handlers
        while heap and heap[0][0] <= until:
            now, _, kind, subject = pop(heap)
            self.now = now
            for e in tick(now):
                take(e)
            handlers[kind](now, subject)
        return bool(heap)

    # --- citizens ---------------------------------------------------------------------------

    def _expect_next(self) -> None:
        """Put the day's next citizen on the heap (one at a time: the day may be very long)."""
        citizen = next(self.arrivals, None)
        if citizen is not None:
            self.at(citizen.at, ARRIVAL, citizen)

    def _arrival(self, now: float, citizen: Citizen) -> None:
        self._expect_next()
        try:
            reserved = self.do(cmd.RequestTicket(citizen.service, citizen.klass, citizen.kiosk))
        except Refused:
            self.turned_away += 1  # numbers exhausted: the kiosk refuses, the citizen leaves
            return
        ticket = _first(reserved, ev.TicketReserved).ticket
        self.do(cmd.ConfirmPrinted(ticket))
        if any(isinstance(e, ev.PriorityRequested) for e in reserved):
            # a kiosk where staff confirm priority: the floor staff see the citizen and confirm at once
            self.do(cmd.DecidePriority(ticket, True, by=FLOOR_STAFF))
        self.citizen[ticket] = clerk.Ticketed(citizen, now)
        self._wake(citizen.service)

    def _wake(self, service: str) -> None:
        """A ticket waits: an idle clerk who may serve it looks up and calls. Counters with the
        service as primary skill go before backups; among them, the one idle longest."""
        idle = [d for d in self.serving[service] if d.idle]
        if len(idle) > 1:
            idle.sort(key=lambda d: (d.levels[service], d.idle_since, d.number))
        for desk in idle:
            self._act(desk)
            if not desk.idle:
                return

    def _rating(self, now: float, subject: tuple) -> None:
        prompt, level, counter = subject
        try:
            self.do(cmd.SubmitRating(prompt, level, pressed_at=now, counter=counter))
        except Refused as r:
            if r.code != "rating_closed":  # the clerk called the next citizen first: lost
                raise

    # --- clerks: their script (simulators/clerk.py), its actions made engine commands ----------

    def _clerk(self, now: float, subject: tuple) -> None:
        number, token = subject
        desk = self.desks[number]
        if desk.token == token:
            self._act(desk)

    def _act(self, desk: _Desk) -> None:
        """Carry out the clerk's actions at this instant until they wait for a later one."""
        sees: clerk.Sees | None = None
        was_idle, desk.idle = desk.idle, False
        while True:
            try:
                action = desk.script.send(sees)
            except StopIteration:
                desk.script = None
                return
            if type(action) is clerk.Wait:
                if action.until <= self.now and not action.wake:
                    sees = None
                    continue
                desk.token += 1
                if action.wake:
                    desk.idle = True
                    if not was_idle:
                        desk.idle_since = self.now
                if action.until < math.inf:
                    self.at(max(action.until, self.now), CLERK, (desk.number, desk.token))
                return
            sees = self._carry_out(desk, action)

    def _carry_out(self, desk: _Desk, action) -> clerk.Sees:
        """One action of the clerk as the engine command the keypad would send; a refusal changes
        nothing (the clerk sees the counter as it was)."""
        number, kind = desk.number, type(action)
        try:
            if kind is clerk.CallNext:
                if any(self.tally.waiting[s] for s in desk.levels):  # "call" with nobody waiting: refused
                    self.do(cmd.CallNext(number))
            elif kind is clerk.Rate:
                self.at(self.now + action.press_s, RATING, (action.ticket, action.level, number))
            elif kind is clerk.Transfer:
                ticket = self.engine.state.desks[number].current
                self.do(cmd.Transfer(number, to_service=action.to))
                held = self.citizen[ticket]
                _, service_s = held.citizen.transfer
                self.citizen[ticket] = replace(
                    held,
                    citizen=replace(held.citizen, service=action.to, service_s=service_s, transfer=None, no_show=False),
                )
                self._wake(action.to)
            elif kind is clerk.FinishService:
                ticket = self.engine.state.desks[number].current
                self.do(cmd.Finish(number))
                self.citizen.pop(ticket, None)
            elif kind is clerk.Recall:
                ticket = self.engine.state.desks[number].current
                if any(type(e) is ev.TicketNoShow for e in self.do(cmd.Recall(number))):
                    del self.citizen[ticket]  # past the recall limit: the engine marked a no-show
            elif kind is not clerk.Look:
                self.do(self._command(number, action))
        except Refused:
            pass
        return self._sees(desk)

    def _command(self, number: int, action):
        kind = type(action)
        if kind is clerk.OpenCounter:
            return cmd.OpenCounter(number, action.clerk)
        if kind is clerk.StartService:
            return cmd.StartService(number)
        if kind is clerk.Pause:
            return cmd.PauseCounter(number, action.reason)
        if kind is clerk.Resume:
            return cmd.ResumeCounter(number)
        if kind is clerk.CloseCounter:
            return cmd.CloseCounter(number)
        raise TypeError(f"a clerk cannot {action!r}")

    def _sees(self, desk: _Desk) -> clerk.Sees:
        """The counter as the clerk's caller shows it."""
        state = self.engine.state
        d = state.desks[desk.number]
        ticket = d.current
        waiting = self.tally.waiting
        return clerk.Sees(
            d.state.value,
            ticket,
            state.tickets[ticket].state.value if ticket is not None else None,
            sum(waiting[s] for s in desk.levels),
        )


def _first(events: list, kind: type):
    for e in events:
        if type(e) is kind:
            return e
    raise RuntimeError(f"the engine emitted no {kind.__name__}: {events}")


def _local(at: float, hall: Hall) -> str:
    return dt.datetime.fromtimestamp(at, hall.tz).isoformat(timespec="seconds")


# --- the results ---------------------------------------------------------------------------


def results(tally: Tally, end: float) -> dict:
    """The day's statistics as plain data (docs/simulate.md), from the tally of its events, with
    intervals still running counted up to `end`.

    A ticket's wait runs from taking it (its `since`) to its first call; every called ticket
    counts, no-shows included. Busy time is serving time (service started to finished); open
    time is time signed in and not paused. Percentiles are nearest-rank. docs/reports.md defines
    the same figures for the reports, which come from the same tally.
    """
    hall = tally.hall
    open_s, busy_s = tally.open_and_busy(end)
    queue_area = tally.queue_area_until(end)
    duration = end - tally.start
    overall = tally.overall

    by_service = {}
    for s in hall.services:
        row = tally.by_service[s]
        levels = row.levels
        by_service[s] = {
            "issued": row.issued,
            "served": row.served,
            "no_shows": row.no_shows,
            "target_wait_s": tally.target[s],
            **_wait_figures(row.waits, row.within),
            "mean_service_s": _round(row.service_s / row.served, 1) if row.served else None,
            "rated": sum(levels),
            "satisfaction": _share(levels[4] + levels[3], sum(levels)),
        }
    by_class = {
        k: _wait_figures(tally.by_class[k].waits, tally.by_class[k].within)
        for k in hall.ticket_classes
        if k in tally.by_class and tally.by_class[k].waits
    }
    issued, served, called = overall.issued, overall.served, len(overall.waits)
    levels = overall.levels
    rated = sum(levels)
    counters = {
        str(n): {
            "clerks": tally.clerks[n],
            "open_s": _round(open_s[n], 1),
            "busy_s": _round(busy_s[n], 1),
            "utilisation": _share(busy_s[n], open_s[n]),
            "served": tally.by_counter[n].served if n in tally.by_counter else 0,
        }
        for n in hall.counters
        if open_s[n] > 0
    }
    n = tally.promise_n
    return {
        "duration_s": _round(duration, 1),
        "tickets": {
            "issued": issued,
            "called": called,
            "served": served,
            "no_shows": overall.no_shows,
            "never_called": issued - overall.voided - called,
            "voided": overall.voided,
        },
        "wait": {
            "overall": _wait_figures(overall.waits, overall.within),
            "by_service": by_service,
            "by_class": by_class,
        },
        "queue": {
            "mean_waiting": _round(queue_area / duration, 3) if duration > 0 else None,
            "arrivals_per_hour": _round(issued / duration * 3600, 3) if duration > 0 else None,
        },
        "counters": {"utilisation": _share(sum(busy_s.values()), sum(open_s.values())), "by_counter": counters},
        "ewt": ewt_figures(tally.by_service, overall),
        "promised_wait": {
            "tickets": n,
            "mae_s": _round(tally.promise_abs / n, 1) if n else None,
            "bias_s": _round(tally.promise_sum / n, 1) if n else None,
        },
        "ratings": {
            "prompted": tally.prompted,
            "rated": rated,
            "participation": _share(rated, served),
            "satisfaction": _share(levels[4] + levels[3], rated),
            "levels": {str(i): levels[i] for i in LEVELS},
        },
    }


def _wait_figures(waits: list[float], within: int) -> dict:
    n = len(waits)
    if not n:
        return {"called": 0, "mean_s": None, "p50_s": None, "p95_s": None, "max_s": None, "within_target": None}
    ordered = sorted(waits)
    return {
        "called": n,
        "mean_s": _round(sum(ordered) / n, 1),
        "p50_s": _round(nearest_rank(ordered, 0.50), 1),
        "p95_s": _round(nearest_rank(ordered, 0.95), 1),
        "max_s": _round(ordered[-1], 1),
        "within_target": _share(within, n),
    }


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _round(x: float, digits: int) -> float:
    return round(x, digits)


#: The day driven step by step (`begin`, then `advance(until)` as a live clock moves), as the
#: district demo's engine-level halls run it; `simulate` runs it whole.
LiveDay = _Day
