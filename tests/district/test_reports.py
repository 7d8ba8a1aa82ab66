"""The reports API the district web reads: groups, periods, hall filters, ranking, follow-ups."""

from __future__ import annotations

import dataclasses
import datetime as dt

import psycopg
import pytest
from district_support import DAY, role_dsn, ship_all

from district import reports
from district.rollup import percentile
from hall_controller.engine import events as ev
from hall_controller.journal import Journal
from hall_controller.reports.reading import report_from_journal


@pytest.fixture
def two_halls(district_dsn, example_hall, day_journal, tmp_path):
    """Halls xinhua and other, a day each shipped; xinhua's first follow-up noted and closed."""
    other = dataclasses.replace(example_hall, id="other")
    journals = {}
    for hall, seed in ((example_hall, 11), (other, 12)):
        journal = journals[hall.id] = tmp_path / f"{hall.id}.db"
        day_journal(journal, DAY, seed=seed, hall=hall)
    opened = report_from_journal(journals["xinhua"], example_hall, 0, 2e9).follow_ups[0]
    journal = Journal(journals["xinhua"], example_hall)
    journal.append(
        [
            ev.FollowUpNoted(opened.at + 60, opened.ticket, "called back", "S001"),
            ev.FollowUpClosed(opened.at + 120, opened.ticket, "resolved", "S002"),
        ]
    )
    journal.commit()
    journal.close()
    for hall in (example_hall, other):
        ship_all(journals[hall.id], *role_dsn(district_dsn, hall))
    return district_dsn, journals, opened


def test_groups_and_hall_filter(two_halls, example_hall):
    dsn, journals, _ = two_halls
    period = (DAY, DAY + dt.timedelta(days=1))
    with psycopg.connect(dsn) as conn:
        by_hall = reports.report(conn, *period)
        assert [r["hall"] for r in by_hall] == ["other", "xinhua"]
        only = reports.report(conn, *period, halls={"xinhua"})
        assert only == [by_hall[1]]
        months = reports.report(conn, *period, by="month")
        assert [r["month"] for r in months] == ["2026-11"]
        assert months[0]["tickets"] == sum(r["tickets"] for r in by_hall)
        hours = reports.report(conn, *period, by="hour")
        assert sum(r["tickets"] for r in hours) == months[0]["tickets"]
        assert all(0 <= r["hour"] <= 23 for r in hours)
        counters = reports.report(conn, *period, halls=["other"], by="counter")
        assert {r["hall"] for r in counters} == {"other"} and all(r["counter"] for r in counters)
        # a morning only, as date-times: the hours whose start is in it
        tz = example_hall.tz
        morning = reports.report(
            conn, dt.datetime(2026, 11, 17, 0, tzinfo=tz), dt.datetime(2026, 11, 17, 12, tzinfo=tz), halls=["xinhua"]
        )
        hall = report_from_journal(
            journals["xinhua"],
            example_hall,
            dt.datetime(2026, 11, 17, tzinfo=tz).timestamp(),
            dt.datetime(2026, 11, 17, 12, tzinfo=tz).timestamp(),
        )
        assert morning[0]["tickets"] == hall.overall.issued < by_hall[1]["tickets"]
        assert reports.report(conn, DAY + dt.timedelta(days=5), DAY + dt.timedelta(days=6)) == []


def test_bad_periods_are_refused_in_one_sentence(district_dsn):
    with psycopg.connect(district_dsn) as conn:
        with pytest.raises(reports.PeriodError, match="must end after it starts"):
            reports.report(conn, DAY, DAY)
        with pytest.raises(reports.PeriodError, match="carry their time zone"):
            reports.report(conn, dt.datetime(2026, 11, 17), dt.datetime(2026, 11, 18))
        with pytest.raises(reports.PeriodError, match="two dates or two date-times"):
            reports.report(conn, DAY, dt.datetime(2026, 11, 18, tzinfo=dt.UTC))
        with pytest.raises(reports.PeriodError, match="not 'week'"):
            reports.report(conn, DAY, DAY + dt.timedelta(days=1), by="week")
        with pytest.raises(reports.PeriodError, match="is not a month"):
            reports.ranking(conn, "November")


def test_ranking_of_halls_and_clerks(two_halls):
    dsn, _, _ = two_halls
    with psycopg.connect(dsn) as conn:
        halls = reports.ranking(conn, "2026-11", level="hall")
        assert [r["rank"] for r in halls] == [1, 2]
        assert halls[0]["satisfaction_rate"] >= halls[1]["satisfaction_rate"]
        clerks = reports.ranking(conn, dt.date(2026, 11, 30), level="clerk", min_rated=10)
        ranked = [r for r in clerks if r["rank"] is not None]
        assert ranked and all(r["rated"] >= 10 for r in ranked)
        assert all(r["rank"] is None for r in clerks[len(ranked) :])
        assert [r["rank"] for r in ranked] == sorted(r["rank"] for r in ranked)


def test_follow_ups_with_who_closed_them(two_halls):
    dsn, journals, opened = two_halls
    with psycopg.connect(dsn) as conn:
        every = reports.followups(conn, DAY, DAY + dt.timedelta(days=1))
        assert {f["hall"] for f in every} == {"xinhua", "other"}
        closed = reports.followups(conn, DAY, DAY + dt.timedelta(days=1), status="closed")
        assert [(f["hall"], f["ticket"], f["closed_by"], f["close_note"]) for f in closed] == [
            ("xinhua", opened.ticket, "S002", "resolved")
        ]
        assert closed[0]["notes"] == [{"at": opened.at + 60, "by": "S001", "note": "called back"}]
        assert closed[0]["level"] in (1, 2)
        still = reports.followups(conn, DAY, DAY + dt.timedelta(days=1), halls=["xinhua"], status="open")
        assert len(still) == len([f for f in every if f["hall"] == "xinhua"]) - 1


def test_live_summary_shows_each_halls_mark(two_halls):
    dsn, journals, _ = two_halls
    with psycopg.connect(dsn) as conn:
        rows = {r["hall"]: r for r in reports.live_summary(conn)}
    assert set(rows) == {"xinhua", "other"}
    assert rows["other"]["events"] == rows["other"]["seq"] > 0


def test_percentiles_from_the_histogram():
    histogram = [0] * 38
    histogram[0] = 50  # 50 waits under 30 s
    histogram[10] = 50  # 50 waits in [300 s, 360 s)
    assert percentile(histogram, 0.5) == 30.0
    assert 300 <= percentile(histogram, 0.95) <= 360
    assert percentile([0] * 38, 0.5) is None
