"""`hall restore --hall ID --from-district DSN --db PATH`: a hall's journal rebuilt from the district copy.

For the day a hall's box dies with its disk: a new box gets the hall's journal back, every event
the district holds, in order, with the journal's meta (hall, schema). The controller started on
it replays the events, so the day's numbering continues after the last ticket the district has
and no ticket id (hence no QR status link) is used twice. Events the hall journalled but had not
yet shipped when it died are lost with its disk: `hall ship --status` shows how far behind the
district copy is, which is what a restore can lose.

The journal is written in the layout of hall_controller/journal.py (meta, events, and the empty
replies and snapshots tables the controller expects), without importing the controller: the
district reads and writes the journal as data. An existing journal with anything in it is never
overwritten.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sqlite3
import sys
from pathlib import Path

import psycopg

from district.pg import DistrictError, connect

JOURNAL_TABLES = """
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY, at REAL NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS replies (
        sender TEXT NOT NULL, id TEXT NOT NULL, reply TEXT NOT NULL, PRIMARY KEY (sender, id)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS snapshots (
        seq INTEGER PRIMARY KEY, config TEXT NOT NULL, state BLOB NOT NULL);
"""
BATCH = 10_000


class RestoreError(RuntimeError):
    """The restore cannot be done; one sentence saying why."""


def _not_empty(path: Path) -> bool:
    if not path.exists():
        return False
    if path.stat().st_size == 0:
        return False
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not tables:
                return False
            if "events" in tables and db.execute("SELECT 1 FROM events LIMIT 1").fetchone():
                return True
            return "meta" in tables and db.execute("SELECT 1 FROM meta LIMIT 1").fetchone() is not None
        finally:
            db.close()
    except sqlite3.Error:
        return True  # not a journal but not ours to overwrite either


def restore(conn: psycopg.Connection, hall_id: str, path: str | Path) -> tuple[int, float | None]:
    """Write hall `hall_id`'s journal at `path` from the district; return (events, time of the last).
    Raises RestoreError when `path` holds a journal already or the district has nothing of the hall."""
    path = Path(path)
    if _not_empty(path):
        raise RestoreError(f"{path} already holds a journal: move it away first (a restore never overwrites one)")
    mark = conn.execute("SELECT seq, journal_meta FROM district.shipped WHERE hall_id = %s", (hall_id,)).fetchone()
    if mark is None:
        raise RestoreError(f"the district has no hall {hall_id!r} (or this role may not read it)")
    seq, meta = mark
    meta = {"schema": "1", **{k: str(v) for k, v in (meta or {}).items()}, "hall": hall_id}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".restoring")
    partial.unlink(missing_ok=True)
    db = sqlite3.connect(partial, isolation_level=None)
    written, last_at = 0, None
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(JOURNAL_TABLES)
        db.execute("BEGIN")
        db.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
        with conn.cursor(name="restore") as cur:
            cur.itersize = BATCH
            cur.execute(
                "SELECT seq, at, type, body FROM district.events WHERE hall_id = %s AND seq <= %s ORDER BY seq",
                (hall_id, seq),
            )
            while rows := cur.fetchmany(BATCH):
                if rows[0][0] != written + 1 or rows[-1][0] != written + len(rows):
                    raise RestoreError(
                        f"the district copy of hall {hall_id} has a gap after seq {written}: "
                        "it cannot be restored as it is"
                    )
                db.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", rows)
                written += len(rows)
                last_at = rows[-1][1]
        conn.rollback()
        if written != seq:
            raise RestoreError(f"the district holds {written} of hall {hall_id}'s {seq} events: it cannot be restored")
        db.execute("COMMIT")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except BaseException:
        db.close()
        partial.unlink(missing_ok=True)
        Path(str(partial) + "-wal").unlink(missing_ok=True)
        Path(str(partial) + "-shm").unlink(missing_ok=True)
        raise
    db.close()
    if _not_empty(path):  # someone started a controller there meanwhile
        partial.unlink()
        raise RestoreError(f"{path} got a journal while restoring: move it away first")
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    os.replace(partial, path)
    return written, last_at


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="hall restore", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--hall", required=True, help="the hall's id")
    p.add_argument(
        "--from-district",
        metavar="DSN",
        help="the district database, without the password "
        "(default: HALL_DISTRICT_DSN; password from PGPASSWORD or PGPASSFILE)",
    )
    p.add_argument("--db", type=Path, required=True, help="where to write the journal (must not hold one)")
    args = p.parse_args(argv)
    dsn = args.from_district or os.environ.get("HALL_DISTRICT_DSN")
    if not dsn:
        print("hall restore: give the district database with --from-district or HALL_DISTRICT_DSN", file=sys.stderr)
        return 2
    try:
        if args.from_district and "password" in psycopg.conninfo.conninfo_to_dict(dsn):
            print(
                "hall restore: a password on the command line is visible to every user of this machine: "
                "use PGPASSWORD or PGPASSFILE",
                file=sys.stderr,
            )
            return 2
    except psycopg.ProgrammingError as e:
        print(f"hall restore: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    try:
        with connect(dsn) as conn:
            events, last_at = restore(conn, args.hall, args.db)
    except (DistrictError, RestoreError) as e:
        print(f"hall restore: {e}", file=sys.stderr)
        return 2
    except psycopg.Error as e:
        print(f"hall restore: the district database failed: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    if last_at is None:
        print(f"hall {args.hall}: the district holds no events; wrote an empty journal at {args.db}")
    else:
        when = dt.datetime.fromtimestamp(last_at, dt.UTC).isoformat(timespec="seconds")
        print(f"hall {args.hall}: restored {events:,} events (the last at {when}) to {args.db}")
    return 0
