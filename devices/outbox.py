"""The device's durable outbox: messages that must reach the controller, kept on disk until answered.

A kiosk that printed a ticket while the controller was away, an evaluator that took a rating,
a kiosk confirming a print: each of these is stored here (SQLite, WAL, synchronous=FULL, so it
survives a power cut once `put` returns) before anything is sent. The device link sends what is
here, oldest first, again and again, until a reply quoting the message's id arrives; then the
message is deleted. The controller de-duplicates by id, so resending is always safe.

One program owns an outbox file at a time: a lock file beside it makes a second owner fail at
once instead of sending everything twice.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from protocol.envelope import Message, encode

_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,  -- the order messages were stored in
    id      TEXT NOT NULL UNIQUE,               -- the message id the reply will quote in `re`
    type    TEXT NOT NULL,
    payload BLOB NOT NULL                       -- the encoded message, sent as it is every time
)
"""


class OutboxError(RuntimeError):
    """The outbox file cannot be used (not an outbox, in use by another program, unwritable)."""


@dataclass(frozen=True)
class Parcel:
    """One stored message, ready to publish as it is."""

    seq: int
    id: str
    type: str
    payload: bytes


class Outbox:
    """A FIFO of encoded messages in one SQLite file. Thread-safe; close it when done."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._mutex = threading.Lock()
        lock_path = self.path.with_name(self.path.name + ".lock")
        new_lock = not lock_path.exists()
        self._lock_file = self._take_lock(lock_path)
        try:
            self._db = self._open()
        except BaseException:
            if new_lock:  # leave no trace of a failed open
                lock_path.unlink(missing_ok=True)
            self._release_lock()
            raise

    def put(self, message: Message) -> Parcel:
        """Store `message`; once this returns, it is on disk. Raises ValueError for an id already stored."""
        payload = encode(message)
        with self._mutex:
            try:
                with self._db:
                    cur = self._db.execute(
                        "INSERT INTO outbox (id, type, payload) VALUES (?, ?, ?)", (message.id, message.type, payload)
                    )
            except sqlite3.IntegrityError:
                raise ValueError(f"message id {message.id!r} is already in the outbox") from None
            except sqlite3.Error as e:
                raise OutboxError(f"cannot store a message in the outbox {self.path}: {e}") from None
            return Parcel(int(cur.lastrowid or 0), message.id, message.type, payload)

    def pending(self, limit: int | None = None) -> list[Parcel]:
        """Unanswered messages, oldest first."""
        with self._mutex:
            rows = self._db.execute(
                "SELECT seq, id, type, payload FROM outbox ORDER BY seq LIMIT ?", (-1 if limit is None else limit,)
            ).fetchall()
        return [Parcel(seq, id_, type_, bytes(payload)) for seq, id_, type_, payload in rows]

    def ids(self) -> set[str]:
        with self._mutex:
            return {row[0] for row in self._db.execute("SELECT id FROM outbox")}

    def acknowledge(self, ids: Iterable[str]) -> int:
        """Forget answered messages; returns how many were still here (unknown ids are ignored)."""
        batch = [(i,) for i in ids]
        if not batch:
            return 0
        with self._mutex:
            before = self._db.total_changes
            with self._db:
                self._db.executemany("DELETE FROM outbox WHERE id = ?", batch)
            return self._db.total_changes - before

    def __len__(self) -> int:
        with self._mutex:
            return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def close(self) -> None:
        with self._mutex:
            if self._db is not None:
                self._db.close()
                self._db = None  # type: ignore[assignment]
        self._release_lock()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _take_lock(self, lock_path: Path) -> int:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as e:
            raise OutboxError(f"cannot open the outbox {self.path}: {e.strerror or e}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutboxError(
                f"the outbox {self.path} is in use by another program (or another link in this one)"
            ) from None
        return fd

    def _release_lock(self) -> None:
        fd, self._lock_file = self._lock_file, -1
        if fd >= 0:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _open(self) -> sqlite3.Connection:
        if self.path.is_dir():
            raise OutboxError(f"the outbox {self.path} is a directory, not a file")
        try:
            if not self.path.exists():  # private from the start: what the device must still deliver
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level="DEFERRED")
        except sqlite3.Error as e:
            raise OutboxError(f"cannot open the outbox {self.path}: {e}") from None
        try:
            # Look before writing anything: a file that is not ours is left exactly as it was.
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if version == 0 and not tables:
                db.execute("PRAGMA journal_mode=WAL")
                with db:
                    db.executescript(_SCHEMA + f";PRAGMA user_version = {_SCHEMA_VERSION};")
            elif version != _SCHEMA_VERSION or "outbox" not in tables:
                raise OutboxError(f"{self.path} is a database, but not a hall outbox")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(f"{self.path}{suffix}"):
                    os.chmod(f"{self.path}{suffix}", 0o600)
        except sqlite3.DatabaseError as e:
            db.close()
            raise OutboxError(f"{self.path} is not an outbox database: {e}") from None
        except BaseException:
            db.close()
            raise
        return db
