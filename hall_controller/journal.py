"""The journal: every event the engine emits, appended to SQLite, never changed.

Why SQLite in WAL mode with `synchronous=FULL`: a committed transaction survives a power cut,
and readers (reports, the web) never block the writer. Why group commit: one fsync costs about
as much as thousands of inserts, so the controller applies a batch of commands, appends all
their events, and commits once; only then does it reply to anyone. Under light load a batch is
one command; under a burst it is hundreds, and throughput rises instead of collapsing.

Checkpoints (copying the WAL back into the database file) run on a thread of their own with
its own connection, never inside the controller's commit: a checkpoint costs milliseconds, and
inside a commit it would delay every reply waiting on that commit.

At start the journal is checked (`PRAGMA quick_check`): a damaged file is refused with one
sentence, before anything is written to it. Its `meta` table names it: `journal_id` (made with the
journal, kept by `hall restore`, compared with the hall's history marker, see history.py) and
`token_secret` (the key of the tickets' status links: a new journal never recreates an old
ticket's page, because its key is new too).

Tables:
- `events`: the append-only log (seq, time, type name, JSON body).
- `replies`: the reply sent for each (sender, message id), written in the same transaction as the
  events, so a message re-sent after a crash gets the same answer instead of a second ticket.
- `snapshots`: the engine state pickled every so often, so a restart replays only the tail.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from hall.config import Hall
from hall_controller.engine import events as ev
from hall_controller.engine.state import HallState

SCHEMA_VERSION = 1
CHECKPOINT_EVERY_S = 1.0
log = logging.getLogger("hall.journal")


class JournalError(RuntimeError):
    """The journal file cannot be used (another hall's journal, a newer schema, a damaged file)."""


WHAT_TO_DO = (
    "stop here: restore the hall's journal with `hall restore` (the district copy) or from a backup, "
    "and keep the damaged file for inspection"
)


def damaged(path: Path, why: str) -> JournalError:
    return JournalError(f"the journal {path} is damaged ({why}); {WHAT_TO_DO}")


def encode_event(event) -> tuple[float, str, str]:
    """(time, type name, JSON body): the row of one event."""
    return event.at, type(event).__name__, ev.encode(event)


SYNC_LEVELS = {
    "full": "FULL",  # every commit is on the disk before anyone is told: survives a power cut
    "normal": "NORMAL",  # every commit is in the operating system before anyone is told: survives
    # a crash or kill -9 of the controller, may lose the last commits in a power cut
}


class Journal:
    def __init__(self, path: str | Path, hall: Hall, sync: str = "full", *, refuse_fresh: str | None = None):
        """Open (or create) the journal. `refuse_fresh`: the sentence to refuse with if the file is
        missing, empty or holds no journal, instead of starting one (the hall has a history)."""
        self.path = Path(path)
        existed = self.path.exists() and self.path.stat().st_size > 0
        if refuse_fresh and not existed:
            raise JournalError(refuse_fresh)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not existed:
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))  # private from the start
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            if existed:
                self._check_whole()
            self.db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.DatabaseError as e:
            raise damaged(self.path, str(e)) from None
        if refuse_fresh and self._fresh():
            self.db.close()
            raise JournalError(refuse_fresh)
        if sync not in SYNC_LEVELS:
            raise JournalError(f"journal sync must be one of {', '.join(SYNC_LEVELS)}, not {sync!r}")
        self.db.execute(f"PRAGMA synchronous={SYNC_LEVELS[sync]}")
        self.db.execute("PRAGMA busy_timeout=5000")
        self.db.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer thread does it
        self._create(hall)
        for suffix in ("", "-wal", "-shm"):  # journal, WAL and index: the owner's only
            if os.path.exists(f"{self.path}{suffix}"):
                os.chmod(f"{self.path}{suffix}", 0o600)
        self._events: list[tuple[float, str, str]] = []
        self._replies: list[tuple[str, str, str]] = []
        self.last_seq = self.db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
        self._closing = threading.Event()
        self._checkpointer = threading.Thread(target=self._checkpoint_loop, name="journal-checkpoint", daemon=True)
        self._checkpointer.start()

    def _check_whole(self) -> None:
        """`PRAGMA quick_check`: every page and record readable (a zeroed page is found here, not
        weeks later by a report). Raises sqlite3.DatabaseError or JournalError."""
        problems = [row[0] for row in self.db.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            self.db.close()
            raise damaged(self.path, "; ".join(problems)[:300])

    def _fresh(self) -> bool:
        """No journal in the file yet (no meta table, or an empty one)."""
        if self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone() is None:
            return True
        return self.db.execute("SELECT count(*) FROM meta").fetchone()[0] == 0

    @property
    def journal_id(self) -> str:
        return self._meta("journal_id") or ""

    def ensure_token_secret(self, legacy: bytes | None = None) -> bytes:
        """This journal's key for ticket status links. A journal written before keys lived in the
        journal (it has events but no key) adopts `legacy` (the old key file), so QR codes already
        printed stay valid; a new journal got a new key when it was made."""
        value = self._meta("token_secret")
        if value is None:
            value = (legacy if legacy is not None and self.last_seq > 0 else secrets.token_bytes(32)).hex()
            self.db.execute("INSERT INTO meta VALUES ('token_secret', ?)", (value,))
        return bytes.fromhex(value)

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _checkpoint_loop(self) -> None:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA busy_timeout=5000")
            said_at = None
            while not self._closing.wait(CHECKPOINT_EVERY_S):
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    said_at = None
                except sqlite3.Error as e:  # busy, or a full disk: the next round catches up
                    now = time.monotonic()
                    if said_at is None or now - said_at >= 60:  # one line a minute, not one a second
                        log.warning("journal checkpoint postponed: %s", e)
                        said_at = now
        finally:
            db.close()

    def _create(self, hall: Hall) -> None:
        self.db.executescript("""
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS events (
                seq INTEGER PRIMARY KEY, at REAL NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS replies (
                sender TEXT NOT NULL, id TEXT NOT NULL, reply TEXT NOT NULL, PRIMARY KEY (sender, id)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS snapshots (
                seq INTEGER PRIMARY KEY, config TEXT NOT NULL, state BLOB NOT NULL);
        """)
        meta = dict(self.db.execute("SELECT key, value FROM meta"))
        if not meta:
            self.db.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [
                    ("schema", str(SCHEMA_VERSION)),
                    ("hall", hall.id),
                    ("journal_id", secrets.token_hex(16)),
                    ("token_secret", secrets.token_hex(32)),
                ],
            )
            return
        if int(meta.get("schema", 0)) > SCHEMA_VERSION:
            raise JournalError(f"{self.path} was written by a newer version of the hall suite")
        if meta.get("hall") != hall.id:
            raise JournalError(f"{self.path} is the journal of hall {meta.get('hall')!r}, not {hall.id!r}")
        if "journal_id" not in meta:  # written before journals were named: name it now
            self.db.execute("INSERT INTO meta VALUES ('journal_id', ?)", (secrets.token_hex(16),))

    # --- writing (buffered until commit) -----------------------------------------------------

    def append(self, events: list) -> None:
        self._events.extend(map(encode_event, events))

    def remember_reply(self, sender: str, message_id: str, reply: str) -> None:
        self._replies.append((sender, message_id, reply))

    def commit(self) -> int:
        """Write everything appended since the last commit in one transaction (one fsync)."""
        if not self._events and not self._replies:
            return 0
        n = len(self._events)
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT INTO events (at, type, body) VALUES (?, ?, ?)", self._events)
            db.executemany("INSERT OR IGNORE INTO replies VALUES (?, ?, ?)", self._replies)
            db.execute("COMMIT")
        except BaseException:
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # SQLite rolled back by itself (a full disk ends the transaction)
            raise
        finally:
            self._events.clear()
            self._replies.clear()
        self.last_seq += n
        return n

    # --- reading ----------------------------------------------------------------------------

    def events(self, after: int = 0) -> Iterator:
        decode = ev.decode
        for _, name, body in self.db.execute("SELECT seq, type, body FROM events WHERE seq > ? ORDER BY seq", (after,)):
            yield decode(name, body)

    def replies_for(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The stored replies among these (sender, message id) pairs, in one query."""
        out: dict[tuple[str, str], str] = {}
        for start in range(0, len(keys), 400):  # SQLite allows 999 parameters per statement
            chunk = keys[start : start + 400]
            marks = ",".join("(?, ?)" for _ in chunk)
            rows = self.db.execute(
                f"SELECT sender, id, reply FROM replies WHERE (sender, id) IN (VALUES {marks})",
                [v for key in chunk for v in key],
            )
            out.update(((sender, message_id), reply) for sender, message_id, reply in rows)
        return out

    def reply_for(self, sender: str, message_id: str) -> str | None:
        row = self.db.execute("SELECT reply FROM replies WHERE sender = ? AND id = ?", (sender, message_id)).fetchone()
        return row[0] if row else None

    # --- snapshots --------------------------------------------------------------------------

    def save_snapshot(self, state: HallState) -> None:
        """Store the state as of the last committed event (call right after a commit)."""
        blob = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
        self.db.execute(
            "INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?)", (self.last_seq, config_fingerprint(state.hall), blob)
        )
        self.db.execute("DELETE FROM snapshots WHERE seq < ?", (self.last_seq,))

    def load_state(self, hall: Hall) -> HallState:
        """The state after every journalled event: the newest snapshot made with this same hall
        config, plus the events after it (or all events, when the config has changed since).
        A snapshot or event that cannot be read (a damaged page inside it, which quick_check
        does not look into) refuses the journal like any other damage."""
        try:
            return self._load_state(hall)
        except (
            pickle.UnpicklingError,
            EOFError,
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            IndexError,
            sqlite3.DatabaseError,
        ) as e:
            raise damaged(self.path, f"an unreadable snapshot or event: {type(e).__name__}: {str(e)[:120]}") from None

    def _load_state(self, hall: Hall) -> HallState:
        state, after = HallState(hall), 0
        row = self.db.execute(
            "SELECT seq, rowid FROM snapshots WHERE config = ? ORDER BY seq DESC LIMIT 1", (config_fingerprint(hall),)
        ).fetchone()
        if row is not None:
            after, rowid = row
            with self.db.blobopen("snapshots", "state", rowid, readonly=True) as blob:
                state = pickle.load(_Readable(blob))  # streamed: no second copy of the bytes in memory
            state.attach(hall)
        for event in self.events(after):
            state.apply(event)
        return state

    def close(self) -> None:
        self._closing.set()
        self._checkpointer.join()
        try:
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as e:  # a full disk: the WAL keeps the commits, read back at the next start
            log.warning("the journal's WAL stays beside it (%s)", e)
        self.db.close()


class _Readable:
    """What pickle.load needs of a file, over an SQLite blob (which has no readline)."""

    def __init__(self, blob):
        self.read = blob.read

    def readline(self) -> bytes:
        line = bytearray()
        while not line.endswith(b"\n") and (byte := self.read(1)):
            line += byte
        return bytes(line)


def config_fingerprint(hall: Hall) -> str:
    return hashlib.sha256(repr(hall).encode()).hexdigest()[:16]
