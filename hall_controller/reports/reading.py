"""Reading a period's events from the journal, without ever getting in the controller's way.

The journal is the live controller's SQLite file in WAL mode. A report opens it with its own
read-only connection (`file:…?mode=ro`): WAL readers never block the writer and the writer never
blocks them, and a read-only connection cannot change or create anything, whatever goes wrong.

Only the rows a report needs are read. Events are appended in time order, so the first event of
a moment is found by bisecting `seq` (the primary key) on `at`, a few dozen lookups instead of a
scan of months of journal. The reading starts `LOOK_BACK_S` before the period (to learn the
tickets and counters already open when it starts) and, for tickets issued offline inside the
period but reported after it, goes on `OFFLINE_GRACE_S` past its end. Bisecting relies on `at`
growing with `seq`; `CLOCK_SLACK_S` forgives a controller clock set back by up to that much.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from hall.config import Hall
from hall_controller.engine import events as ev
from hall_controller.journal import SCHEMA_VERSION, JournalError
from hall_controller.reports.figures import Report, from_tally
from hall_controller.reports.tally import Tally

LOOK_BACK_S = 7 * 24 * 3600
OFFLINE_GRACE_S = 24 * 3600
CLOCK_SLACK_S = 3600

#: the event types a report reads; the others (recalls, service started, held and resumed, prompts,
#: printouts, alerts, devices, notices) count for nothing in it, and decoding is most of its time
# TicketPrinted puts a reserved ticket in the queue: without it, a ticket still waiting at the daily
# reset looked merely reserved, was forgotten there, and its call after midnight counted no wait
REPORT_EVENTS = (
    "ServiceDayStarted",
    "TicketReserved",
    "TicketPrinted",
    "TicketIssuedOffline",
    "TicketVoided",
    "TicketCalled",
    "TicketNoShow",
    "TicketReinstated",
    "TicketRequeued",
    "TicketTransferred",
    "TicketDone",
    "RatingRecorded",
    "CounterOpened",
    "CounterClosed",
    "CounterPaused",
    "CounterResumed",
    "PriorityRequested",
    "PriorityDecided",
)
BATCH = 2000
assert set(REPORT_EVENTS) <= set(ev.EVENT_TYPES)


def report_from_journal(path: str | Path, hall: Hall, start: float, end: float, now: float | None = None) -> Report:
    """The report of `start <= t < end` from the journal at `path`, read with a read-only
    connection. Raises JournalError when the file is missing, is not a journal, or is another hall's."""
    if not end > start:
        raise ValueError("a report's period must end after it starts")
    tally = Tally(hall, start, end)
    with ReadOnlyJournal(path, hall) as journal:
        first = journal.first_seq_at(start - LOOK_BACK_S - CLOCK_SLACK_S)
        last = journal.first_seq_at(end + CLOCK_SLACK_S)
        tally.take_all(journal.events(first, last))
        tally.take_all(
            journal.events(last, journal.first_seq_at(end + OFFLINE_GRACE_S + CLOCK_SLACK_S), ("TicketIssuedOffline",))
        )
    return from_tally(tally, hall, now)


class ReadOnlyJournal:
    """A journal opened for reading only; `with ReadOnlyJournal(path, hall) as j: j.events(a, b)`."""

    def __init__(self, path: str | Path, hall: Hall):
        self.path = Path(path)
        if not self.path.is_file():
            raise JournalError(f"there is no journal at {self.path}")
        try:
            self.db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error as e:
            raise JournalError(f"{self.path} cannot be opened: {e}") from None
        try:
            self.db.execute("PRAGMA busy_timeout=5000")
            meta = dict(self.db.execute("SELECT key, value FROM meta"))
            self.db.execute("SELECT seq, at, type, body FROM events LIMIT 0")
        except sqlite3.Error as e:
            self.db.close()
            raise JournalError(f"{self.path} is not a hall journal ({e})") from None
        if int(meta.get("schema", 0)) > SCHEMA_VERSION:
            self.db.close()
            raise JournalError(f"{self.path} was written by a newer version of the hall suite")
        if meta.get("hall") != hall.id:
            self.db.close()
            raise JournalError(f"{self.path} is the journal of hall {meta.get('hall')!r}, not {hall.id!r}")

    def __enter__(self) -> ReadOnlyJournal:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def span(self) -> tuple[float, float] | None:
        """The times of the first and the last event, or None for an empty journal."""
        first = self.db.execute("SELECT at FROM events ORDER BY seq LIMIT 1").fetchone()
        last = self.db.execute("SELECT at FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return None if first is None else (first[0], last[0])

    def first_seq_at(self, t: float) -> int:
        """The first seq whose event is at or after `t` (one past the last if none is)."""
        db = self.db
        lo, hi = db.execute("SELECT coalesce(min(seq), 1), coalesce(max(seq), 0) + 1 FROM events").fetchone()
        while lo < hi:
            mid = (lo + hi) // 2
            row = db.execute("SELECT seq, at FROM events WHERE seq >= ? ORDER BY seq LIMIT 1", (mid,)).fetchone()
            if row is None or row[1] >= t:
                hi = mid
            else:
                lo = row[0] + 1
        return lo

    def events(self, first: int, last: int, types: tuple[str, ...] = REPORT_EVENTS) -> Iterator:
        """Decoded events of these types with `first <= seq < last`, in journal order."""
        marks = ",".join("?" * len(types))
        rows = self.db.execute(
            f"SELECT type, body FROM events WHERE seq >= ? AND seq < ? AND type IN ({marks}) ORDER BY seq",
            (first, last, *types),
        )
        kinds = ev.EVENT_TYPES
        while batch := rows.fetchmany(BATCH):  # one JSON array per batch: a third faster than row by row
            bodies = json.loads(f"[{','.join(body for _, body in batch)}]")
            for (name, _), fields in zip(batch, bodies):
                yield kinds[name](*fields)
