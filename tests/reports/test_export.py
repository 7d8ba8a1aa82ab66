"""CSV tables that the csv module reads back (Chinese intact), JSON that json reads back, and text."""

from __future__ import annotations

import csv
import io
import json

import pytest

from hall_controller.reports import TABLES, report, to_csv, to_json, to_text

from .conftest import DAY, MIDNIGHT, m


@pytest.fixture(scope="module")
def whole_day(day_events, hall):
    return report(day_events, hall, MIDNIGHT, MIDNIGHT + DAY)


def table(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_the_service_table_parses_back_with_chinese_names_intact(whole_day):
    text = to_csv(whole_day, "service")
    encoded = text.encode("utf-8")
    assert "社保医保".encode() in encoded and not encoded.startswith(b"\xef\xbb\xbf")
    rows = table(encoded.decode("utf-8"))
    assert [(r["service"], r["name_zh"], r["name_en"]) for r in rows] == [
        ("social", "社保医保", "Social insurance"),
        ("tax", "税务综合", "Tax"),
    ]
    social = rows[0]
    assert social["issued"] == "4" and social["served"] == "2" and social["voided"] == "1"
    assert (social["level_4"], social["level_3"], social["level_2"], social["level_1"]) == ("1", "0", "0", "1")
    assert social["satisfaction_rate"] == "0.5" and social["mean_score_5"] == "3.0"
    assert social["within_target"] == "0.6667"  # 2/3, four decimals
    assert social["wait_mean_s"] == "460.0"  # (120 + 540 + 720) / 3


def test_every_table_has_a_header_and_one_row_per_key(whole_day):
    counter = table(to_csv(whole_day, "counter"))
    assert [r["counter"] for r in counter] == ["1", "2", "3"]
    assert counter[2]["name_zh"] == "3号 综合窗口"
    assert counter[2]["satisfaction_rate"] == "" and counter[2]["rated"] == "0"  # nothing rated: empty, not 0
    assert [r["clerk"] for r in table(to_csv(whole_day, "clerk"))] == ["S1", "S2"]
    assert [r["day"] for r in table(to_csv(whole_day, "day"))] == ["2026-03-17"]
    assert [r["class"] for r in table(to_csv(whole_day, "class"))] == ["normal", "priority", "appointment"]
    overall = table(to_csv(whole_day, "overall"))
    assert overall == [
        dict(
            overall[0],
            **{
                "from": "2026-03-17T00:00:00+08:00",
                "to": "2026-03-18T00:00:00+08:00",
                "issued": "6",
                "participation": "0.8",
                "mean_score_5": "3.25",
            },
        )
    ]
    hours = table(to_csv(whole_day, "hour"))
    assert len(hours) == 24
    assert {k: hours[9][k] for k in ("hour", "tickets_per_day", "counters_open")} == {
        "hour": "09:00",
        "tickets_per_day": "6.0",
        "counters_open": "0.92",
    }
    # every call and rating of the day falls in the nine o'clock hour: its figures are the day's
    assert {k: hours[9][k] for k in ("wait_p50_s", "wait_p95_s", "within_target", "satisfaction_rate")} == {
        k: overall[0][k] for k in ("wait_p50_s", "wait_p95_s", "within_target", "satisfaction_rate")
    }
    assert hours[8]["wait_p50_s"] == "" and hours[8]["issued"] == ""
    follow = table(to_csv(whole_day, "follow-ups"))
    assert [(r["label"], r["level"], r["level_zh"], r["service_zh"], r["at"]) for r in follow] == [
        ("B001", "2", "一般", "税务综合", "2026-03-17T09:10:00+08:00"),
        ("A002", "1", "不满意", "社保医保", "2026-03-17T09:20:00+08:00"),
    ]
    ranked = table(to_csv(whole_day, "rank-clerk"))
    assert [(r["rank"], r["clerk"], r["note"] != "") for r in ranked] == [("", "S1", True), ("", "S2", True)]
    for name in TABLES:
        assert to_csv(whole_day, name).endswith("\r\n")
    with pytest.raises(ValueError):
        to_csv(whole_day, "colour")


def test_json_round_trips_and_rounds(whole_day):
    j = json.loads(json.dumps(to_json(whole_day), ensure_ascii=False))
    assert j["hall"] == "small" and j["timezone"] == "Asia/Shanghai" and j["days"] == 1
    assert j["from"] == "2026-03-17T00:00:00+08:00" and j["start"] == MIDNIGHT
    assert j["overall"]["issued"] == 6 and j["overall"]["level_1"] == 1
    assert j["overall"]["wait_mean_s"] == 432.0 and j["overall"]["within_target"] == 0.8
    assert j["by_counter"]["3"]["satisfaction_rate"] is None
    assert j["by_clerk"]["S1"]["satisfaction_rate"] == 0.6667
    assert j["services"]["tax"] == {"zh": "税务综合", "en": "Tax"}
    assert j["arrivals_by_hour"][9] == {"hour": 9, "tickets_per_day": 6.0, "counters_open": 0.92}
    assert [f["label"] for f in j["follow_ups"]] == ["B001", "A002"] and j["follow_ups"][0]["at"] == m(10)
    assert j["ranking_min_rated"] == 30 and [r["rank"] for r in j["ranking"]["clerk"]] == [None, None]


def test_text_for_a_person(whole_day):
    text = to_text(whole_day, "service")
    assert "6 taken, 5 served, 1 no-shows, 1 transferred, 1 voided" in text
    assert "satisfaction 50%, mean 3.25 / 5" in text and "Follow-ups: 2" in text
    hours = to_text(whole_day, "hour")
    assert "09:00" in hours and "08:00" not in hours
    assert "B001" in to_text(whole_day, "follow-ups")
    for name in TABLES:
        assert to_text(whole_day, name).startswith("Hall small: 2026-03-17 00:00 to 2026-03-18 00:00")
    with pytest.raises(ValueError):
        to_text(whole_day, "colour")
