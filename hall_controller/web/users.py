"""The people who may use the management web, and the web's own audit trail.

Why a store of its own (not the journal): users and logins are not hall events, and a user
removed must be gone, not replayed. Changes to the hall made through the web are journalled by
the engine (with who and when); this store records what the web itself does: users added,
removed or given a new password, logins, failed logins, logouts.

SQLite in WAL mode, created 0600 (it holds password hashes); a short connection per operation,
so the `hall user` command and the running controller can share the file. Passwords are hashed
with argon2id (argon2-cffi); a hash made with weaker parameters than today's is replaced at the
next successful login. There is no default account: with no users nobody can log in, and the
login page says to run `hall user add`.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import argon2

from hall import clock as hall_clock
from hall_controller.web.passwords import DamagedHash, Passwords

ROLES = ("viewer", "supervisor", "admin")
RANK = {role: n for n, role in enumerate(ROLES)}
NAME = re.compile(r"^[\w.@-]{1,32}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024


class UserError(ValueError):
    """A request about users that cannot be carried out; the message says why, in one sentence."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    created_at: float
    changed_at: float

    def may(self, role: str) -> bool:
        """Has this user at least the rights of `role` (viewer < supervisor < admin)?"""
        return RANK[self.role] >= RANK[role]


@dataclass(frozen=True)
class AuditRow:
    at: float
    who: str  # the user acting ("cli:<login>" for the command line), or the name tried
    action: str  # user_added, user_removed, password_changed, login, login_failed, login_blocked, logout
    subject: str  # the user acted upon ("" when none)
    address: str  # the client address, "" for the command line


class UsersStore:
    def __init__(self, path: str | Path, *, clock=hall_clock.now, hasher: argon2.PasswordHasher | None = None):
        self.path = Path(path)
        self.clock = clock
        self.passwords = Passwords(hasher, MAX_PASSWORD)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except OSError as e:
            raise UserError(f"cannot create the users file {self.path}: {e.strerror or e}") from None
        try:
            with self._db() as db:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, role TEXT NOT NULL, "
                    "hash TEXT NOT NULL, created_at REAL NOT NULL, changed_at REAL NOT NULL)"
                )
                db.execute(
                    "CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, at REAL NOT NULL, "
                    "who TEXT NOT NULL, action TEXT NOT NULL, subject TEXT NOT NULL, address TEXT NOT NULL)"
                )
        except sqlite3.DatabaseError as e:
            raise UserError(f"{self.path} is not a users file: {e}") from None

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, isolation_level=None, timeout=5)
        try:
            yield db
        finally:
            db.close()

    # --- users ------------------------------------------------------------------------------

    def add(self, name: str, role: str, password: str, *, by: str, address: str = "") -> User:
        check_name(name)
        check_role(role)
        check_password(password)
        digest = self.passwords.hash(password)
        now = self.clock()
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                if db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                    raise UserError(f"there is already a user {name!r}")
                db.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?)", (name, role, digest, now, now))
                self._audit(db, by, "user_added", f"{name} ({role})", address)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return User(name, role, now, now)

    def remove(self, name: str, *, by: str, address: str = "") -> None:
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                if db.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount == 0:
                    raise UserError(f"there is no user {name!r}")
                self._audit(db, by, "user_removed", name, address)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def set_password(self, name: str, password: str, *, by: str, address: str = "") -> None:
        check_password(password)
        digest = self.passwords.hash(password)
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                if (
                    db.execute(
                        "UPDATE users SET hash = ?, changed_at = ? WHERE name = ?", (digest, self.clock(), name)
                    ).rowcount
                    == 0
                ):
                    raise UserError(f"there is no user {name!r}")
                self._audit(db, by, "password_changed", name, address)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def get(self, name: str) -> User | None:
        with self._db() as db:
            row = db.execute("SELECT name, role, created_at, changed_at FROM users WHERE name = ?", (name,)).fetchone()
        return User(*row) if row else None

    def users(self) -> list[User]:
        with self._db() as db:
            return [
                User(*row) for row in db.execute("SELECT name, role, created_at, changed_at FROM users ORDER BY name")
            ]

    def count(self) -> int:
        with self._db() as db:
            return db.execute("SELECT count(*) FROM users").fetchone()[0]

    def verify(self, name: str, password: str) -> User | None:
        """The user if `password` is theirs, else None. Takes as long for an unknown name as for a
        wrong password, so the answer's timing does not tell which names exist."""
        with self._db() as db:
            row = db.execute(
                "SELECT name, role, created_at, changed_at, hash FROM users WHERE name = ?", (name,)
            ).fetchone()
        try:
            checked = self.passwords.check(None if row is None else row[4], password)
        except DamagedHash:
            raise UserError(
                f"the stored password of {name!r} is damaged; set a new one with `hall user passwd`"
            ) from None
        if not checked.ok:
            return None
        if checked.rehash is not None:
            with self._db() as db:
                db.execute("UPDATE users SET hash = ? WHERE name = ? AND hash = ?", (checked.rehash, name, row[4]))
        return User(*row[:4])

    # --- audit ------------------------------------------------------------------------------

    def audit(self, who: str, action: str, subject: str = "", address: str = "") -> None:
        with self._db() as db:
            self._audit(db, who, action, subject, address)

    def _audit(self, db: sqlite3.Connection, who: str, action: str, subject: str, address: str) -> None:
        db.execute(
            "INSERT INTO audit (at, who, action, subject, address) VALUES (?, ?, ?, ?, ?)",
            (self.clock(), who, action, subject, address),
        )

    def audit_rows(self, limit: int = 200) -> list[AuditRow]:
        """The newest rows first."""
        with self._db() as db:
            return [
                AuditRow(*row)
                for row in db.execute(
                    "SELECT at, who, action, subject, address FROM audit ORDER BY seq DESC LIMIT ?", (limit,)
                )
            ]


def check_name(name: str) -> None:
    if not NAME.match(name):
        raise UserError("a user name is 1 to 32 letters, digits or . _ @ -")


def check_role(role: str) -> None:
    if role not in ROLES:
        raise UserError(f"a role is one of {', '.join(ROLES)}, not {role!r}")


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password has at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"a password has at most {MAX_PASSWORD} characters")
    if not password.strip():
        raise UserError("a password cannot be only spaces")
