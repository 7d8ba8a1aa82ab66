"""The notifier's outbox: what each channel must hear of each alert, and what became of it.

An SQLite file next to the journal (mode 0600: the messages name clerks and tickets). One row per
(alert, channel), and one more where a digest lists it. The primary key is what makes "at most
once per channel" hold through any restart: an alert read again from the journal finds its rows
already there. A row's state:

    waiting   due at `due` (held by its rule's delay, quiet hours, rate limit or digest time)
    sending   written and committed before the network call; found at startup, it means the
              controller stopped mid-send: it becomes `unknown` and is not sent again
    sent      delivered (`message` numbers the message, shared by a bundle)
    failed    the channel refused or could not be reached (`error` says why); tried again at
              `next_try`, or given up when `next_try` is empty
    stopped   not needed any more (acknowledged or cleared first; `error` says which)
    unknown   see `sending`
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (
    alert INTEGER PRIMARY KEY, kind TEXT NOT NULL, subject TEXT NOT NULL, message TEXT NOT NULL,
    severity TEXT NOT NULL, raised_at REAL NOT NULL,
    acked_by TEXT, acked_at REAL, cleared_at REAL);
CREATE TABLE IF NOT EXISTS deliveries (
    alert INTEGER NOT NULL, channel TEXT NOT NULL, rule TEXT NOT NULL, kind TEXT NOT NULL,
    level INTEGER NOT NULL, digest INTEGER NOT NULL, due REAL NOT NULL, state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_try REAL, updated REAL NOT NULL, error TEXT,
    message INTEGER, PRIMARY KEY (alert, channel, digest));
CREATE INDEX IF NOT EXISTS deliveries_open ON deliveries (state) WHERE state IN ('waiting', 'failed');
"""
OPEN = ("waiting", "failed")


@dataclass(frozen=True)
class Delivery:
    alert: int
    channel: str
    rule: str
    kind: str
    level: int
    digest: bool
    due: float
    state: str
    attempts: int
    next_try: float | None
    message: str  # the alert's text
    raised_at: float


class Outbox:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.chmod(self.path, 0o600)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # a `sending` mark must be on disk before the send
        self.db.executescript(SCHEMA)

    # --- the journal's high-water mark -------------------------------------------------------

    def journal_seq(self) -> int | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'journal_seq'").fetchone()
        return int(row[0]) if row else None

    def set_journal_seq(self, seq: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('journal_seq', ?)", (str(seq),))

    # --- what the journal said ---------------------------------------------------------------

    def transaction(self):
        return _Transaction(self.db)

    def add_alert(self, alert: int, kind: str, subject: str, message: str, severity: str, raised_at: float) -> bool:
        """False if the alert was already here (read again after a restart)."""
        cur = self.db.execute(
            "INSERT OR IGNORE INTO alerts (alert, kind, subject, message, severity, raised_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (alert, kind, subject, message, severity, raised_at),
        )
        return cur.rowcount == 1

    def add_delivery(
        self, alert: int, channel: str, rule: str, kind: str, level: int, digest: bool, due: float, now: float
    ) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO deliveries (alert, channel, rule, kind, level, digest, due, state, "
            "updated) VALUES (?, ?, ?, ?, ?, ?, ?, 'waiting', ?)",
            (alert, channel, rule, kind, level, int(digest), due, now),
        )

    def acknowledged(self, alert: int, by: str, at: float) -> None:
        self.db.execute("UPDATE alerts SET acked_by = ?, acked_at = ? WHERE alert = ?", (by, at, alert))
        self._stop(alert, f"acknowledged by {by}", at)

    def cleared(self, alert: int, at: float) -> None:
        self.db.execute("UPDATE alerts SET cleared_at = ? WHERE alert = ?", (at, alert))
        self._stop(alert, "cleared before it was sent", at)

    def _stop(self, alert: int, why: str, at: float) -> None:
        """Nobody needs to hear any more of it (a digest still lists it)."""
        self.db.execute(
            "UPDATE deliveries SET state = 'stopped', error = ?, next_try = NULL, updated = ? "
            "WHERE alert = ? AND state IN ('waiting', 'failed') AND NOT digest",
            (why, at, alert),
        )

    # --- sending -----------------------------------------------------------------------------

    def interrupted(self, now: float) -> int:
        """Rows left `sending` by a controller that stopped mid-send: `unknown`, never sent again."""
        return self.db.execute(
            "UPDATE deliveries SET state = 'unknown', updated = ?, error = "
            "'the controller stopped while sending; not sent again, so nobody hears it twice' "
            "WHERE state = 'sending'",
            (now,),
        ).rowcount

    def ready(self, now: float) -> list[Delivery]:
        rows = self.db.execute(
            "SELECT d.alert, d.channel, d.rule, d.kind, d.level, d.digest, d.due, d.state, d.attempts, d.next_try, "
            "a.message, a.raised_at FROM deliveries d JOIN alerts a USING (alert) "
            "WHERE (d.state = 'waiting' AND d.due <= ?) OR (d.state = 'failed' AND d.next_try <= ?) "
            "ORDER BY d.alert",
            (now, now),
        )
        return [Delivery(*row[:5], bool(row[5]), *row[6:]) for row in rows]

    def next_due(self) -> float | None:
        row = self.db.execute(
            "SELECT min(CASE state WHEN 'waiting' THEN due ELSE next_try END) FROM deliveries "
            "WHERE state IN ('waiting', 'failed')"
        ).fetchone()
        return row[0]

    def last_sent(self, channel: str, rule: str, kind: str) -> float | None:
        row = self.db.execute(
            "SELECT max(updated) FROM deliveries WHERE channel = ? AND rule = ? AND kind = ? "
            "AND NOT digest AND state IN ('sent', 'sending', 'unknown')",
            (channel, rule, kind),
        ).fetchone()
        return row[0]

    def postpone(self, group: list[Delivery], until: float, now: float) -> None:
        self.db.executemany(
            "UPDATE deliveries SET state = 'waiting', due = ?, next_try = NULL, updated = ? "
            "WHERE alert = ? AND channel = ? AND digest = ?",
            [(until, now, d.alert, d.channel, d.digest) for d in group],
        )

    def sending(self, group: list[Delivery], now: float) -> int:
        """Mark the group `sending` (committed: on the disk before the send); the message's number."""
        with self.transaction():
            number = self.db.execute("SELECT coalesce(max(message), 0) + 1 FROM deliveries").fetchone()[0]
            self.db.executemany(
                "UPDATE deliveries SET state = 'sending', attempts = attempts + 1, updated = ?, "
                "message = ? WHERE alert = ? AND channel = ? AND digest = ?",
                [(now, number, d.alert, d.channel, d.digest) for d in group],
            )
        return number

    def sent(self, group: list[Delivery], now: float) -> None:
        self.db.executemany(
            "UPDATE deliveries SET state = 'sent', error = NULL, next_try = NULL, updated = ? "
            "WHERE alert = ? AND channel = ? AND digest = ?",
            [(now, d.alert, d.channel, d.digest) for d in group],
        )

    def failed(self, group: list[Delivery], why: str, now: float, next_try: float | None) -> None:
        self.db.executemany(
            "UPDATE deliveries SET state = 'failed', error = ?, next_try = ?, updated = ? "
            "WHERE alert = ? AND channel = ? AND digest = ?",
            [(why, next_try, now, d.alert, d.channel, d.digest) for d in group],
        )

    # --- what the web shows ------------------------------------------------------------------

    def states(self, last_alerts: int) -> dict[int, list[dict]]:
        """{alert: [{channel, state, level, error, at, due, next_try}]} for the newest alerts."""
        out: dict[int, list[dict]] = {}
        for alert, channel, level, digest, state, error, updated, due, next_try in self.db.execute(
            "SELECT alert, channel, level, digest, state, error, updated, due, next_try FROM deliveries "
            "WHERE alert >= (SELECT coalesce(min(alert), 0) FROM "
            "(SELECT alert FROM alerts ORDER BY alert DESC LIMIT ?)) ORDER BY alert, digest, level, channel",
            (last_alerts,),
        ):
            out.setdefault(alert, []).append(
                {
                    "channel": channel,
                    "level": level,
                    "digest": bool(digest),
                    "state": state,
                    "error": error,
                    "at": updated,
                    "due": due,
                    "next_try": next_try,
                }
            )
        return out

    def close(self) -> None:
        self.db.close()


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, kind, value, tb) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
