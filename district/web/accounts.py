"""The people who may use the district web, in the district's PostgreSQL (migration 0100).

Roles are the hall web's (viewer < supervisor < admin) with a scope: a user with no hall has
the role over every hall of the district; a user of one hall (`hall_id`) sees that hall only,
on every page, in every CSV and every live stream, and cannot be admin. Passwords are argon2id
(argon2-cffi, as in the hall web); there is no default account: `hall district user add`.

A short connection per operation, as the hall web's SQLite store does: the command line and
the running web share the table, and a user removed is gone at the next request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import argon2
import psycopg

from district import pg
from hall import clock as hall_clock
from hall_controller.web.passwords import DamagedHash, Passwords
from hall_controller.web.users import RANK, ROLES, AuditRow, UserError, check_name, check_password, check_role


class AccountsUnavailable(UserError):
    """The district database does not answer (the web answers 503; the command line says so)."""


@dataclass(frozen=True)
class DistrictUser:
    name: str
    role: str
    hall: str | None  # None: every hall of the district
    created_at: float
    changed_at: float

    def may(self, role: str) -> bool:
        """At least the rights of `role` (viewer < supervisor < admin), over what this user sees."""
        return RANK[self.role] >= RANK[role]

    def sees(self, hall: str) -> bool:
        return self.hall is None or self.hall == hall

    def visible(self, halls):
        """Of `halls` (ids), those this user may see, in the same order."""
        return [h for h in halls if self.sees(h)]

    @property
    def scope(self) -> str:
        return "district" if self.hall is None else self.hall


class Accounts:
    def __init__(self, dsn: str, *, clock=hall_clock.now, hasher: argon2.PasswordHasher | None = None):
        self.dsn = dsn
        self.clock = clock
        self.passwords = Passwords(hasher)

    @contextmanager
    def _db(self) -> Iterator[psycopg.Connection]:
        try:
            conn = pg.connect(self.dsn, autocommit=True)
        except pg.DistrictError as e:
            raise AccountsUnavailable(str(e)) from None
        try:
            yield conn
        finally:
            conn.close()

    def add(
        self, name: str, role: str, password: str, *, hall: str | None = None, by: str, address: str = ""
    ) -> DistrictUser:
        check_name(name)
        check_role(role)
        check_password(password)
        if hall is not None and role == "admin":
            raise UserError("an admin manages the whole district; a hall's user is a viewer or a supervisor")
        digest = self.passwords.hash(password)
        now = self.clock()
        with self._db() as db, db.transaction():
            if (
                hall is not None
                and not db.execute("SELECT 1 FROM district.halls WHERE hall_id = %s", (hall,)).fetchone()
            ):
                raise UserError(f"the district has no hall {hall!r} (add it first)")
            inserted = db.execute(
                "INSERT INTO district.web_users VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (name) DO NOTHING",
                (name, role, hall, digest, now, now),
            ).rowcount
            if not inserted:
                raise UserError(f"there is already a user {name!r}")
            self._audit(db, by, "user_added", f"{name} ({role}{'' if hall is None else ' of ' + hall})", address)
        return DistrictUser(name, role, hall, now, now)

    def remove(self, name: str, *, by: str, address: str = "") -> None:
        with self._db() as db, db.transaction():
            if db.execute("DELETE FROM district.web_users WHERE name = %s", (name,)).rowcount == 0:
                raise UserError(f"there is no user {name!r}")
            self._audit(db, by, "user_removed", name, address)

    def set_password(self, name: str, password: str, *, by: str, address: str = "") -> None:
        check_password(password)
        digest = self.passwords.hash(password)
        with self._db() as db, db.transaction():
            if (
                db.execute(
                    "UPDATE district.web_users SET hash = %s, changed_at = %s WHERE name = %s",
                    (digest, self.clock(), name),
                ).rowcount
                == 0
            ):
                raise UserError(f"there is no user {name!r}")
            self._audit(db, by, "password_changed", name, address)

    def get(self, name: str) -> DistrictUser | None:
        with self._db() as db:
            row = db.execute(
                "SELECT name, role, hall_id, created_at, changed_at FROM district.web_users WHERE name = %s", (name,)
            ).fetchone()
        return DistrictUser(*row) if row else None

    def users(self) -> list[DistrictUser]:
        with self._db() as db:
            return [
                DistrictUser(*row)
                for row in db.execute(
                    "SELECT name, role, hall_id, created_at, changed_at FROM district.web_users ORDER BY name"
                )
            ]

    def count(self) -> int:
        with self._db() as db:
            return db.execute("SELECT count(*) FROM district.web_users").fetchone()[0]

    def verify(self, name: str, password: str) -> DistrictUser | None:
        """The user if `password` is theirs, else None; as slow for an unknown name as for a wrong
        password, so timing does not tell which names exist."""
        with self._db() as db:
            row = db.execute(
                "SELECT name, role, hall_id, created_at, changed_at, hash FROM district.web_users WHERE name = %s",
                (name,),
            ).fetchone()
        try:
            checked = self.passwords.check(None if row is None else row[5], password)
        except DamagedHash:
            raise UserError(
                f"the stored password of {name!r} is damaged; set a new one with `hall district user passwd`"
            ) from None
        if not checked.ok:
            return None
        if checked.rehash is not None:
            with self._db() as db:
                db.execute(
                    "UPDATE district.web_users SET hash = %s WHERE name = %s AND hash = %s",
                    (checked.rehash, name, row[5]),
                )
        return DistrictUser(*row[:5])

    def audit(self, who: str, action: str, subject: str = "", address: str = "") -> None:
        with self._db() as db:
            self._audit(db, who, action, subject, address)

    def _audit(self, db: psycopg.Connection, who: str, action: str, subject: str, address: str) -> None:
        db.execute(
            "INSERT INTO district.web_audit (at, who, action, subject, address) VALUES (%s, %s, %s, %s, %s)",
            (self.clock(), who, action, subject, address),
        )

    def audit_rows(self, limit: int = 200) -> list[AuditRow]:
        with self._db() as db:
            return [
                AuditRow(*row)
                for row in db.execute(
                    "SELECT at, who, action, subject, address FROM district.web_audit ORDER BY seq DESC LIMIT %s",
                    (limit,),
                )
            ]


__all__ = ["Accounts", "AccountsUnavailable", "DistrictUser", "ROLES", "UserError"]
