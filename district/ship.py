"""The shipper: a hall's journal copied to the district's PostgreSQL, beside the controller.

Why a process of its own (`hall ship`) and here rather than in hall_controller: the district must
never be on the hall's critical path. The shipper only reads the journal file, with its own
read-only SQLite connection (WAL: readers never block the controller's writer, and each read is
one short statement, so checkpoints are never held back); it needs none of the controller's code,
only the journal's tables as data. If the district is slow or away, the journal is the queue.

The loop: learn the district's high-water mark for this hall, read the next `batch` journal rows
after it, `ingest()` them in one transaction, repeat; when caught up, look again every `poll_s`.
Memory holds one batch at most; the next batch is read only once the last one committed
(backpressure: a slow district slows the shipper, never the hall). When PostgreSQL or the link is
down, retry with backoff (1 s doubling to 30 s) and say since when in the status. The mark is
re-read from the district after every reconnect, so a commit whose acknowledgement was lost is
never shipped twice (and if it were, the district drops the replayed rows).

Status: written (atomically) to `<journal>.district.json` beside the journal, for the hall web
and `hall ship --status`; see `Status`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import psycopg

from district.ingest import Refused, Row, ingest
from district.pg import first_line
from hall import clock as hall_clock

log = logging.getLogger("hall.district.ship")

BATCH = 5000
POLL_S = 1.0
BACKOFF_S = (1.0, 30.0)
STATUS_EVERY_S = 1.0


class JournalGone(RuntimeError):
    """The journal file is missing or not a hall journal."""


class JournalReader:
    """A hall journal opened read-only: its meta table and its rows after a seq."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise JournalGone(f"there is no journal at {self.path}")
        try:
            self.db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
            self.db.execute("PRAGMA busy_timeout=5000")
            self.meta = dict(self.db.execute("SELECT key, value FROM meta"))
        except sqlite3.Error as e:
            raise JournalGone(f"{self.path} is not a hall journal ({e})") from None
        if "hall" not in self.meta:
            raise JournalGone(f"{self.path} is not a hall journal (no hall in its meta table)")

    @property
    def hall(self) -> str:
        return self.meta["hall"]

    def rows(self, after: int, limit: int) -> list[Row]:
        return self.db.execute(
            "SELECT seq, at, type, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit)
        ).fetchall()

    def last_seq(self) -> int:
        return self.db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]

    def at_of(self, seq: int) -> float | None:
        row = self.db.execute("SELECT at FROM events WHERE seq = ?", (seq,)).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        self.db.close()


@dataclass
class Status:
    """What `<journal>.district.json` holds (the hall web shows `text`)."""

    hall: str
    link: str  # "up" | "down" | "stopped" (the district refused a batch)
    journal_seq: int  # the newest event in the journal
    district_seq: int  # the newest event the district holds (its high-water mark)
    waiting: int  # journal_seq - district_seq
    behind_s: float  # age of the oldest event waiting (0 when nothing waits)
    down_since: float | None  # epoch seconds, while the link is down
    error: str | None  # the last error, one sentence
    updated: float  # epoch seconds of this status
    text: str  # "district copy: 12 s behind" / "link down since 10:42, 3,210 events waiting"


def status_path(journal: str | Path) -> Path:
    journal = Path(journal)
    return journal.with_name(journal.stem + ".district.json")


def describe(s: Status) -> str:
    if s.link == "stopped":
        return f"district copy stopped: {s.error}"
    if s.link == "down":
        since = dt.datetime.fromtimestamp(s.down_since or s.updated).astimezone().strftime("%H:%M")
        return f"link down since {since}, {s.waiting:,} events waiting"
    if s.waiting == 0:
        return "district copy: up to date"
    return f"district copy: {s.behind_s:.0f} s behind ({s.waiting:,} events waiting)"


class Shipper:
    """`Shipper(journal, dsn).run(stop)` ships until `stop` is set; returns 0, or 1 when the
    district refused a batch (the status and the log say why and what to do)."""

    def __init__(
        self,
        journal: str | Path,
        dsn: str,
        *,
        password: str | None = None,
        batch: int = BATCH,
        poll_s: float = POLL_S,
        clock: Callable[[], float] = hall_clock.now,
        connect_timeout: int = 10,
    ):
        self.journal_path = Path(journal)
        self.dsn = dsn
        self.password = password
        self.batch = batch
        self.poll_s = poll_s
        self.clock = clock
        self.connect_timeout = connect_timeout
        self.status_file = status_path(journal)
        self.journal: JournalReader | None = None
        self.conn: psycopg.Connection | None = None
        self.mark: int | None = None
        self.down_since: float | None = None
        self.error: str | None = None
        self._status_at = -1e18

    # --- one step -------------------------------------------------------------------------------

    def _connect(self) -> psycopg.Connection:
        extra = {"password": self.password} if self.password else {}
        conn = psycopg.connect(self.dsn, connect_timeout=self.connect_timeout, **extra)
        row = conn.execute("SELECT seq FROM district.shipped WHERE hall_id = %s", (self.journal.hall,)).fetchone()
        conn.rollback()
        if row is None:
            conn.close()
            raise Refused(
                f"hall {self.journal.hall!r} is not registered in the district, or this role "
                f"ships for another hall: ask the district to run add-hall {self.journal.hall}"
            )
        self.mark = row[0]
        return conn

    def step(self) -> int:
        """Ship one batch (connecting first if needed); return the events stored (0: caught up).
        Raises psycopg.Error when the district is unreachable or fails, Refused when it refuses."""
        if self.journal is None:
            self.journal = JournalReader(self.journal_path)
        if self.conn is None or self.conn.closed:
            self.conn = self._connect()
        rows = self.journal.rows(self.mark, self.batch)
        if not rows:
            if self.journal.last_seq() < self.mark:
                raise Refused(
                    f"the district holds {self.mark} events of hall {self.journal.hall} but the journal at "
                    f"{self.journal_path} has only {self.journal.last_seq()}: restore it with `hall restore`"
                )
            return 0
        if rows[0][0] != self.mark + 1:
            raise Refused(
                f"the journal at {self.journal_path} lacks events {self.mark + 1}..{rows[0][0] - 1} "
                "that the district expects next: is it the hall's journal, or a restored older copy?"
            )
        shipped = ingest(self.conn, self.journal.hall, self.journal.meta, rows)
        self.mark = shipped.seq
        return shipped.stored

    # --- the loop -------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> int:
        backoff = BACKOFF_S[0]
        try:
            while not stop.is_set():
                try:
                    stored = self.step()
                except Refused as e:
                    self.error = str(e)
                    log.error("the district refused hall %s's journal: %s", self._hall(), e)
                    self.write_status(force=True, link="stopped")
                    return 1
                except JournalGone as e:
                    self.error = str(e)
                    log.warning("%s; looking again in %.0f s", e, backoff)
                    self.write_status(force=True)
                    stop.wait(backoff)
                    backoff = min(backoff * 2, BACKOFF_S[1])
                    continue
                except (psycopg.Error, sqlite3.Error) as e:
                    # unreachable (OperationalError), or refused by the database for another reason
                    # (a privilege, a missing partition): nothing was written; retry from the mark
                    self._drop_connection()
                    if isinstance(e, sqlite3.Error) and self.journal is not None:
                        self.journal.close()  # opened again at the next step
                        self.journal = None
                    if self.down_since is None:
                        self.down_since = self.clock()
                    self.error = first_line(e)
                    what = (
                        "the journal cannot be read"
                        if isinstance(e, sqlite3.Error)
                        else "the district is unreachable"
                        if isinstance(e, (psycopg.OperationalError, psycopg.InterfaceError))
                        else "the district failed the batch"
                    )
                    log.warning("%s (%s); retrying in %.0f s", what, self.error, backoff)
                    self.write_status(force=True)
                    stop.wait(backoff)
                    backoff = min(backoff * 2, BACKOFF_S[1])
                    continue
                if self.down_since is not None:
                    log.info("the district is reachable again; shipping from seq %d", self.mark + 1)
                self.down_since, self.error, backoff = None, None, BACKOFF_S[0]
                self.write_status(force=not stored)
                if not stored:
                    stop.wait(self.poll_s)
            return 0
        finally:
            self.close()

    def close(self) -> None:
        self._drop_connection()
        if self.journal is not None:
            self.journal.close()
            self.journal = None

    def _drop_connection(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except psycopg.Error:
                pass
        self.conn = None

    def _hall(self) -> str:
        return self.journal.hall if self.journal else str(self.journal_path)

    # --- status ---------------------------------------------------------------------------------

    def status(self, link: str | None = None) -> Status:
        now = self.clock()
        journal_seq = self.journal.last_seq() if self.journal else 0
        district_seq = self.mark if self.mark is not None else 0
        waiting = max(0, journal_seq - district_seq)
        oldest = self.journal.at_of(district_seq + 1) if (self.journal and waiting) else None
        link = link or ("down" if self.down_since is not None or self.mark is None else "up")
        s = Status(
            hall=self._hall(),
            link=link,
            journal_seq=journal_seq,
            district_seq=district_seq,
            waiting=waiting,
            behind_s=max(0.0, now - oldest) if oldest is not None else 0.0,
            down_since=self.down_since,
            error=self.error,
            updated=now,
            text="",
        )
        s.text = describe(s)
        return s

    def write_status(self, force: bool = False, link: str | None = None) -> None:
        now = self.clock()
        if not force and now - self._status_at < STATUS_EVERY_S:
            return
        self._status_at = now
        try:
            write_status(self.status_file, self.status(link))
        except (OSError, sqlite3.Error) as e:
            log.warning("cannot write the shipping status %s: %s", self.status_file, e)


def write_status(path: Path, status: Status) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(asdict(status), ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def read_status(path: Path) -> Status | None:
    try:
        return Status(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
