"""Faults with real processes: `hall ship` killed -9 mid-batch, PostgreSQL killed and restarted
under a running ingest, the link cut while the hall keeps writing. Afterwards the district holds
every event of the journal exactly once and in order (count and digest), and its rollups agree.

PostgreSQL is restarted only on a private cluster of the test's own (`pg_cluster`), never the
machine's service.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import signal
import time

import psycopg
import pytest
from district_support import DAY, ROOT, hall_command, role_dsn, start_hall_command
from psycopg import sql

from district import pg
from district.ship import read_status, status_path
from district.verify import digest_district, digest_journal
from hall_controller.reports.reading import report_from_journal

DEADLINE_S = 90.0
ROOT_EXAMPLES = ROOT / "examples"


def wait_for(condition, what: str, timeout: float = DEADLINE_S):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def district_mark(dsn: str, hall_id: str) -> int | None:
    """The district's high-water mark for the hall, or None while PostgreSQL is unreachable."""
    try:
        with psycopg.connect(dsn, connect_timeout=2) as conn:
            return conn.execute("SELECT seq FROM district.shipped WHERE hall_id = %s", (hall_id,)).fetchone()[0]
    except psycopg.OperationalError:
        return None


def assert_exactly_the_journal(admin_dsn, hall, journal, days):
    with psycopg.connect(admin_dsn) as conn:
        assert digest_district(conn, hall.id) == digest_journal(journal)
        tz = hall.tz
        start = dt.datetime.combine(DAY, dt.time(), tz)
        whole = report_from_journal(journal, hall, start.timestamp(), (start + dt.timedelta(days=days)).timestamp())
        sums = conn.execute(
            "SELECT sum(tickets), sum(served), sum(no_shows), sum(r1 + r2 + r3 + r4) "
            "FROM district.rollups WHERE hall_id = %s",
            (hall.id,),
        ).fetchone()
        o = whole.overall
        assert sums == (o.issued, o.served, o.no_shows, o.rated)
        assert (
            conn.execute("SELECT sum(tickets) FROM district.rollups_daily WHERE hall_id = %s", (hall.id,)).fetchone()[0]
            == whole.overall.issued
        )


def stop(process) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


def test_kill_9_of_the_shipper_mid_batch(district_dsn, example_hall, day_journal, tmp_path):
    journal = tmp_path / "journal.db"
    for i in range(4):
        day_journal(journal, DAY + dt.timedelta(days=i), seed=11 + i)
    total = digest_journal(journal)[0]
    dsn, password = role_dsn(district_dsn, example_hall)
    env = {"PGPASSWORD": password}
    args = ("ship", "--db", str(journal), "--dsn", dsn, "--batch", "250")
    kills = []
    for _round in range(3):
        before = district_mark(district_dsn, example_hall.id)
        shipper = start_hall_command(*args, env=env, log=tmp_path / "ship.log")
        try:
            wait_for(lambda: (district_mark(district_dsn, example_hall.id) or 0) > before, "a batch to land")
        finally:
            shipper.kill()  # SIGKILL: no cleanup, a transaction may be open
            shipper.wait(30)
        kills.append(district_mark(district_dsn, example_hall.id))
    assert kills[-1] < total, "the shipper finished before it could be killed: make the journal longer"
    shipper = start_hall_command(*args, env=env, log=tmp_path / "ship.log")
    try:
        wait_for(lambda: district_mark(district_dsn, example_hall.id) == total, "the catch-up")
    finally:
        stop(shipper)
    assert shipper.returncode == 0
    assert_exactly_the_journal(district_dsn, example_hall, journal, 4)


@pytest.fixture
def cluster_district(pg_cluster) -> str:
    with psycopg.connect(pg_cluster.dsn(), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE district"))
    dsn = pg_cluster.dsn("district")
    with psycopg.connect(dsn) as conn:
        pg.migrate(conn)
    return dsn


def test_postgresql_killed_and_restarted_mid_ingest(pg_cluster, cluster_district, example_hall, day_journal, tmp_path):
    journal = tmp_path / "journal.db"
    for i in range(4):
        day_journal(journal, DAY + dt.timedelta(days=i), seed=21 + i)
    total = digest_journal(journal)[0]
    dsn, password = role_dsn(cluster_district, example_hall)
    shipper = start_hall_command(
        "ship",
        "--db",
        str(journal),
        "--dsn",
        dsn,
        "--batch",
        "200",
        env={"PGPASSWORD": password},
        log=tmp_path / "ship.log",
    )
    try:
        wait_for(lambda: (district_mark(cluster_district, example_hall.id) or 0) > 0, "a batch to land")
        pg_cluster.kill()  # immediate: in-flight transactions are lost
        pg_cluster.start()
        at_kill = district_mark(cluster_district, example_hall.id)
        assert at_kill < total, "the shipper finished before PostgreSQL was killed: make the journal longer"
        wait_for(lambda: district_mark(cluster_district, example_hall.id) == total, "the catch-up")
    finally:
        stop(shipper)
    assert shipper.returncode == 0
    assert "the district is unreachable" in (tmp_path / "ship.log").read_text()
    assert_exactly_the_journal(cluster_district, example_hall, journal, 4)


def test_link_cut_while_the_hall_keeps_writing(pg_cluster, cluster_district, example_hall, day_journal, tmp_path):
    journal = tmp_path / "journal.db"
    day_journal(journal, DAY)
    dsn, password = role_dsn(cluster_district, example_hall)
    shipper = start_hall_command(
        "ship",
        "--db",
        str(journal),
        "--dsn",
        dsn,
        "--batch",
        "500",
        env={"PGPASSWORD": password},
        log=tmp_path / "ship.log",
    )
    try:
        first_day = digest_journal(journal)[0]
        wait_for(lambda: district_mark(cluster_district, example_hall.id) == first_day, "the first day shipped")
        pg_cluster.stop()  # the link is down
        for i in (1, 2):  # the hall goes on working meanwhile
            day_journal(journal, DAY + dt.timedelta(days=i), seed=31 + i)
        total = digest_journal(journal)[0]
        status = wait_for(
            lambda: (
                (s := read_status(status_path(journal))) and s.link == "down" and s.waiting == total - first_day and s
            ),
            "the status to say the link is down",
        )
        assert status.text.startswith("link down since ")
        assert status.text.endswith(f", {total - first_day:,} events waiting")
        shown = hall_command("ship", "--db", str(journal), "--status")
        assert shown.returncode == 0 and shown.stdout.startswith("link down since ")
        pg_cluster.start()  # the link is back: the shipper catches up alone
        wait_for(lambda: district_mark(cluster_district, example_hall.id) == total, "the catch-up")
        wait_for(
            lambda: (s := read_status(status_path(journal))) and s.text == "district copy: up to date",
            "the status to say up to date",
        )
    finally:
        stop(shipper)
    assert shipper.returncode == 0
    saved = json.loads(status_path(journal).read_text())
    assert set(saved) == {
        "hall",
        "link",
        "journal_seq",
        "district_seq",
        "waiting",
        "behind_s",
        "down_since",
        "error",
        "updated",
        "text",
    }
    assert_exactly_the_journal(cluster_district, example_hall, journal, 3)


def test_shipping_while_the_hall_writes_its_journal(district_dsn, example_hall, tmp_path):
    """The controller's write path (Journal, WAL, synchronous=FULL, a commit every few dozen events)
    appending three days while `hall ship` reads the same file: the writer is never refused or
    blocked, and everything arrives once and in order."""
    from hall_controller.journal import Journal
    from simulators import scenario
    from simulators.day import plan_day, simulate

    journal_path = tmp_path / "journal.db"
    journal = Journal(journal_path, example_hall)
    dsn, password = role_dsn(district_dsn, example_hall)
    shipper = start_hall_command(
        "ship",
        "--db",
        str(journal_path),
        "--dsn",
        dsn,
        "--batch",
        "100",
        env={"PGPASSWORD": password},
        log=tmp_path / "ship.log",
    )
    try:
        base = scenario.load(ROOT_EXAMPLES / "scenario.toml", example_hall)
        for i in range(3):
            events: list = []
            day = dataclasses.replace(base, date=DAY + dt.timedelta(days=i))
            simulate(example_hall, plan_day(example_hall, day), seed=41 + i, on_event=events.append)
            for start in range(0, len(events), 40):  # a commit every 40 events, as under load
                journal.append(events[start : start + 40])
                journal.commit()
        total = journal.last_seq
        wait_for(lambda: district_mark(district_dsn, example_hall.id) == total, "the district to catch up")
    finally:
        stop(shipper)
        journal.close()
    assert shipper.returncode == 0
    assert_exactly_the_journal(district_dsn, example_hall, journal_path, 3)


def test_a_batch_the_district_fails_is_retried_without_a_traceback(
    district_dsn, example_hall, day_journal, tmp_path, caplog
):
    """A database error that is not a lost link (here: the hall roles' INSERT revoked for a while)
    is one log line and a retry from the mark, and the hall's copy completes once it is fixed."""
    import logging
    import threading

    from district.ship import Shipper

    journal = tmp_path / "journal.db"
    day_journal(journal, DAY)
    total = digest_journal(journal)[0]
    dsn, password = role_dsn(district_dsn, example_hall)
    with psycopg.connect(district_dsn, autocommit=True) as admin:
        group = pg.shipper_role(admin)
        admin.execute(sql.SQL("REVOKE INSERT ON district.events FROM {}").format(sql.Identifier(group)))
        shipper = Shipper(journal, dsn, password=password, batch=500)
        stop = threading.Event()
        runner = threading.Thread(target=shipper.run, args=(stop,))
        with caplog.at_level(logging.WARNING, "hall.district.ship"):
            runner.start()
            try:
                wait_for(
                    lambda: any("the district failed the batch" in r.message for r in caplog.records),
                    "the failure to be logged",
                )
                assert district_mark(district_dsn, example_hall.id) == 0
                status = read_status(status_path(journal))
                assert status.link == "down" and "permission denied" in status.error
                admin.execute(sql.SQL("GRANT INSERT ON district.events TO {}").format(sql.Identifier(group)))
                wait_for(lambda: district_mark(district_dsn, example_hall.id) == total, "the retry to succeed")
            finally:
                stop.set()
                runner.join(DEADLINE_S)
    assert_exactly_the_journal(district_dsn, example_hall, journal, 1)
