"""Who is logged in, for how long, and who may try again: sessions and login throttling.

Sessions live in the controller's memory (a restart logs everyone out, which is fine for a hall
office). The cookie carries only a random id. A session ends after `idle_s` without a request
from its user (30 minutes by default: a screen left logged in at a counter locks itself), and
after `max_s` whatever happens (12 hours: one working day). Each session has its own CSRF token,
which every form and every POST must carry.

Failed logins are counted per client address and per address-and-name over a sliding window;
past a limit, further attempts from that address are refused before any password is checked (so
guessing costs time, not just CPU), and the refusal says when to try again. Never per name
alone: then anyone who can reach the login could lock a supervisor out for everyone by typing
wrong passwords for her name. A guesser spread over many addresses is slowed by argon2 and by
the staff web not being reachable from the citizens' network at all (`--public-web`).

The clock is injected: tests move time instead of waiting for it.
"""

from __future__ import annotations

import hmac
import secrets
from collections import deque
from dataclasses import dataclass, field

from hall import clock as hall_clock

IDLE_S = 30 * 60
MAX_S = 12 * 3600
FAILED_WINDOW_S = 15 * 60
FAILED_PER_NAME = 5
FAILED_PER_ADDRESS = 20


@dataclass(eq=False)
class Session:
    id: str
    user: str
    csrf: str
    created_at: float
    seen_at: float
    flash: list[tuple[str, str]] = field(default_factory=list)  # (kind "ok"|"error", sentence)

    def say(self, kind: str, sentence: str) -> None:
        """A message for the next page this user sees (after a form's redirect)."""
        self.flash.append((kind, sentence))

    def take_flash(self) -> list[tuple[str, str]]:
        out, self.flash = self.flash, []
        return out

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf.encode(), token.encode())


class Sessions:
    def __init__(self, *, clock=hall_clock.now, idle_s: float = IDLE_S, max_s: float = MAX_S):
        self.clock = clock
        self.idle_s = idle_s
        self.max_s = max_s
        self._by_id: dict[str, Session] = {}

    def open(self, user: str) -> Session:
        now = self.clock()
        self._forget_expired(now)
        session = Session(secrets.token_urlsafe(32), user, secrets.token_urlsafe(32), now, now)
        self._by_id[session.id] = session
        return session

    def get(self, session_id: str | None, *, touch: bool = True) -> Session | None:
        """The live session with this id, or None (unknown or expired). `touch`: this request is
        the user's own doing and restarts the idle time (a live stream's wait does not)."""
        if not session_id:
            return None
        session = self._by_id.get(session_id)
        if session is None:
            return None
        now = self.clock()
        if self.expired(session, now):
            del self._by_id[session_id]
            return None
        if touch:
            session.seen_at = now
        return session

    def expired(self, session: Session, now: float | None = None) -> bool:
        now = self.clock() if now is None else now
        return now - session.seen_at > self.idle_s or now - session.created_at > self.max_s

    def close(self, session_id: str) -> None:
        self._by_id.pop(session_id, None)

    def close_user(self, user: str) -> None:
        """End every session of `user` (removed, or given a new password)."""
        for sid in [sid for sid, s in self._by_id.items() if s.user == user]:
            del self._by_id[sid]

    def _forget_expired(self, now: float) -> None:
        for sid in [sid for sid, s in self._by_id.items() if self.expired(s, now)]:
            del self._by_id[sid]

    def __len__(self) -> int:
        return len(self._by_id)


class LoginThrottle:
    """Failed logins per address and per address-and-name in the last `window_s`; past a limit, wait."""

    def __init__(
        self,
        *,
        clock=hall_clock.now,
        window_s: float = FAILED_WINDOW_S,
        per_name: int = FAILED_PER_NAME,
        per_address: int = FAILED_PER_ADDRESS,
    ):
        self.clock = clock
        self.window_s = window_s
        self.limits = {"pair": per_name, "address": per_address}  # per_name: tries of one name from one address
        self._failures: dict[tuple[str, str], deque[float]] = {}

    @staticmethod
    def _keys(name: str, address: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("pair", f"{address}\0{name}"), ("address", address)

    def wait_s(self, name: str, address: str) -> float:
        """Seconds until this name may be tried again from this address (0: now)."""
        now = self.clock()
        wait = 0.0
        for key in self._keys(name, address):
            times = self._recent(key, now)
            if len(times) >= self.limits[key[0]]:
                wait = max(wait, times[0] + self.window_s - now)
        return wait

    def failed(self, name: str, address: str) -> None:
        now = self.clock()
        for key in self._keys(name, address):
            self._recent(key, now).append(now)

    def succeeded(self, name: str, address: str | None = None) -> None:
        """A right password: forget this name's failures from `address` (from everywhere if None)."""
        if address is not None:
            self._failures.pop(self._keys(name, address)[0], None)
            return
        for key in [k for k in self._failures if k[0] == "pair" and k[1].endswith("\0" + name)]:
            del self._failures[key]

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if len(self._failures) > 10_000:  # a flood of made-up names: forget the empty ones
            for k in [k for k, v in self._failures.items() if not v and k != key]:
                del self._failures[k]
        return times
