"""Ingest: a hall's journal into the district exactly once and in order, its rollups agreeing
with `hall report`, and every bad batch refused with one sentence and nothing written."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import sqlite3

import psycopg
import pytest
from district_support import DAY, role_dsn, ship_all

from district import events as dev
from district import reports
from district.ingest import Refused, ingest
from district.reports import report
from district.ship import JournalReader, Shipper
from district.verify import digest_district, digest_journal
from hall_controller.engine import events as ev
from hall_controller.journal import SCHEMA_VERSION
from hall_controller.reports.reading import report_from_journal


def test_the_districts_field_names_are_the_engines():
    for name, fields in dev.FIELDS.items():
        assert fields == tuple(ev.EVENT_TYPES[name].__dataclass_fields__), name
    assert SCHEMA_VERSION in dev.JOURNAL_SCHEMAS


def test_a_day_in_the_district_agrees_with_hall_report(district_dsn, example_hall, day_journal, tmp_path):
    journal = tmp_path / "journal.db"
    day_journal(journal, DAY)
    day_journal(journal, DAY + dt.timedelta(days=1), seed=12)  # a second day: tickets open across batches
    dsn, password = role_dsn(district_dsn, example_hall)
    ship_all(journal, dsn, password, batch=333)
    tz = example_hall.tz
    start, end = dt.datetime(2026, 11, 17, tzinfo=tz), dt.datetime(2026, 11, 19, tzinfo=tz)
    hall = report_from_journal(journal, example_hall, start.timestamp(), end.timestamp())
    with psycopg.connect(district_dsn) as conn:
        for by, rows, key in (
            ("hall", {example_hall.id: hall.overall}, "hall"),
            ("service", hall.by_service, "service"),
            ("counter", hall.by_counter, "counter"),
            ("clerk", hall.by_clerk, "clerk"),
            ("day", hall.by_day, "day"),
        ):
            for period in ((DAY, DAY + dt.timedelta(days=2)), (start, end)):
                district = {r[key]: r for r in report(conn, *period, by=by)}
                expected = {k: f for k, f in rows.items() if f.issued or f.served or f.rated or f.no_shows}
                assert set(district) == set(expected), (by, period)
                for k, f in expected.items():
                    d = district[k]
                    assert (d["tickets"], d["served"], d["no_shows"], d["transfers"], d["voided"], d["rated"]) == (
                        f.issued,
                        f.served,
                        f.no_shows,
                        f.transfers,
                        f.voided,
                        f.rated,
                    ), (by, k)
                    assert d["levels"] == f.levels
                    assert d["satisfaction_rate"] == f.satisfaction_rate
                    assert d["mean_score_5"] == f.mean_score_5
                    assert d["participation"] == f.participation
                    assert d["within_target"] == f.within_target
                    if f.wait_mean_s is None:
                        assert d["wait_mean_s"] is None
                    else:
                        assert d["wait_mean_s"] == pytest.approx(f.wait_mean_s)
                        for p in ("wait_p50_s", "wait_p95_s"):  # within the histogram's bucket
                            assert abs(d[p] - getattr(hall.overall if by == "hall" else f, p)) <= 60 + 0.2 * d[p]
        assert len(hall.follow_ups) > 0
        followups = reports.followups(conn, DAY, DAY + dt.timedelta(days=2))
        assert sorted(f["ticket"] for f in followups) == sorted(f.ticket for f in hall.follow_ups)


def rows_of(journal, after=0, limit=10_000):
    reader = JournalReader(journal)
    try:
        return reader.meta, reader.rows(after, limit)
    finally:
        reader.close()


def stored(conn, hall_id):
    return conn.execute("SELECT seq, events FROM district.shipped WHERE hall_id = %s", (hall_id,)).fetchone()


def test_a_replayed_batch_is_stored_once(district_dsn, example_hall, day_journal, tmp_path, caplog):
    journal = tmp_path / "journal.db"
    day_journal(journal, DAY)
    meta, rows = rows_of(journal)
    dsn, password = role_dsn(district_dsn, example_hall)
    with psycopg.connect(dsn, password=password) as conn:
        first = ingest(conn, example_hall.id, meta, rows[:1000])
        assert (first.stored, first.duplicates) == (1000, 0)
        with caplog.at_level(logging.WARNING, "hall.district.ingest"):
            again = ingest(conn, example_hall.id, meta, rows[500:1500])  # half replayed, half new
        assert (again.stored, again.duplicates, again.seq) == (500, 500, 1500)
        assert len([r for r in caplog.records if "replay" in r.message]) == 1
        ingest(conn, example_hall.id, meta, rows[1500:])
        ingest(conn, example_hall.id, meta, rows)  # all of it again
    with psycopg.connect(district_dsn) as admin:
        assert digest_district(admin, example_hall.id) == digest_journal(journal)
        tickets = admin.execute("SELECT sum(tickets) FROM district.rollups").fetchone()[0]
        day = report_from_journal(
            journal,
            example_hall,
            dt.datetime(2026, 11, 17, tzinfo=example_hall.tz).timestamp(),
            dt.datetime(2026, 11, 18, tzinfo=example_hall.tz).timestamp(),
        )
        assert tickets == day.overall.issued


@pytest.mark.parametrize("case", ["gap", "out_of_order", "schema", "other_hall_journal"])
def test_a_bad_batch_is_refused_and_nothing_is_written(case, district_dsn, example_hall, day_journal, tmp_path):
    journal = tmp_path / "journal.db"
    day_journal(journal, DAY)
    meta, rows = rows_of(journal)
    dsn, password = role_dsn(district_dsn, example_hall)
    with psycopg.connect(dsn, password=password) as conn:
        ingest(conn, example_hall.id, meta, rows[:100])
        bad = {
            "gap": rows[101:200],
            "out_of_order": [rows[100], rows[102], rows[101]],
            "schema": rows[100:200],
            "other_hall_journal": rows[100:200],
        }[case]
        bad_meta = (
            {**meta, "schema": "99"}
            if case == "schema"
            else {**meta, "hall": "elsewhere"}
            if case == "other_hall_journal"
            else meta
        )
        with pytest.raises(Refused) as refused:
            ingest(conn, example_hall.id, bad_meta, bad)
        assert "\n" not in str(refused.value) and str(refused.value).endswith(
            tuple("abcdefghijklmnopqrstuvwxyz0123456789)'")
        )
        assert stored(conn, example_hall.id) == (100, 100)
        assert conn.execute("SELECT count(*), max(seq) FROM district.events").fetchone() == (100, 100)


def test_a_role_cannot_ship_for_another_hall(district_dsn, example_hall, day_journal, tmp_path):
    other = dataclasses.replace(example_hall, id="other-hall")
    journal = tmp_path / "journal.db"
    day_journal(journal, DAY)
    meta, rows = rows_of(journal)
    role_dsn(district_dsn, example_hall)
    dsn_b, password_b = role_dsn(district_dsn, other)
    with psycopg.connect(dsn_b, password=password_b) as conn:
        with pytest.raises(Refused, match="not registered in this district, or this role"):
            ingest(conn, example_hall.id, meta, rows[:100])
    shipper = Shipper(journal, dsn_b, password=password_b)
    with pytest.raises(Refused, match="ships for another hall"):
        shipper.step()
    shipper.close()
    with psycopg.connect(district_dsn) as admin:
        assert admin.execute("SELECT count(*) FROM district.events").fetchone()[0] == 0
        assert admin.execute("SELECT count(*) FROM district.rollups").fetchone()[0] == 0


def test_a_journal_shorter_than_the_district_copy_stops_the_shipper(district_dsn, example_hall, day_journal, tmp_path):
    journal = tmp_path / "journal.db"
    day_journal(journal, DAY)
    dsn, password = role_dsn(district_dsn, example_hall)
    ship_all(journal, dsn, password)
    db = sqlite3.connect(journal)
    db.execute("DELETE FROM events WHERE seq > 100")
    db.commit()
    db.close()
    shipper = Shipper(journal, dsn, password=password)
    with pytest.raises(Refused, match="restore it with `hall restore`"):
        shipper.step()
    shipper.close()
