"""Does the district hold exactly a hall's journal? Count and a digest of both sides, in seq order.

Used by the fault tests and the benchmark's fault rounds, and by an operator after an incident
(`digest_journal` and `digest_district` agree iff every event is there once, unchanged, in order).
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import psycopg


def _digest(rows) -> tuple[int, str]:
    h = hashlib.sha256()
    n = 0
    for seq, at, kind, body in rows:
        n += 1
        if seq != n:  # seqs start at 1 and have no gaps: order and completeness
            h.update(b"<gap>")
        h.update(f"{seq}\x1f{at!r}\x1f{kind}\x1f{body}\x1e".encode())
    return n, h.hexdigest()


def digest_journal(path: str | Path, upto: int | None = None) -> tuple[int, str]:
    db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        limit = "" if upto is None else f" WHERE seq <= {int(upto)}"
        return _digest(db.execute(f"SELECT seq, at, type, body FROM events{limit} ORDER BY seq"))
    finally:
        db.close()


def digest_district(conn: psycopg.Connection, hall_id: str) -> tuple[int, str]:
    with conn.cursor(name="digest") as cur:  # server-side: a month of events is not loaded at once
        cur.itersize = 10_000
        cur.execute("SELECT seq, at, type, body FROM district.events WHERE hall_id = %s ORDER BY seq", (hall_id,))
        result = _digest(cur)
    conn.rollback()
    return result
