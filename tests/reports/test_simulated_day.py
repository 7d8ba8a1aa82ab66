"""A simulated day of the example hall, journalled, reported from the journal: its totals are
`hall simulate`'s, periods cut it cleanly, and two days in one journal make two day rows."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from hall_controller.engine import events as ev
from hall_controller.journal import Journal
from hall_controller.reports import report, report_from_journal
from simulators import day, scenario

from .conftest import HALL_TOML, REPO, SCENARIO_TOML

SEED = 3


def journal_day(hall, path, raw: dict | None = None) -> tuple[dict, list]:
    """Simulate the example day (or `raw`) into the journal at `path`; (results, events)."""
    s = scenario.load(SCENARIO_TOML, hall) if raw is None else scenario.parse(raw, hall)
    journal = Journal(path, hall, sync="normal")
    events: list = []
    result = day.simulate(hall, day.plan_day(hall, s), SEED, on_event=events.append)
    journal.append(events)
    journal.commit()
    journal.close()
    return result, events


def local_day(hall, date: str, hour: int = 0) -> float:
    return dt.datetime.combine(dt.date.fromisoformat(date), dt.time(hour), tzinfo=hall.tz).timestamp()


@pytest.fixture(scope="module")
def simulate_json() -> dict:
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulators.simulate_cli",
            "--config",
            str(HALL_TOML),
            "--scenario",
            str(SCENARIO_TOML),
            "--seed",
            str(SEED),
            "--json",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.fixture(scope="module")
def journalled(xinhua, tmp_path_factory):
    path = tmp_path_factory.mktemp("journal") / "day.db"
    result, events = journal_day(xinhua, path)
    return path, result, events


def test_the_report_of_the_day_has_hall_simulates_totals(xinhua, journalled, simulate_json):
    path, result, _ = journalled
    assert result == simulate_json, "the journalled day is the day `hall simulate` printed"
    r = report_from_journal(path, xinhua, local_day(xinhua, "2026-03-17"), local_day(xinhua, "2026-03-18"))
    t, w, g = simulate_json["tickets"], simulate_json["wait"], simulate_json["ratings"]
    o = r.overall
    assert (o.issued, o.served, o.no_shows, o.voided) == (t["issued"], t["served"], t["no_shows"], t["voided"])
    assert o.transfers == 0
    assert o.rated == g["rated"] and {str(k): v for k, v in o.levels.items()} == g["levels"]
    assert round(o.satisfaction_rate, 4) == g["satisfaction"]
    assert round(o.participation, 4) == g["participation"]
    assert round(o.wait_mean_s, 1) == w["overall"]["mean_s"]
    assert round(o.wait_p50_s, 1) == w["overall"]["p50_s"]
    assert round(o.wait_p95_s, 1) == w["overall"]["p95_s"]
    assert round(o.within_target, 4) == w["overall"]["within_target"]
    for service, s in w["by_service"].items():
        f = r.by_service[service]
        assert (f.issued, f.served, f.no_shows, f.rated) == (s["issued"], s["served"], s["no_shows"], s["rated"])
        assert round(f.wait_mean_s, 1) == s["mean_s"] and round(f.within_target, 4) == s["within_target"]
        assert round(f.service_mean_s, 1) == s["mean_service_s"]
        assert round(f.satisfaction_rate, 4) == s["satisfaction"]
    for number, c in simulate_json["counters"]["by_counter"].items():
        assert r.by_counter[int(number)].served == c["served"]
        clerks = c["clerks"]
        assert sum(r.by_clerk[k].served for k in clerks) == c["served"], "one clerk per counter in the scenario"
    for klass, c in w["by_class"].items():
        assert round(r.by_class[klass].wait_mean_s, 1) == c["mean_s"]
    # the ratings of 一般 and 不满意, one by one, against the events themselves
    _, _, events = journalled
    bad = [(e.ticket, e.level) for e in events if type(e) is ev.RatingRecorded and e.level <= 2]
    assert [(f.ticket, f.level) for f in r.follow_ups] == bad and bad
    assert g["levels"]["2"] + g["levels"]["1"] == len(bad)


def test_the_peak_shows_in_arrivals_by_hour(xinhua, journalled):
    path, result, _ = journalled
    r = report_from_journal(path, xinhua, local_day(xinhua, "2026-03-17"), local_day(xinhua, "2026-03-18"))
    by_hour = {h: (t, c) for h, t, c in r.arrivals_by_hour}
    assert sum(t for t, _ in by_hour.values()) == result["tickets"]["issued"]  # one day: means are counts
    peak = max(by_hour, key=lambda h: by_hour[h][0])
    assert peak in (9, 10), "the scenario's rush runs 9:00-11:30"
    assert by_hour[10][1] == pytest.approx(10.0), "all ten counters open mid-morning"
    assert by_hour[12][1] < 8, "lunch breaks in three waves"
    open_hours = sum(c for _, c in by_hour.values()) * 3600
    assert open_hours == pytest.approx(sum(c["open_s"] for c in result["counters"]["by_counter"].values()), abs=1)


def test_morning_and_afternoon_add_up_and_the_afternoon_knows_morning_tickets(xinhua, journalled):
    path, _, events = journalled
    start, noon, end = (
        local_day(xinhua, "2026-03-17"),
        local_day(xinhua, "2026-03-17", 12),
        local_day(xinhua, "2026-03-18"),
    )
    whole = report_from_journal(path, xinhua, start, end)
    morning = report_from_journal(path, xinhua, start, noon)
    afternoon = report_from_journal(path, xinhua, noon, end)
    for name in ("issued", "served", "no_shows", "rated", "voided"):
        assert getattr(morning.overall, name) + getattr(afternoon.overall, name) == getattr(whole.overall, name)
    assert morning.overall.issued and afternoon.overall.issued
    # the afternoon's waits: every ticket first called after noon, wherever it was taken
    taken = {e.ticket: e.since for e in events if type(e) is ev.TicketReserved}
    first: dict[str, float] = {}
    for e in events:
        if type(e) is ev.TicketCalled:
            first.setdefault(e.ticket, e.at)
    waits = [at - taken[t] for t, at in first.items() if at >= noon]
    assert any(taken[t] < noon for t, at in first.items() if at >= noon), "some morning tickets are called after noon"
    assert afternoon.overall.wait_mean_s == pytest.approx(sum(waits) / len(waits))
    # the same from events given straight to report(), as the web might
    assert report(events, xinhua, noon, end) == afternoon


def test_two_days_in_one_journal_make_two_day_rows(xinhua, scenario_raw, tmp_path):
    path = tmp_path / "two.db"
    first, _ = journal_day(xinhua, path)
    scenario_raw["day"]["date"] = dt.date(2026, 3, 18)
    second, _ = journal_day(xinhua, path, scenario_raw)
    r = report_from_journal(path, xinhua, local_day(xinhua, "2026-03-17"), local_day(xinhua, "2026-03-19"))
    assert list(r.by_day) == ["2026-03-17", "2026-03-18"] and r.days == 2
    assert r.by_day["2026-03-17"].issued == first["tickets"]["issued"]
    assert r.by_day["2026-03-18"].issued == second["tickets"]["issued"]
    assert r.overall.issued == first["tickets"]["issued"] + second["tickets"]["issued"]
    # means per active day: the tickets of both days over two days
    assert sum(t for _, t, _ in r.arrivals_by_hour) == pytest.approx(r.overall.issued / 2)
    one = report_from_journal(path, xinhua, local_day(xinhua, "2026-03-18"), local_day(xinhua, "2026-03-19"))
    assert one.overall == r.by_day["2026-03-18"]


@pytest.fixture
def scenario_raw():
    import copy
    import tomllib

    return copy.deepcopy(tomllib.loads(SCENARIO_TOML.read_text(encoding="utf-8")))
