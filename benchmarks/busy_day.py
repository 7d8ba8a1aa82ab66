"""A very busy day of 100,000 tickets: the controller's memory and restart time, and its report.

DESIGN.md: "controller ≤ 80 MB RSS with 100 k tickets in a day" and "restart takes under 2 s";
the management web and `hall report` must read such a day in seconds.
The day is simulated (simulators/day.py: arrivals, service times, no-shows, ratings on the real
engine) and journalled through the same DurableEngine the controller uses, snapshots included,
so the journal is what a real controller would have written. Then a real `hall controller`
process starts on it: the time until it says online, and its memory once it serves.
"""

from __future__ import annotations

import heapq
import json
import shutil
import signal
import tempfile
import time
from pathlib import Path

from benchmarks import halls
from benchmarks.figures import Figure
from benchmarks.mqtt import peak_rss_mb, start_controller, wait_online
from hall import config
from hall_controller.broker import MosquittoBroker
from hall_controller.durable import DurableEngine
from hall_controller.reports import report_from_journal, to_csv
from simulators import day, scenario

TICKETS_PER_HOUR = 11_000  # about 100,000 over a nine-hour day
HOURS = 9.0
COUNTERS_PER_SERVICE = 150  # 750 counters of 3.5 minutes: 86 % busy, so the queue keeps up
SERVICE_MIN = 3.5


def busy_hall_raw() -> dict:
    raw = halls.raw()
    raw["counters"] = [
        {"number": i * COUNTERS_PER_SERVICE + n + 1, "primary": [service]}
        for i, service in enumerate(halls.SERVICES)
        for n in range(COUNTERS_PER_SERVICE)
    ]
    raw["callers"] = raw["evaluators"] = []
    raw["hall"]["timezone"] = "Asia/Shanghai"
    for service in raw["services"]:
        service["reset"] = "00:00"
        service["mean_service_min"] = SERVICE_MIN
    return raw


def busy_day_plan(hall: config.Hall) -> day.Plan:
    start = day.SIMPLE_START.replace(hour=8, tzinfo=hall.tz).timestamp()
    stop = start + HOURS * 3600
    rate = TICKETS_PER_HOUR / len(hall.services) / 3600
    return day.Plan(
        mode="simple",
        date=day.SIMPLE_START.date().isoformat(),
        start=start,
        close=stop,
        stop=stop + 3600,
        arrivals={s: ((start, rate),) for s in hall.services},
        service_times={s: scenario.ServiceTime(mean_s=SERVICE_MIN * 60) for s in hall.services},
        shifts=tuple(
            day.PlannedShift(counter=n, clerk=f"S{n:04d}", start=start, end=None, stays_late=False)
            for n in sorted(hall.counters)
        ),
        citizens=scenario.Citizens(no_show=0.03, walk_s=(10.0, 60.0), participation=0.7, priority_share=0.08),
        clerks=scenario.Clerks(wrapup_s=(5.0, 20.0)),
    )


def write_day(workdir: Path) -> tuple[int, int, float]:
    """Journal a simulated busy day as a controller would; (tickets, events, seconds it took).
    Also writes the day's simulated results next to it (for the report's check)."""
    hall_file = workdir / "hall.toml"
    hall_file.write_text(halls.toml(busy_hall_raw()))
    hall = config.load(hall_file)
    durable = DurableEngine(hall, workdir / "journal-full.db")
    counts = {"events": 0, "tickets": 0}

    timers = durable.engine.state.timers

    def journal(event) -> None:
        durable.engine.apply(event)
        # A live controller's tick pops every timer that comes due (whatever they caused is in the
        # event stream already); this mirror never ticks, so it drops them the same way.
        while timers and timers[0][0] < event.at:
            heapq.heappop(timers)
        durable.journal.append([event])
        counts["events"] += 1
        counts["tickets"] += type(event).__name__ == "TicketReserved"
        if counts["events"] % 2000 == 0:
            durable.commit()

    started = time.perf_counter()
    result = day.simulate(hall, busy_day_plan(hall), seed=7, on_event=journal)
    durable.commit()
    (workdir / "simulated.json").write_text(json.dumps(result))
    durable.journal.close()  # no final snapshot: the controller dies without saying goodbye
    return counts["tickets"], counts["events"], time.perf_counter() - started


def run() -> list[Figure]:
    workdir = Path(tempfile.mkdtemp(prefix="hall-bench-restart-"))
    try:
        tickets, events, seconds = write_day(workdir)
        journal_mb = (workdir / "journal-full.db").stat().st_size / 2**20
        hall = config.load(workdir / "hall.toml")
        plan = busy_day_plan(hall)
        began = time.perf_counter()
        report = report_from_journal(workdir / "journal-full.db", hall, plan.start, plan.stop + 86400)
        for table in ("service", "counter", "clerk", "hour"):
            to_csv(report, table)
        reported = time.perf_counter() - began
        simulated = json.loads((workdir / "simulated.json").read_text())
        if report.overall.issued != simulated["tickets"]["issued"]:
            raise RuntimeError("the report and the simulation disagree on the tickets issued")
        with MosquittoBroker() as broker:
            controller = start_controller(workdir, broker.url)
            try:
                restart = wait_online(broker.url, timeout=120)
                rss = peak_rss_mb(controller.pid)
            finally:
                controller.send_signal(signal.SIGTERM)
                controller.wait(30)
                controller.stderr.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return [
        Figure("controller", f"busy day journalled ({tickets:,} tickets, {events:,} events)", seconds, "s"),
        Figure("controller", "journal size after the day", journal_mb, "MB"),
        Figure("controller", f"report of that day, with CSV tables ({events:,} events)", reported, "s"),
        Figure(
            "controller", f"restart to online with that day ({tickets:,} tickets)", restart, "s", "< 2 s", restart < 2
        ),
        Figure(
            "controller", f"peak RSS after restart ({tickets:,} tickets in the day)", rss, "MB", "≤ 80 MB", rss <= 80
        ),
    ]
