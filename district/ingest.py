"""One batch of a hall's journal into the district, in one transaction, exactly once and in order.

`ingest(conn, hall_id, meta, rows)` takes journal rows (seq, at, type, body) that follow the
district's high-water mark for the hall and, in ONE transaction: locks the hall's mark, checks the
batch, makes the month partitions it needs, copies the events, adds their rollups, records
follow-ups, and moves the mark. Either all of it commits or none of it does, so whatever fails
(the shipper killed, PostgreSQL restarted, the link cut mid-batch) the next attempt starts from a
mark that matches exactly what is stored.

What is refused, with one sentence and nothing written (`Refused`): a role shipping for a hall
that is not its own (row-level security hides the other hall's mark), a journal schema this
version does not know, a batch that skips seqs (a gap) or is out of order. A batch that repeats
seqs already stored (a replay after a lost commit acknowledgement) is de-duplicated: the repeated
rows are dropped with one log line and the rest go in.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import psycopg

from district.events import FOLLOW_UPS, JOURNAL_SCHEMAS, READ
from district.rollup import SUMS, Rollup, state_json

log = logging.getLogger("hall.district.ingest")

Row = tuple[int, float, str, str]  # (seq, at, type, body): a journal row as stored

_FINE_KEY = ("hall_id", "day", "hour", "service", "counter", "clerk")
_DAILY_KEY = ("hall_id", "day", "service")
_DESK_KEY = ("hall_id", "day", "service", "counter", "clerk")


class Refused(ValueError):
    """The district will not take this batch; the message says why in one sentence."""


@dataclass(frozen=True)
class Shipped:
    """The hall's high-water mark after a batch: the last seq stored and its event's time."""

    seq: int
    last_at: float | None
    stored: int  # rows this batch added
    duplicates: int  # rows of this batch already stored (dropped)


def _upsert(table: str, key: tuple[str, ...]) -> str:
    cols = (*key, *SUMS)
    sets = ", ".join(f"{c} = {table}.{c} + EXCLUDED.{c}" for c in SUMS)
    return (
        f"INSERT INTO district.{table} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM incoming_{table} "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}"
    )


_UPSERT_FINE = _upsert("rollups", _FINE_KEY)
_UPSERT_DAILY = _upsert("rollups_daily", _DAILY_KEY)
_UPSERT_DESK = _upsert("rollups_desk", _DESK_KEY)
_SUM_COLS = ", ".join(f"{c} {'double precision' if c in ('wait_s', 'service_s') else 'integer'}" for c in SUMS)
_TEMP_TABLES = f"""
CREATE TEMP TABLE IF NOT EXISTS incoming_events (seq bigint, at double precision, type text, body text)
    ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS incoming_rollups (hall_id text, day date, hour smallint, service text,
    counter integer, clerk text, {_SUM_COLS}) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS incoming_rollups_daily (hall_id text, day date, service text, {_SUM_COLS})
    ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS incoming_rollups_desk (hall_id text, day date, service text, counter integer,
    clerk text, {_SUM_COLS}) ON COMMIT DELETE ROWS;
"""


def _month(at: float) -> tuple[int, int]:
    t = dt.datetime.fromtimestamp(at, dt.UTC)
    return t.year, t.month


def ingest(conn: psycopg.Connection, hall_id: str, meta: dict[str, str], rows: Sequence[Row]) -> Shipped:
    """Store `rows` of hall `hall_id`'s journal (whose meta table is `meta`) after the district's
    high-water mark, in one transaction; return the new mark. Raises Refused (nothing written)."""
    schema = int(meta.get("schema", 0) or 0)
    if schema not in JOURNAL_SCHEMAS:
        raise Refused(
            f"hall {hall_id}'s journal has schema version {schema}, which this district does not "
            f"know (it knows {', '.join(map(str, JOURNAL_SCHEMAS))}): upgrade the district first"
        )
    if meta.get("hall") not in (None, hall_id):
        raise Refused(f"the journal is hall {meta.get('hall')!r}'s, not hall {hall_id!r}'s")
    try:
        return _ingest(conn, hall_id, meta, rows)
    except psycopg.Error:
        _known_months.clear()  # a partition may have been detached meanwhile: ask again next time
        raise


def _ingest(conn: psycopg.Connection, hall_id: str, meta: dict[str, str], rows: Sequence[Row]) -> Shipped:
    with conn.transaction():
        mark = conn.execute(
            "SELECT seq, last_at, tally, events FROM district.shipped WHERE hall_id = %s FOR UPDATE", (hall_id,)
        ).fetchone()
        if mark is None:
            raise Refused(
                f"hall {hall_id!r} is not registered in this district, or this role "
                f"({conn.info.user}) ships for another hall"
            )
        seq, last_at, tally, total = mark
        fresh = [r for r in rows if r[0] > seq]
        duplicates = len(rows) - len(fresh)
        if duplicates:
            log.warning(
                "hall %s: %d events already in the district (seq %d..%d) dropped as a replay",
                hall_id,
                duplicates,
                rows[0][0],
                min(seq, rows[-1][0]),
            )
        if not fresh:
            return Shipped(seq, last_at, 0, duplicates)
        _check_order(hall_id, seq, fresh)
        registry = conn.execute(
            "SELECT timezone, services FROM district.halls WHERE hall_id = %s", (hall_id,)
        ).fetchone()
        timezone, services = registry
        made = _make_months(conn, fresh)
        conn.execute(_TEMP_TABLES)
        with conn.cursor().copy("COPY incoming_events (seq, at, type, body) FROM STDIN") as copy:
            for row in fresh:
                copy.write_row(row)
        conn.execute(
            "INSERT INTO district.events (hall_id, seq, at, type, body) "
            "SELECT %s, seq, at, type, body FROM incoming_events ON CONFLICT DO NOTHING",
            (hall_id,),
        )
        rollup = Rollup(timezone, {s: v["target_s"] for s, v in services.items() if "target_s" in v}, tally)
        follow_ups = []
        read = [(kind, body) for _, _, kind, body in fresh if kind in READ]
        # one JSON array for the batch: a third faster than decoding row by row
        for (kind, _), fields in zip(read, json.loads(f"[{','.join(body for _, body in read)}]")):
            rollup.take(kind, fields)
            if kind in FOLLOW_UPS:
                follow_ups.append((kind, fields))
        _store_rollups(conn, hall_id, rollup)
        _store_follow_ups(conn, hall_id, follow_ups)
        new_seq, new_at = fresh[-1][0], fresh[-1][1]
        conn.execute(
            "UPDATE district.shipped SET seq = %s, last_at = %s, shipped_at = now(), events = %s, "
            "tally = %s, journal_meta = %s WHERE hall_id = %s",
            (new_seq, new_at, total + len(fresh), state_json(rollup.state), json.dumps(meta), hall_id),
        )
    _known_months.update(made)  # only once committed: a rolled-back batch made no partition
    return Shipped(new_seq, new_at, len(fresh), duplicates)


def _check_order(hall_id: str, mark: int, rows: Sequence[Row]) -> None:
    first = rows[0][0]
    if first != mark + 1:
        raise Refused(
            f"hall {hall_id}'s batch starts at seq {first} but the district holds up to {mark}: "
            f"a gap of {first - mark - 1} events; ship from seq {mark + 1}"
        )
    for i, row in enumerate(rows):
        if row[0] != first + i:
            raise Refused(
                f"hall {hall_id}'s batch is out of order or has a gap at seq {row[0]} "
                f"(expected {first + i}); nothing of it was stored"
            )


_known_months: set[tuple[str, tuple[int, int]]] = set()


def _make_months(conn: psycopg.Connection, rows: Iterable[Row]) -> set:
    """Make the month partitions these rows need, and next month's ahead of time; return the
    months asked for (known to exist once the transaction commits)."""
    ats = [row[1] for row in rows]
    months: dict[tuple[int, int], float] = {}
    at, last_at = min(ats), max(ats)
    while True:  # every month from the earliest event to the latest
        months[_month(at)] = at
        if _month(at) == _month(last_at):
            break
        year, month = _month(at)
        at = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=dt.UTC).timestamp()
    last = max(months)
    ahead = dt.datetime(last[0] + last[1] // 12, last[1] % 12 + 1, 1, tzinfo=dt.UTC).timestamp()
    months[_month(ahead)] = ahead
    database, asked = conn.info.dbname, set()
    for month, at in sorted(months.items()):
        if (database, month) not in _known_months:
            conn.execute("SELECT district.make_month(%s)", (at,))
            asked.add((database, month))
    return asked


def _store_rollups(conn: psycopg.Connection, hall_id: str, rollup: Rollup) -> None:
    if not rollup.rows:
        return
    cur = conn.cursor()
    with cur.copy(f"COPY incoming_rollups ({', '.join(_FINE_KEY)}, {', '.join(SUMS)}) FROM STDIN") as copy:
        for (day, hour, service, counter, clerk), sums in rollup.rows.items():
            copy.write_row((hall_id, day, hour, service, counter, clerk, *sums))
    with cur.copy(f"COPY incoming_rollups_daily ({', '.join(_DAILY_KEY)}, {', '.join(SUMS)}) FROM STDIN") as copy:
        for (day, service), sums in rollup.daily().items():
            copy.write_row((hall_id, day, service, *sums))
    with cur.copy(f"COPY incoming_rollups_desk ({', '.join(_DESK_KEY)}, {', '.join(SUMS)}) FROM STDIN") as copy:
        for key, sums in rollup.desk().items():
            copy.write_row((hall_id, *key, *sums))
    cur.execute(_UPSERT_FINE)
    cur.execute(_UPSERT_DAILY)
    cur.execute(_UPSERT_DESK)


def _store_follow_ups(conn: psycopg.Connection, hall_id: str, follow_ups: list[tuple[str, list]]) -> None:
    for kind, f in follow_ups:
        if kind == "FollowUpOpened":  # at, ticket, label, counter, clerk, service, level
            conn.execute(
                "INSERT INTO district.followups (hall_id, ticket, label, counter, clerk, service, level, "
                "opened_at) VALUES (%s, %s, %s, %s, %s, %s, %s, to_timestamp(%s)) ON CONFLICT DO NOTHING",
                (hall_id, f[1], f[2], f[3], f[4], f[5], f[6], f[0]),
            )
        elif kind == "FollowUpNoted":  # at, ticket, note, by
            conn.execute(
                "UPDATE district.followups SET notes = notes || %s::jsonb WHERE hall_id = %s AND ticket = %s",
                (json.dumps([{"at": f[0], "by": f[3], "note": f[2]}], ensure_ascii=False), hall_id, f[1]),
            )
        else:
            conn.execute(
                "UPDATE district.followups SET closed_at = to_timestamp(%s), closed_by = %s, close_note = %s "
                "WHERE hall_id = %s AND ticket = %s",
                (f[0], f[3], f[2], hall_id, f[1]),
            )
