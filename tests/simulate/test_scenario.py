"""The scenario file: the example reads as intended, and each kind of mistake gets one sentence
that names the field."""

from __future__ import annotations

import datetime as dt

import pytest

from simulators import scenario
from simulators.scenario import ScenarioError

from .conftest import SCENARIO_TOML


def test_the_example_is_a_weekday_at_the_example_hall(hall):
    s = scenario.load(SCENARIO_TOML, hall)
    assert s.date.weekday() < 5
    assert (s.open, s.close) == (dt.time(8, 30), dt.time(17, 30))
    assert set(s.arrivals) == set(hall.services)
    assert {shift.counter for shift in s.staff} == set(hall.counters)
    meals = sorted({b.at for shift in s.staff for b in shift.breaks if b.reason == "meal"})
    assert len(meals) >= 3, "lunch breaks are staggered"
    assert 0 < s.citizens.no_show < 0.1
    assert 0.6 <= s.citizens.participation <= 0.9
    assert s.citizens.mix[0] + s.citizens.mix[1] > 0.8, "mostly satisfied"


def test_a_plain_rate_gets_the_morning_peak(hall, scenario_raw):
    scenario_raw["arrivals"] = {"social": 10}
    s = scenario.parse(scenario_raw, hall)
    assert s.arrivals["social"] == ((dt.time(8, 30), 10.0), (dt.time(9, 0), 20.0), (dt.time(11, 30), 10.0))


def test_the_peak_can_be_moved_and_shaped(hall, scenario_raw):
    scenario_raw["arrivals"] = {"social": 10, "peak": {"from": "08:00", "to": "10:00", "factor": 3}}
    s = scenario.parse(scenario_raw, hall)
    assert s.arrivals["social"] == ((dt.time(8, 30), 30.0), (dt.time(10, 0), 10.0))


def test_a_rate_table_is_taken_as_written_and_zero_before_its_first_time(hall, scenario_raw):
    scenario_raw["arrivals"] = {"social": {"13:00": 5, "10:00": 12}}
    s = scenario.parse(scenario_raw, hall)
    assert s.arrivals["social"] == ((dt.time(8, 30), 0.0), (dt.time(10, 0), 12.0), (dt.time(13, 0), 5.0))


def test_service_times_default_to_the_hall(hall, scenario_raw):
    del scenario_raw["service_times"]
    s = scenario.parse(scenario_raw, hall)
    assert s.service_times["property"].mean_s == hall.services["property"].mean_service_s
    assert s.service_times["property"].cv == scenario.DEFAULT_CV


def test_rating_mix_is_normalised(hall, scenario_raw):
    scenario_raw["ratings"]["mix"] = {"4": 3, "3": 1}
    s = scenario.parse(scenario_raw, hall)
    assert s.citizens.mix == (0.75, 0.25, 0.0, 0.0)


def _set(raw: dict, path: str, value) -> None:
    """Set raw[a][b]... = value; `staff.0.to` indexes lists; value None deletes the key."""
    *parents, last = path.split(".")
    node = raw
    for part in parents:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    if value is None:
        del node[last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value


BAD = [
    ("day.date", None, "day.date: missing"),
    ("day.date", "17/03/2026", "day.date: expected a date like 2026-03-17"),
    ("day.open", "8h30", 'day.open: expected a time of day like "08:30"'),
    ("day.close", "08:00", "day.close: 08:00 is not after the opening time 08:30"),
    ("day.weather", "rain", "day.weather: unknown field"),
    ("arrivals.socal", 10, "arrivals.socal: the hall has no service 'socal'"),
    ("arrivals.social", -1, "arrivals.social: -1 is below the minimum 0"),
    ("arrivals.social", "many", "arrivals.social: expected a number, got 'many'"),
    ("arrivals.social", {"07:00": 3}, 'arrivals.social."07:00": 07:00 is outside the opening hours'),
    ("arrivals.social", {"noon": 3}, 'arrivals.social."noon": expected a time of day'),
    ("arrivals.peak.to", "08:00", "arrivals.peak.to: 08:00 is not after 09:00"),
    ("service_times.tax.mean_min", 0, "service_times.tax.mean_min: 0 is below the minimum"),
    ("service_times.tax.spread", 1, "service_times.tax.spread: unknown field"),
    ("citizens.no_show", 1.5, "citizens.no_show: 1.5 is above the maximum 1"),
    ("citizens.priority_share", True, "citizens.priority_share: expected a number, got True"),
    ("citizens.walk_s", [45, 10], "citizens.walk_s: expected 0 <= shortest <= longest"),
    ("citizens.walk_s", 30, "citizens.walk_s: expected two numbers of seconds"),
    ("ratings.participation", -0.1, "ratings.participation: -0.1 is below the minimum 0"),
    ("ratings.mix", {"5": 1}, "ratings.mix.5: not a rating level"),
    ("ratings.mix", {"4": 0}, "ratings.mix: give a share to at least one level"),
    ("clerks.recall_s", 0, "clerks.recall_s: 0 is below the minimum 1"),
    ("staff.0.counter", 11, "staff[0].counter: the hall has no counter 11"),
    ("staff.0.clerk", "", "staff[0].clerk: a clerk's staff number is 1 to 64 characters"),
    ("staff.0.to", "08:00", "staff[0].to: 08:00 is not after the shift's start 08:30"),
    ("staff.0.breaks.0.reason", "nap", "staff[0].breaks[0].reason: 'nap' is not one of"),
    ("staff.0.breaks.0.at", "18:00", "staff[0].breaks[0].at: 18:00 is not inside the shift"),
    ("staff.0.breaks.1.at", "09:00", "staff[0].breaks[1].at: breaks must be listed in the order"),
    ("staff.0.colour", "red", "staff[0].colour: unknown field"),
    ("staff.10.from", "12:00", "staff: counter 10 has two shifts at once"),
    ("staff", [], "staff: a day needs at least one [[staff]] shift"),
    ("arrivals", {}, "arrivals: name at least one service"),
]


@pytest.mark.parametrize("path, value, message", BAD, ids=[f"{p}={v!r}" for p, v, _ in BAD])
def test_a_bad_field_gets_one_sentence_naming_it(hall, scenario_raw, path, value, message):
    _set(scenario_raw, path, value)
    with pytest.raises(ScenarioError) as caught:
        scenario.parse(scenario_raw, hall)
    text = str(caught.value)
    assert text.startswith(message), text
    assert "\n" not in text


def test_a_service_nobody_staffed_can_serve_is_refused(hall, scenario_raw):
    scenario_raw["staff"] = [s for s in scenario_raw["staff"] if s["counter"] not in (4, 5, 9, 10)]
    with pytest.raises(ScenarioError, match=r"^arrivals.property: no staffed counter serves it"):
        scenario.parse(scenario_raw, hall)


def test_load_names_the_file(hall, tmp_path):
    bad = tmp_path / "day.toml"
    bad.write_text(SCENARIO_TOML.read_text(encoding="utf-8").replace("no_show = 0.04", "no_show = 4"), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"day\.toml: citizens\.no_show: 4 is above the maximum 1$"):
        scenario.load(bad, hall)
    with pytest.raises(ScenarioError, match="there is no such scenario file"):
        scenario.load(tmp_path / "missing.toml", hall)
    (tmp_path / "broken.toml").write_text("[day\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"broken\.toml: not valid TOML"):
        scenario.load(tmp_path / "broken.toml", hall)
