"""Fixtures of the district tests: real PostgreSQL databases, and journals written by the real engine.

pg_dsn          a scratch database of this test's own, empty: made with CREATE DATABASE on the
                machine's PostgreSQL when one answers on 127.0.0.1:5432 or the local socket
                (user postgres), else on a private cluster started once for the session
                (initdb/pg_ctl in a temp dir, free port; HALL_TEST_PRIVATE_PG=1 forces
                that); dropped after the test, with the
                roles made in it (roles are named after the database, see district.pg)
district_dsn    the same, migrated to the district's schema
pg_cluster      a private cluster of this test's own (a `district.cluster.PrivateCluster`:
                .stop(), .kill(), .start() on the same port): for restarting PostgreSQL
                under a running ingest without ever touching the machine's own service
day_journal     a factory: `day_journal(path, date, seed=11, hall=...)` writes the journal of
                a simulated ordinary day (examples/scenario.toml) on the real engine
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from testkit import EXAMPLE_HALL, WAIT_S  # noqa: F401 (the district tests import them from here)

from district import pg
from district.cluster import ClusterError, PrivateCluster, pg_binary, wait_until_ready
from hall import config

MACHINE_DSNS = (
    "host=127.0.0.1 port=5432 user=postgres dbname=postgres",
    "host=/var/run/postgresql user=postgres dbname=postgres",
)


def _machine_server() -> str | None:
    if os.environ.get("HALL_TEST_PRIVATE_PG"):  # set to test the fallback on a machine with a server
        return None
    for dsn in MACHINE_DSNS:
        try:
            psycopg.connect(dsn, connect_timeout=2, autocommit=True).close()
            return dsn
        except psycopg.Error:
            continue
    return None


def _cluster_dir() -> Path:
    """A directory for a private cluster that its server user can reach (pytest's tmp_path is
    private to root when the tests run as root, and PostgreSQL runs as postgres then)."""
    return Path(tempfile.mkdtemp(prefix="hall-district-pg-"))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The DSN of a maintenance database (postgres) on a server the tests may make databases on."""
    found = _machine_server()
    if found:
        yield found
        return
    if not (pg_binary("initdb") and pg_binary("pg_ctl")):
        pytest.skip("no PostgreSQL answers here and initdb/pg_ctl are not installed (apt install postgresql)")
    directory = _cluster_dir()
    try:
        with PrivateCluster(directory) as cluster:
            yield cluster.dsn("postgres")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _scratch(server_dsn: str) -> Iterator[str]:
    name = f"district_t{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = psycopg.conninfo.make_conninfo(server_dsn, dbname=name)
    try:
        yield dsn
    finally:
        with psycopg.connect(server_dsn, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            for (role,) in admin.execute(
                "SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (name + "\\_%",)
            ).fetchall():
                admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@pytest.fixture
def pg_dsn(pg_server) -> Iterator[str]:
    yield from _scratch(pg_server)


@pytest.fixture
def district_dsn(pg_dsn) -> str:
    with psycopg.connect(pg_dsn) as conn:
        pg.migrate(conn)
    return pg_dsn


@pytest.fixture
def pg_cluster() -> Iterator[PrivateCluster]:
    directory = _cluster_dir()
    try:
        try:
            cluster = PrivateCluster(directory)
        except ClusterError as e:
            pytest.skip(str(e))
        with cluster:
            wait_until_ready(cluster.dsn())
            yield cluster
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def write_day(path: Path, hall: config.Hall, date: dt.date, seed: int = 11) -> int:
    """Journal a simulated ordinary day at `hall` on `date` (appended to the journal at `path`);
    return the number of events written."""
    from hall_controller.journal import Journal
    from simulators import scenario
    from simulators.day import plan_day, simulate

    day = scenario.load(EXAMPLE_HALL.parent / "scenario.toml", hall)
    day = dataclasses.replace(day, date=date)
    events: list = []
    simulate(hall, plan_day(hall, day), seed=seed, on_event=events.append)
    journal = Journal(path, hall)
    journal.append(events)
    journal.commit()
    journal.close()
    return len(events)


@pytest.fixture
def day_journal(example_hall) -> Callable[..., int]:
    def write(path: Path, date: dt.date, seed: int = 11, hall: config.Hall | None = None) -> int:
        return write_day(path, hall or example_hall, date, seed)

    return write
