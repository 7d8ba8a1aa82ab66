"""Checking a password against its stored argon2id hash, for the hall web's users and the district
web's accounts alike (each keeps its own store; the checking is the same).

`check` takes as long for an unknown name as for a wrong password (it verifies against a dummy
hash), so the answer's timing does not tell which names exist; a hash made with weaker parameters
than today's is to be replaced (`Checked.rehash`), which the store does in its own table.
"""

from __future__ import annotations

from dataclasses import dataclass

import argon2

_DUMMY_PASSWORD = "not a password of anyone here"


class DamagedHash(Exception):
    """The stored hash cannot be read: only a new password mends it."""


@dataclass(frozen=True)
class Checked:
    ok: bool
    rehash: str | None = None  # the password hashed anew, when the stored hash is outdated


class Passwords:
    def __init__(self, hasher: argon2.PasswordHasher | None = None, max_length: int = 1024):
        self.hasher = hasher or argon2.PasswordHasher()
        self.max_length = max_length
        self._dummy_hash: str | None = None

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def check(self, stored: str | None, password: str) -> Checked:
        """`stored` is None for a name nobody has: it is refused after as much work as a real one."""
        if stored is None or len(password) > self.max_length:
            self._waste_time(password[: self.max_length])
            return Checked(False)
        try:
            self.hasher.verify(stored, password)
        except argon2.exceptions.VerificationError:
            return Checked(False)
        except argon2.exceptions.InvalidHashError:
            raise DamagedHash from None
        return Checked(True, self.hasher.hash(password) if self.hasher.check_needs_rehash(stored) else None)

    def _waste_time(self, password: str) -> None:
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(_DUMMY_PASSWORD)
        try:
            self.hasher.verify(self._dummy_hash, password)
        except argon2.exceptions.VerificationError:
            pass
