"""The district schema: migrations applied once and in order, a newer database refused, halls'
roles that see only their own rows (tested with real login roles, not the superuser)."""

from __future__ import annotations

import psycopg
import pytest

from district import pg


def test_migrate_applies_every_migration_once(pg_dsn):
    with psycopg.connect(pg_dsn) as conn:
        assert pg.migrate(conn) == [v for v, _, _ in pg.migrations()]
        assert pg.migrate(conn) == []
        assert pg.schema_version(conn) == pg.latest_version()
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'district'")}
        assert {"halls", "shipped", "events", "rollups", "rollups_daily", "rollups_desk", "followups"} <= tables


def test_migration_2_fills_the_desk_rollups_from_the_hourly_ones(pg_dsn):
    with psycopg.connect(pg_dsn) as conn:
        assert pg.migrate(conn, upto=1) == [1]
        conn.execute(
            "INSERT INTO district.rollups (hall_id, day, hour, service, counter, clerk, served, r4, h03) "
            "VALUES ('a', '2026-11-17', 9, 'A', 3, 'S1', 4, 2, 1), ('a', '2026-11-17', 10, 'A', 3, 'S1', 5, 1, 2), "
            "('a', '2026-11-17', 10, 'B', 3, 'S1', 7, 0, 0)"
        )
        conn.commit()
        assert pg.migrate(conn) == [v for v, _, _ in pg.migrations() if v > 1]
        rows = conn.execute(
            "SELECT service, counter, clerk, served, r4, h03 FROM district.rollups_desk ORDER BY service"
        ).fetchall()
        assert rows == [("A", 3, "S1", 9, 3, 3), ("B", 3, "S1", 7, 0, 0)]


def test_a_newer_database_is_refused_in_one_sentence(district_dsn):
    with psycopg.connect(district_dsn) as conn:
        conn.execute("INSERT INTO district_schema_version (version, name) VALUES (9999, '9999_future.sql')")
        conn.commit()
        with pytest.raises(pg.DistrictError, match=r"schema version 9999, newer .* upgrade the hall suite"):
            pg.migrate(conn)
        assert conn.execute("SELECT count(*) FROM district_schema_version").fetchone()[0] == len(pg.migrations()) + 1


def test_make_month_makes_one_partition_per_month(district_dsn):
    with psycopg.connect(district_dsn) as conn:
        t = 1_795_000_000.0  # 2026-11-18 UTC
        conn.execute("SELECT district.make_month(%s)", (t,))
        conn.execute("SELECT district.make_month(%s)", (t + 3600,))
        parts = [
            r[0]
            for r in conn.execute(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'district.events'::regclass"
            )
        ]
        assert parts == ["events_2026_11"]


def test_a_halls_role_sees_and_writes_only_its_own_rows(district_dsn, example_hall):
    with psycopg.connect(district_dsn) as admin:
        secret_a = pg.add_hall(admin, "hall-a")
        pg.add_hall(admin, "hall-b")
        admin.execute("SELECT district.make_month(1795000000.0)")
        admin.execute("INSERT INTO district.events VALUES ('hall-b', 1, 1795000000.0, 'TicketPrinted', '[1,\"t\"]')")
        admin.commit()
        role_a = pg.hall_role(admin, "hall-a")
    as_a = psycopg.conninfo.make_conninfo(district_dsn, user=role_a, password=secret_a)
    with psycopg.connect(as_a) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == role_a
        assert conn.execute("SELECT count(*) FROM district.events").fetchone()[0] == 0
        assert [r[0] for r in conn.execute("SELECT hall_id FROM district.halls")] == ["hall-a"]
        assert [r[0] for r in conn.execute("SELECT hall_id FROM district.shipped")] == ["hall-a"]
        conn.execute("INSERT INTO district.events VALUES ('hall-a', 1, 1795000000.0, 'TicketPrinted', '[1,\"t\"]')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO district.events VALUES ('hall-b', 2, 1795000000.0, 'TicketPrinted', '[1]')")
        conn.rollback()
        assert conn.execute("UPDATE district.shipped SET seq = 99 WHERE hall_id = 'hall-b'").rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM district.events")
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM district.events_2026_11")


def test_a_bad_hall_id_is_refused(district_dsn):
    with psycopg.connect(district_dsn) as conn:
        with pytest.raises(pg.DistrictError, match="is not a hall id"):
            pg.add_hall(conn, "a'; DROP TABLE x; --")
        assert pg.halls(conn) == []
