"""The people of a simulated day: who comes when, what they will do there, how clerks pace.

Both simulators play the same people: `hall simulate` (simulators/day.py) drives the pure engine
in-process, the crowd (simulators/crowd.py) presses the keys of running simulated devices. What
a citizen is and does is written here once, so the two cannot drift apart:

- arrivals: Poisson at each step's rate of the plan, from its opening until closing, one random
  stream per service;
- the citizen: class, service time, whether they come, their walk to the counter, whether and
  how they rate, the kiosk they use (and, for the crowd, a transfer to the right service), all
  drawn when they arrive, in arrival order, from a stream only citizens use: the same seed gives
  the same crowd in both simulators, and two staffings of one day see the same crowd (common
  random numbers);
- service times: exponential, fixed, or lognormal with the scenario's mean and spread;
- the rating key a citizen presses: the scenario's mix, a worse one after a wait past the target;
- how often an idle clerk looks for someone to call.

The draws stay in the order `hall simulate` has always made them, so its figures for a seed do
not move.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hall.config import Hall
from simulators.scenario import LEVELS, Citizens, ServiceTime

if TYPE_CHECKING:
    from simulators.day import Plan

IDLE_LOOK_S = 30.0  # an idle clerk looks for someone to call (a backup service, say) this often


@dataclass(frozen=True)
class Citizen:
    """Everything about one citizen, drawn when they arrive (so a seed gives the same crowd)."""

    at: float  # arrival at the kiosk (simulated epoch seconds)
    service: str
    kiosk: str | None  # None: no kiosk issues the service (the ticket is issued anyway)
    klass: str  # normal | priority
    service_s: float  # how long serving them takes
    no_show: bool  # gone by the time they are called
    walk_s: float  # from the call to the counter
    rating: tuple[float, float] | None  # (draw for the level, seconds to the press), or no rating
    transfer: tuple[str, float] | None  # at the wrong service: (the right one, service time there)


def arrival_times(
    steps: tuple[tuple[float, float], ...], start: float, close: float, rng: random.Random
) -> Iterator[float]:
    """Poisson arrivals from `start` until `close`, at the rate of the step each instant is in
    (`steps`: (from, tickets per second), in order)."""
    t, i = start, 0
    while True:
        until = steps[i + 1][0] if i + 1 < len(steps) else close
        rate = steps[i][1]
        if rate > 0:
            t = max(t, steps[i][0]) + rng.expovariate(rate)
            if t < until:
                yield t
                continue
        if i + 1 >= len(steps):
            return
        i += 1
        t = steps[i][0]


def citizens(hall: Hall, plan: Plan, seed: int, transfer_share: float = 0.0) -> Iterator[Citizen]:
    """The day's citizens in arrival order, each with their draws; lazy, so a day of ten thousand
    hours need not be held at once. Pure: the same hall, plan and seed give the same citizens.

    With `transfer_share`, that share of those who come is at the wrong service and is sent to
    another; those draws come from a stream of their own, so the rest of the crowd stays the same.
    """
    rng = random.Random(f"{seed}/citizens")
    transfers = random.Random(f"{seed}/transfers")
    draw = {s: service_time_sampler(t, rng) for s, t in plan.service_times.items()}
    draw_there = {s: service_time_sampler(t, transfers) for s, t in plan.service_times.items()}
    kiosks = {s: [k.id for k in hall.kiosks.values() if s in k.services] for s in hall.services}
    c = plan.citizens

    def arriving(service: str) -> Iterator[tuple[float, str]]:
        stream = random.Random(f"{seed}/arrivals/{service}")
        for t in arrival_times(plan.arrivals[service], plan.start, plan.close, stream):
            yield t, service

    for at, service in heapq.merge(*(arriving(s) for s in sorted(plan.arrivals))):
        klass = "priority" if c.priority_share and rng.random() < c.priority_share else "normal"
        service_s = draw[service]()
        no_show = bool(c.no_show) and rng.random() < c.no_show
        walk = rng.uniform(*c.walk_s) if c.walk_s[1] else 0.0
        rating = None
        if c.participation:  # drawn alike for all, so the crowd stays the same
            rates, level_u, press_s = rng.random(), rng.random(), rng.uniform(*c.press_s)
            if rates < c.participation:
                rating = (level_u, press_s)
        theirs = kiosks[service]
        kiosk = theirs[int(rng.random() * len(theirs))] if theirs else None
        transfer = None
        if transfer_share:
            others = [s for s in hall.services if s != service]
            if others and transfers.random() < transfer_share and not no_show:
                to = others[int(transfers.random() * len(others))]
                transfer = (to, draw_there[to]())
        yield Citizen(at, service, kiosk, klass, service_s, no_show, walk, rating, transfer)


def service_time_sampler(t: ServiceTime, rng: random.Random) -> Callable[[], float]:
    """A function drawing one service time (seconds) from `rng`."""
    mean = t.mean_s
    if t.exponential:
        rate = 1 / mean
        return lambda: rng.expovariate(rate)
    if t.cv == 0:
        return lambda: mean
    sigma = math.sqrt(math.log(1 + t.cv * t.cv))
    mu = math.log(mean) - sigma * sigma / 2
    return lambda: rng.lognormvariate(mu, sigma)


class RatingMix:
    """The rating key a citizen presses, from their draw `u` (uniform in [0, 1)): the scenario's
    mix of levels, or its mix after a wait past the target when it gives one."""

    def __init__(self, citizens: Citizens) -> None:
        self.usual = _cumulative(citizens.mix)
        self.late = _cumulative(citizens.mix_over_target or citizens.mix)

    def level(self, u: float, late: bool) -> int:
        return LEVELS[bisect.bisect_right(self.late if late else self.usual, u)]


def _cumulative(shares: tuple[float, ...]) -> list[float]:
    out = list(itertools.accumulate(shares))
    out[-1] = math.inf  # rounding never picks a level past the last
    return out
