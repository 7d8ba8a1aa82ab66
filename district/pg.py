"""The district's PostgreSQL: the schema's migrations, and a hall's role in it.

Why versioned migrations as plain SQL files: the schema is what a database administrator reads
first, and `district/migrations/0001_*.sql … ` tell its whole history in order. `migrate(conn)`
applies the ones not yet applied, each in its own transaction with its row in
`district_schema_version`, so running it twice changes nothing, and a database migrated by a newer
hall suite is refused (its tables may mean something this version does not know).

Why one PostgreSQL role per hall: a hall's shipper holds only its own password, and row-level
security (the `own_hall` policies in 0001) lets that role read and write its own hall's rows and
nothing else, so a stolen hall box cannot read or spoil another hall's figures. Roles are names of
the whole PostgreSQL cluster, so they carry the database's name (`district_hall_a01` in database
`district`): two districts, or two test databases, on one cluster never share a role.
"""

from __future__ import annotations

import json
import re
import secrets
from importlib import resources
from typing import Any

import psycopg
from psycopg import sql

from hall.config import Hall

HALL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


class DistrictError(RuntimeError):
    """The district database cannot be used as asked; the message is one sentence saying why."""


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every migration shipped with this version, in order."""
    found = []
    for item in resources.files("district.migrations").iterdir():
        match = re.match(r"^(\d{4})_.*\.sql$", item.name)
        if match:
            found.append((int(match[1]), item.name, item.read_text(encoding="utf-8")))
    return sorted(found)


def latest_version() -> int:
    return migrations()[-1][0]


def shipper_role(conn: psycopg.Connection) -> str:
    """The group role every hall's role belongs to in this database."""
    return _prefix(conn) + "shipper"


def hall_role(conn: psycopg.Connection, hall_id: str) -> str:
    return _prefix(conn) + "hall_" + hall_id.lower().replace("-", "_").replace(".", "_")


def _prefix(conn: psycopg.Connection) -> str:
    name = conn.execute("SELECT current_database()").fetchone()[0]
    return re.sub(r"[^a-z0-9_]", "_", name.lower())[:20] + "_"


def migrate(conn: psycopg.Connection, upto: int | None = None) -> list[int]:
    """Apply the migrations this database lacks (up to version `upto`, default all); return the
    versions applied (none: up to date). Raises DistrictError when the database was migrated by a
    newer version of the hall suite."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS district_schema_version ("
        "version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    conn.commit()
    applied = {row[0] for row in conn.execute("SELECT version FROM district_schema_version")}
    known = migrations()
    newest = max(applied, default=0)
    if newest > known[-1][0]:
        conn.rollback()
        raise DistrictError(
            f"this district database is at schema version {newest}, newer than the {known[-1][0]} "
            "this hall suite knows: upgrade the hall suite before using it"
        )
    conn.rollback()
    done = []
    group = shipper_role(conn)
    for version, name, text in known:
        if version in applied or (upto is not None and version > upto):
            continue
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('district.migrate'))")
            if conn.execute("SELECT 1 FROM district_schema_version WHERE version = %s", (version,)).fetchone():
                continue  # another process applied it meanwhile
            if version == 1 and not _role_exists(conn, group):
                conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(group)))
            conn.execute(text.replace("{shipper_role}", sql.Identifier(group).as_string(conn)))
            conn.execute("INSERT INTO district_schema_version (version, name) VALUES (%s, %s)", (version, name))
        done.append(version)
    return done


def schema_version(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT coalesce(max(version), 0) FROM district_schema_version").fetchone()
    return row[0]


def _role_exists(conn: psycopg.Connection, role: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is not None


def hall_registry(hall: Hall) -> dict[str, Any]:
    """What the district keeps of a hall file: names, time zone, services with their target waits."""
    return {
        "name_zh": hall.names.zh,
        "name_en": hall.names.en,
        "timezone": hall.timezone,
        "services": {
            s.id: {"zh": s.names.zh, "en": s.names.en, "target_s": s.target_wait_s} for s in hall.services.values()
        },
    }


def add_hall(conn: psycopg.Connection, hall_id: str, config: Hall | None = None) -> str:
    """Register a hall and make its role; return the role's new password (shown once, stored
    nowhere in the district). Run by the district's administrator. Adding a hall again gives its
    role a new password and refreshes its registry entry from `config`."""
    if not HALL_ID.match(hall_id):
        raise DistrictError(f"{hall_id!r} is not a hall id (letters, digits, '_', '.', '-', at most 40)")
    if config is not None and config.id != hall_id:
        raise DistrictError(f"the hall file is hall {config.id!r}, not {hall_id!r}")
    role = hall_role(conn, hall_id)
    password = secrets.token_urlsafe(24)
    registry = hall_registry(config) if config is not None else {}
    with conn.transaction():
        other = conn.execute(
            "SELECT hall_id FROM district.halls WHERE role_name = %s AND hall_id <> %s", (role, hall_id)
        ).fetchone()
        if other:
            raise DistrictError(f"hall {hall_id!r} would share the role {role} of hall {other[0]!r}; choose another id")
        verb = "ALTER" if _role_exists(conn, role) else "CREATE"
        conn.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(shipper_role(conn)), sql.Identifier(role)))
        conn.execute(
            sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
                sql.Identifier(conn.info.dbname), sql.Identifier(role)
            )
        )
        conn.execute(
            "INSERT INTO district.halls (hall_id, role_name, name_zh, name_en, timezone, services) "
            "VALUES (%(id)s, %(role)s, %(name_zh)s, %(name_en)s, %(timezone)s, %(services)s) "
            "ON CONFLICT (hall_id) DO UPDATE SET name_zh = EXCLUDED.name_zh, name_en = EXCLUDED.name_en, "
            "timezone = EXCLUDED.timezone, services = EXCLUDED.services"
            if config is not None
            else "INSERT INTO district.halls (hall_id, role_name) VALUES (%(id)s, %(role)s) ON CONFLICT (hall_id) DO NOTHING",
            {
                "id": hall_id,
                "role": role,
                **registry,
                "services": json.dumps(registry.get("services", {}), ensure_ascii=False),
            },
        )
        conn.execute("INSERT INTO district.shipped (hall_id) VALUES (%s) ON CONFLICT DO NOTHING", (hall_id,))
    return password


def halls(conn: psycopg.Connection) -> list[str]:
    return [row[0] for row in conn.execute("SELECT hall_id FROM district.halls ORDER BY hall_id")]


def connect(dsn: str, **options) -> psycopg.Connection:
    """A connection to the district database; DistrictError (one sentence, no password) when it
    cannot be had."""
    try:
        return psycopg.connect(dsn, connect_timeout=options.pop("connect_timeout", 10), **options)
    except psycopg.Error as e:
        raise DistrictError(f"cannot reach the district database: {first_line(e)}") from None


def first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
