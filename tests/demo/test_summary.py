"""The demo's live summary and day report: pure text from the journal's events, here the events of
a day played on the real engine by `hall simulate`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hall import config
from hall_controller import reports
from simulators import day, scenario
from simulators.summary import CrowdView, HallWatch, Moment, _columns, progress_line, report_text, summary_text

ROOT = Path(__file__).resolve().parents[2]
SPEED = 60.0


@pytest.fixture(scope="module")
def hall() -> config.Hall:
    return config.load(ROOT / "examples" / "hall.toml")


@pytest.fixture(scope="module")
def played(hall):
    """A whole day's events, and the plan it followed."""
    plan = day.plan_day(hall, scenario.load(ROOT / "examples" / "scenario.toml", hall))
    events: list = []
    day.simulate(hall, plan, seed=3, on_event=events.append)
    return plan, events


def watch_until(hall, events, at: float) -> HallWatch:
    watch = HallWatch(hall, events[0].at)
    for e in events:
        if e.at > at:
            break
        watch.take(e)
    return watch


def test_the_summary_shows_queues_counters_ratings_and_progress(hall, played):
    plan, events = played
    at = plan.start + 3 * 3600  # 11:30, the end of the morning rush
    watch = watch_until(hall, events, at)
    moment = Moment(simulated=at, opens=plan.start, closes=plan.close, speed=1, running_s=600)
    crowd = CrowdView({"tickets": watch.issued, "ratings": 5}, ["11:29 counter 3 calls A101"], ["C9: not answering"])
    text = summary_text(watch, moment, crowd, ["D1 stopped (exit 0)"])
    lines = text.splitlines()
    assert all(_columns(line) <= 80 for line in lines)
    assert "simulated clock 11:30 (day 08:30-17:30)" in text
    for s in hall.services.values():
        row = next(line for line in lines if line.startswith(f"{s.prefix} "))
        assert int(row[28:36]) == watch.state.waiting.count[s.id]  # the waiting column
        assert int(row.split()[-3]) == watch.tally.by_service[s.id].served  # the served column
    first = lines.index("", 4) + 1  # the counters, in two columns
    block = lines[first : lines.index("", first)]
    cells = {int(cell.split()[0]): cell.strip() for line in block for cell in (line[:40], line[40:]) if cell.strip()}
    assert sorted(cells) == sorted(hall.counters)
    for n, desk in watch.state.desks.items():
        ticket = watch.state.tickets.get(desk.current) if desk.current else None
        if ticket is not None and ticket.state.value in ("called", "serving"):
            assert f"{ticket.state.value} {ticket.label}" in cells[n]
        else:
            assert desk.state.value in cells[n]
        assert (desk.clerk or "-") in cells[n]
    assert f"ratings {watch.rated} of {watch.served} served" in text
    assert "latest: 11:29 counter 3 calls A101" in text
    assert "! C9: not answering" in text and "! D1 stopped (exit 0)" in text
    assert lines[-1] == progress_line(watch, moment)
    assert lines[-1].startswith("[" + "#" * 7) and f"issued {watch.issued}" in lines[-1]


def test_waits_are_shown_as_the_journal_has_them_on_the_halls_own_clock(hall, played):
    """The hall and the crowd share one sped-up clock: a wait in the journal is a simulated wait."""
    plan, events = played
    at = plan.start + 2 * 3600
    watch = watch_until(hall, events, at)
    mean_s = reports.figures(watch.tally.by_service["social"]).wait_mean_s
    moment = Moment(at, plan.start, plan.close, speed=SPEED, running_s=120)
    row = next(line for line in summary_text(watch, moment).splitlines() if line.startswith("A "))
    shown = row[45:55].strip()  # the mean wait column
    assert shown == (f"{mean_s / 60:.0f} min" if mean_s >= 60 else f"{mean_s:.0f} s")
    waiting = list(watch.state.waiting.tickets())
    assert waiting, "someone waits two hours into the example day"
    service = hall.services[waiting[0].service]
    oldest = min(t.since for t in waiting if t.service == service.id)
    row = next(line for line in summary_text(watch, moment).splitlines() if line.startswith(f"{service.prefix} "))
    longest = row[36:45].strip()  # the longest wait column
    assert longest == (f"{(at - oldest) / 60:.0f} min" if at - oldest >= 60 else f"{at - oldest:.0f} s")


def test_a_narrow_terminal_gets_lines_cut_to_its_width(hall, played):
    plan, events = played
    watch = watch_until(hall, events, plan.start + 3600)
    text = summary_text(
        watch, Moment(plan.start + 3600, plan.start, plan.close, 1, 5), CrowdView(latest=["x" * 200]), width=60
    )
    assert all(_columns(line) <= 80 for line in text.splitlines())
    assert any(line.endswith("…") for line in text.splitlines())


def test_the_day_report_is_the_reports_text(hall, played):
    plan, events = played
    report = reports.report(events, hall, events[0].at, events[-1].at + 1)
    text = report_text(report, SPEED, real_s=90, pictures=["tickets K1: 3 PNG files in var/tickets/K1"])
    assert "1m30s of real time at 60x: about 1h30m of the simulated day" in text
    assert reports.to_text(report, "service") in text
    assert f"Tickets: {report.overall.issued} taken, {report.overall.served} served" in text
    assert "Hall xinhua: 2026-03-17 08:30" in text
    assert re.search(r"^counters: 1: \d+ served", text, re.M)
    assert text.endswith("tickets K1: 3 PNG files in var/tickets/K1")


def test_an_empty_journal_gives_an_empty_summary(hall):
    watch = HallWatch(hall, 0.0)
    moment = Moment(1000.0, 1000.0, 2000.0, SPEED, 0.0)
    text = summary_text(watch, moment)
    assert "ratings 0 of 0 served (-)" in text and "issued 0" in text
    assert all(e not in text for e in ("None", "nan"))
