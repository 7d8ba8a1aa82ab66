"""Engine throughput against queue length: issue and call-next with 1 k to 1 M tickets waiting.

DESIGN.md asks for flat cost (at most 1.5× slower at 1 M than at 1 k) and at least 50,000
operations a second on one core. The queue is filled by applying the events the engine itself
would emit (faster than issuing a million tickets one by one), then held at its length while
the measured operations run: each round issues one ticket and calls one (then serves it, unmeasured:
a no-show may be marked only once the hall has heard the call).
"""

from __future__ import annotations

import gc
import random
import time

from benchmarks import halls
from benchmarks.figures import Figure
from hall import config
from hall_controller.engine import Engine
from hall_controller.engine import commands as c
from hall_controller.engine import events as ev

SIZES = (1_000, 10_000, 100_000, 1_000_000)
ROUNDS = 20_000
T0 = 1_795_395_600.0  # a Monday morning; the time only moves forward from here
SERVICES = halls.SERVICES


def bench_hall() -> config.Hall:
    return config.parse(halls.raw())


def filled_engine(size: int, rng: random.Random) -> tuple[Engine, float]:
    engine = Engine(bench_hall())
    engine.tick(T0)
    s = engine.state
    t = T0
    for i in range(size):
        service = SERVICES[i % 5]
        klass = "priority" if rng.random() < 0.1 else "normal"
        key = t - engine.hall.dispatch.head_start_s[klass]
        n = s.next_number[service]
        label = engine.hall.services[service].display_number(n)
        ticket = f"{s.days[service]}-{label}"
        engine.apply(ev.TicketReserved(t, ticket, label, service, n, klass, s.seq + 1, t, key, "K1", None, None, 0))
        engine.apply(ev.TicketPrinted(t, ticket))
        t += 0.001
    for n in engine.hall.counters:
        engine.handle(c.OpenCounter(n, f"S{n:03d}"), t)
    return engine, t


def measure(size: int) -> tuple[float, float]:
    """Seconds per issue and per call-next at this queue length (median of three runs)."""
    rng = random.Random(size)
    engine, t = filled_engine(size, rng)
    gc.collect()
    gc.freeze()  # what the controller does after rebuilding: the filled queue is long-lived
    counters = list(engine.hall.counters)
    issue_runs, call_runs = [], []
    clock = time.perf_counter
    for _ in range(3):
        issue = call = 0.0
        for i in range(ROUNDS):
            t += 0.01
            service = SERVICES[i % 5]
            a = clock()
            (reserved,) = engine.handle(c.RequestTicket(service, "normal", "K1"), t)
            engine.handle(c.ConfirmPrinted(reserved.ticket), t)
            b = clock()
            counter = counters[i % len(counters)]
            engine.handle(c.CallNext(counter), t)
            d = clock()
            engine.handle(c.StartService(counter), t)
            engine.handle(c.Finish(counter), t)
            issue += b - a
            call += d - b
        issue_runs.append(issue / ROUNDS)
        call_runs.append(call / ROUNDS)
    gc.unfreeze()
    return sorted(issue_runs)[1], sorted(call_runs)[1]


def run(sizes=SIZES) -> list[Figure]:
    figures = []
    per_size = {size: measure(size) for size in sizes}
    for size, (issue, call) in per_size.items():
        for name, seconds in (("issue", issue), ("call-next", call)):
            ops = 1 / seconds
            figures.append(Figure("engine", f"{name} ops/s, {size:,} waiting", ops, "ops/s", "≥ 50,000", ops >= 50_000))
    small, large = per_size[sizes[0]], per_size[sizes[-1]]
    for i, name in enumerate(("issue", "call-next")):
        growth = large[i] / small[i]
        figures.append(
            Figure("engine", f"{name} cost growth {sizes[0]:,} → {sizes[-1]:,}", growth, "×", "≤ 1.5×", growth <= 1.5)
        )
    return figures
