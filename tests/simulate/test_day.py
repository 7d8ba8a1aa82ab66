"""The simulated day on the real engine: determinism, agreement with queueing theory, and a
scenario day that behaves like the hall it describes."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest

from hall_controller.engine import events as ev
from simulators import day, scenario

from .conftest import SCENARIO_TOML


def simple(
    arrivals_per_hour: float, mean_service_min: float, counters: int, hours: float, seed: int, on_event=None
) -> dict:
    hall = day.simple_hall(counters, mean_service_min)
    return day.simulate(hall, day.plan_simple(hall, arrivals_per_hour, mean_service_min, hours), seed, on_event)


def scenario_day(hall, raw: dict | None = None, seed: int = 1, on_event=None) -> dict:
    s = scenario.load(SCENARIO_TOML, hall) if raw is None else scenario.parse(raw, hall)
    return day.simulate(hall, day.plan_day(hall, s), seed, on_event)


# --- determinism -----------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_result_and_another_seed_another():
    first = json.dumps(simple(40, 5, 4, 200, seed=7))
    assert json.dumps(simple(40, 5, 4, 200, seed=7)) == first
    assert json.dumps(simple(40, 5, 4, 200, seed=8)) != first


def test_a_scenario_day_is_repeatable(hall):
    first = json.dumps(scenario_day(hall, seed=3))
    assert json.dumps(scenario_day(hall, seed=3)) == first
    assert json.dumps(scenario_day(hall, seed=4)) != first


# --- the M/M/c queue ---------------------------------------------------------------------------

R, S, C, HOURS = 50.0, 5.0, 5, 3000.0  # offered load 4.17 on 5 counters: utilisation 0.83


def erlang(arrivals_per_hour: float, mean_service_min: float, counters: int) -> tuple[float, float, float]:
    """(chance of waiting, mean wait s, 95th percentile of the wait s) of M/M/c, via Erlang B."""
    lam, mu = arrivals_per_hour / 3600, 1 / (mean_service_min * 60)
    a = lam / mu
    b = 1.0
    for k in range(1, counters + 1):
        b = a * b / (k + a * b)
    p_wait = counters * b / (counters - a * (1 - b))
    drain = counters * mu - lam  # P(wait > t) = p_wait * exp(-drain * t)
    return p_wait, p_wait / drain, math.log(p_wait / 0.05) / drain


@pytest.fixture(scope="module")
def long_run():
    return simple(R, S, C, HOURS, seed=1)


@pytest.mark.slow
def test_mean_wait_agrees_with_erlang_c(long_run):
    _, mean_wait, _ = erlang(R, S, C)
    assert mean_wait == pytest.approx(223.3, abs=0.1)  # the formula itself, by hand
    measured = long_run["wait"]["overall"]["mean_s"]
    assert measured == pytest.approx(mean_wait, rel=0.10)


@pytest.mark.slow
def test_the_wait_is_first_come_first_served(long_run):
    """The mean wait is the same for any order of service; the tail is not. FIFO's p95 is
    ln(C/0.05)/(cμ-λ); serving the newest first would put it far higher."""
    _, _, p95 = erlang(R, S, C)
    assert long_run["wait"]["overall"]["p95_s"] == pytest.approx(p95, rel=0.10)


@pytest.mark.slow
def test_littles_law_and_utilisation(long_run):
    r = long_run
    hours = r["duration_s"] / 3600
    arrivals_per_s = r["tickets"]["issued"] / r["duration_s"]
    assert hours == HOURS
    assert r["tickets"]["issued"] == pytest.approx(R * HOURS, rel=0.02)
    # L = λW: the time-average queue against arrival rate times mean wait
    assert r["queue"]["mean_waiting"] == pytest.approx(arrivals_per_s * r["wait"]["overall"]["mean_s"], rel=0.01)
    # busy counters on average = λ × mean service time; utilisation = that / c = ρ
    assert r["counters"]["utilisation"] == pytest.approx(R * S / 60 / C, rel=0.03)
    assert r["wait"]["by_service"]["service"]["mean_service_s"] == pytest.approx(S * 60, rel=0.02)
    assert set(r["counters"]["by_counter"]) == {"1", "2", "3", "4", "5"}


def test_erlang_c_in_the_results_matches_the_tests_own():
    p_wait, mean_wait, _ = erlang(30, 5, 3)
    theory = day.erlang_c(30, 5, 3)
    assert theory["p_wait"] == pytest.approx(p_wait, abs=1e-4)
    assert theory["mean_wait_s"] == pytest.approx(mean_wait, abs=0.1)
    assert day.erlang_c(40, 5, 3)["stable"] is False


def test_the_simple_case_has_no_no_shows_ratings_or_walking():
    r = simple(30, 5, 3, 50, seed=2)
    assert r["tickets"]["no_shows"] == 0
    assert r["ratings"]["rated"] == 0 and r["ratings"]["participation"] == 0
    assert r["tickets"]["served"] > 1000
    assert r["tickets"]["issued"] == r["tickets"]["called"] + r["tickets"]["never_called"]


def test_an_idle_hall_calls_at_once():
    """Far below capacity almost nobody waits: arrivals find an idle counter and are called at once."""
    r = simple(6, 5, 4, 100, seed=3)
    assert r["wait"]["overall"]["p50_s"] == 0
    assert r["wait"]["overall"]["within_target"] == 1


# --- a scenario day ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_day(hall):
    events: list = []
    return scenario_day(hall, on_event=events.append), events


def test_every_service_issues_tickets_and_the_waits_are_consistent(example_day):
    r, _ = example_day
    t = r["tickets"]
    assert t["issued"] == t["called"] + t["never_called"] + t["voided"]
    assert t["served"] + t["no_shows"] == t["called"]
    assert t["never_called"] == 0, "clerks on duty at closing serve everyone who waits"
    for name, figures in [
        ("all", r["wait"]["overall"]),
        *r["wait"]["by_service"].items(),
        *r["wait"]["by_class"].items(),
    ]:
        assert figures["called"] > 0, name
        assert 0 <= figures["p50_s"] <= figures["p95_s"] <= figures["max_s"], name
        assert figures["mean_s"] <= figures["max_s"], name
        assert 0 <= figures["within_target"] <= 1, name
    for service, figures in r["wait"]["by_service"].items():
        assert figures["issued"] > 0, service
    assert 0 < r["counters"]["utilisation"] <= 1
    for number, c in r["counters"]["by_counter"].items():
        assert 0 < c["utilisation"] <= 1, number
    assert 0 <= r["ratings"]["satisfaction"] <= 1 and 0 <= r["ratings"]["participation"] <= 1


def test_the_example_day_looks_like_the_issue_asks(example_day):
    r, _ = example_day
    assert r["started"] == "2026-03-17T08:30:00+08:00"
    assert "2026-03-17T17:30" <= r["ended"] < "2026-03-17T19:00"
    assert 300 < r["tickets"]["issued"] < 700
    assert 0 < r["tickets"]["no_shows"] < 0.1 * r["tickets"]["called"]
    assert 0.6 <= r["ratings"]["participation"] <= 0.8, "about seven in ten rate"
    assert r["ratings"]["satisfaction"] > 0.75, "mostly satisfied"
    classes = r["wait"]["by_class"]
    assert classes["priority"]["mean_s"] < classes["normal"]["mean_s"], "the head start shortens the wait"


def test_the_statistics_are_the_events_statistics(example_day):
    """Recount from the raw events what the tally reports."""
    r, events = example_day
    of = lambda kind: [e for e in events if type(e) is kind]  # noqa: E731
    reserved = {e.ticket: e for e in of(ev.TicketReserved)}
    first_call: dict[str, float] = {}
    for e in of(ev.TicketCalled):
        first_call.setdefault(e.ticket, e.at)
    waits = [first_call[t] - reserved[t].since for t in first_call]
    assert r["tickets"]["issued"] == len(reserved)
    assert r["tickets"]["served"] == len(of(ev.TicketDone))
    assert r["tickets"]["no_shows"] == len(of(ev.TicketNoShow))
    assert r["wait"]["overall"]["mean_s"] == pytest.approx(sum(waits) / len(waits), abs=0.05)
    assert r["wait"]["overall"]["max_s"] == pytest.approx(max(waits), abs=0.05)
    printed = [
        (reserved[t].promised_wait_s, w, reserved[t].service)
        for t, w in zip(first_call, waits)
        if reserved[t].promised_wait_s is not None
    ]
    errors = [abs(p - w) for p, w, _ in printed]
    assert r["promised_wait"]["mae_s"] == pytest.approx(sum(errors) / len(errors), abs=0.05)
    ewt = r["ewt"]
    assert ewt["tickets"] == len(printed) and ewt["mae_s"] == pytest.approx(sum(errors) / len(errors), abs=0.05)
    assert ewt["mean_wait_s"] == pytest.approx(sum(w for _, w, _ in printed) / len(printed), abs=0.05)
    assert ewt["relative_mae"] == pytest.approx(sum(errors) / sum(w for _, w, _ in printed), abs=1e-4)
    assert ewt["bias_s"] == pytest.approx(sum(p - w for p, w, _ in printed) / len(printed), abs=0.05)
    social = [(p, w) for p, w, s in printed if s == "social"]
    assert ewt["by_service"]["social"]["mae_s"] == pytest.approx(
        sum(abs(p - w) for p, w in social) / len(social), abs=0.05
    )
    levels = [e.level for e in of(ev.RatingRecorded)]
    assert r["ratings"]["rated"] == len(levels)
    assert r["ratings"]["satisfaction"] == pytest.approx(sum(lv >= 3 for lv in levels) / len(levels), abs=1e-4)
    for e in of(ev.TicketDone):
        assert e.waited_s == pytest.approx(first_call[e.ticket] - reserved[e.ticket].since)


def _local(at: float) -> dt.time:
    return dt.datetime.fromtimestamp(at, dt.timezone(dt.timedelta(hours=8))).time()


def test_clerks_keep_their_schedule(example_day, hall):
    _, events = example_day
    s = scenario.load(SCENARIO_TOML, hall)
    meals = {e.counter: e for e in events if type(e) is ev.CounterPaused and e.reason == "meal"}
    resumes = [e for e in events if type(e) is ev.CounterResumed]
    planned = [(shift.counter, brk) for shift in s.staff for brk in shift.breaks if brk.reason == "meal"]
    assert len(planned) == len(meals) == 9
    for counter, brk in planned:
        paused = meals[counter]
        assert brk.at <= _local(paused.at) < dt.time(14, 0), "lunch starts once the citizen at the counter is done"
        back = next(e for e in resumes if e.counter == counter and e.at > paused.at)
        assert back.at - paused.at == pytest.approx(brk.minutes * 60)
    opened = [(e.counter, e.clerk, _local(e.at)) for e in events if type(e) is ev.CounterOpened]
    assert (10, "S110", dt.time(8, 30)) in opened and (10, "S111", dt.time(13, 0)) in opened
    morning_close = next(e for e in events if type(e) is ev.CounterClosed and e.counter == 10)
    assert dt.time(12, 15) <= _local(morning_close.at) < dt.time(13, 0)
    # nobody is called at a counter that is paused or closed
    state: dict[int, str] = {}
    for e in events:
        if type(e) in (ev.CounterOpened, ev.CounterResumed):
            state[e.counter] = "open"
        elif type(e) in (ev.CounterPaused, ev.CounterClosed):
            state[e.counter] = "away"
        elif type(e) is ev.TicketCalled:
            assert state[e.counter] == "open"


def test_no_shows_are_recalled_before_they_are_given_up(example_day, hall):
    _, events = example_day
    gone = [e for e in events if type(e) is ev.TicketNoShow]
    assert gone and all(e.automatic for e in gone)
    recalls = [e for e in events if type(e) is ev.TicketRecalled and e.ticket == gone[0].ticket]
    assert len(recalls) == hall.dispatch.recall_limit


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_counter_fewer_means_longer_waits(hall, scenario_raw, seed):
    full = scenario_day(hall, scenario_raw, seed)
    scenario_raw["staff"] = [s for s in scenario_raw["staff"] if s["counter"] != 2]
    fewer = scenario_day(hall, scenario_raw, seed)
    assert fewer["tickets"]["issued"] == full["tickets"]["issued"], "the same crowd comes"
    assert fewer["wait"]["overall"]["mean_s"] > full["wait"]["overall"]["mean_s"]
    assert fewer["wait"]["by_service"]["social"]["mean_s"] > full["wait"]["by_service"]["social"]["mean_s"]
    assert "2" not in fewer["counters"]["by_counter"]


def test_a_day_without_ratings_or_no_shows(hall, scenario_raw):
    scenario_raw["ratings"]["participation"] = 0
    scenario_raw["citizens"]["no_show"] = 0
    r = scenario_day(hall, scenario_raw)
    assert r["ratings"]["rated"] == 0 and r["ratings"]["satisfaction"] is None
    assert r["tickets"]["no_shows"] == 0
    assert r["tickets"]["served"] == r["tickets"]["issued"]


def test_a_clerk_who_leaves_early_leaves_the_evening_queue_to_others(hall, scenario_raw):
    for shift in scenario_raw["staff"]:
        if shift["counter"] in (4, 5):
            shift["to"] = "16:00"
            shift["breaks"] = [b for b in shift["breaks"] if b["at"] < "16:00"]
    events: list = []
    r = scenario_day(hall, scenario_raw, on_event=events.append)
    closes = [e for e in events if type(e) is ev.CounterClosed and e.counter in (4, 5)]
    assert len(closes) == 2 and all(dt.time(16, 0) <= _local(e.at) < dt.time(16, 45) for e in closes)
    gone = max(e.at for e in closes)
    late_property = [e for e in events if type(e) is ev.TicketCalled and e.service == "property" and e.at > gone]
    assert late_property and all(e.counter in (9, 10) for e in late_property), "backup counters take over"
    assert r["tickets"]["never_called"] == 0


def test_the_printed_wait_holds_better_than_before_over_the_example_day():
    """DESIGN.md's target is a mean absolute error of at most 20 % of the mean wait (seeds 1-3).
    Not met yet: 0.39 (0.47 with the share-per-counter estimate before); this keeps it from
    sliding back. Most of what is left comes from lunch breaks taken after a ticket was printed."""
    from hall import config
    from simulators import scenario
    from simulators.day import plan_day, simulate

    from .conftest import HALL_TOML, SCENARIO_TOML

    hall = config.load(HALL_TOML)
    day = plan_day(hall, scenario.load(SCENARIO_TOML, hall))
    runs = [simulate(hall, day, seed)["ewt"] for seed in (1, 2, 3)]
    assert sum(r["relative_mae"] for r in runs) / 3 < 0.42
    assert all(abs(r["bias_s"]) < 0.25 * r["mean_wait_s"] for r in runs)  # no large systematic bias


def test_a_shift_ending_during_a_break_ends_after_the_break(hall, scenario_raw):
    """The clerk finishes the break, comes back and closes the counter, never signed out mid-break."""
    for shift in scenario_raw["staff"]:
        if shift["counter"] == 4:  # lunch 12:15-13:00, the shift planned to end at 12:30
            shift["to"] = "12:30"
    events: list = []
    scenario_day(hall, scenario_raw, on_event=events.append)
    mine = [e for e in events if type(e) in (ev.CounterPaused, ev.CounterResumed, ev.CounterClosed) and e.counter == 4]
    assert [type(e) for e in mine] == [ev.CounterPaused, ev.CounterResumed, ev.CounterClosed]
    paused, resumed, closed = mine
    assert resumed.at - paused.at == pytest.approx(45 * 60) and closed.at == resumed.at
    assert not any(type(e) is ev.TicketCalled and e.counter == 4 and e.at > paused.at for e in events)


def test_at_closing_a_clerk_closes_the_counter_once_nobody_waits_for_it(hall, scenario_raw):
    """A shift planned past closing does not keep an empty counter open until its planned end."""
    late = [shift for shift in scenario_raw["staff"] if shift.get("to", "17:30") == "17:30"]
    for shift in late:
        shift["to"] = "18:30"
    events: list = []
    r = scenario_day(hall, scenario_raw, seed=3, on_event=events.append)
    closes = [_local(e.at) for e in events if type(e) is ev.CounterClosed and _local(e.at) >= dt.time(17, 30)]
    assert len(closes) == len(late)
    assert all(dt.time(17, 30) <= t < dt.time(18, 30) for t in closes)
    assert dt.time(17, 30) in closes  # a counter with nobody left closes at once
    assert r["tickets"]["never_called"] == 0 and r["ended"] < "2026-03-17T18:30"
