"""Rollups: a batch of a hall's events turned into sums per day × hour × service × counter × clerk.

The sums are the hall's own report's (hall_controller/reports/tally.py, docs/reports.md), counted
the same way so that a district report of a hall agrees with `hall report` on the same journal:
a ticket counts as taken at its local hour (an offline ticket at the time it was taken at the
kiosk), its wait is from taking it to its first call (0 if called before, for an appointment) and
counts at the counter that called it and the clerk signed in there; a transfer and a no-show
count once per ticket; a ticket served and a rating count at their counter and clerk.

Why keep a little state (`Rollup.state`): a call's wait needs the time its ticket was taken,
maybe many batches earlier, and a call's clerk is whoever signed in at that counter. The state is
the open tickets and the signed-in clerks, pure JSON, stored with the high-water mark in the same
transaction as the sums, so a shipper restarted anywhere continues exactly. Tickets are forgotten
as the engine forgets them (done, voided, or expired at their service's day start), and in any
case a week after they were taken, so the state stays the size of a day's open tickets.

Pure: no I/O, time zone and targets passed in.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import math
import zoneinfo
from typing import Any

#: upper edges of the wait histogram's buckets, seconds: 30 s steps to 5 min, 1 min steps to
#: 20 min, 5 min steps to 1 h, 15 min steps to 2 h; the last bucket holds waits of 2 h or more
WAIT_EDGES_S = (*range(30, 301, 30), *range(360, 1201, 60), *range(1500, 3601, 300), *range(4500, 7201, 900))
BUCKETS = len(WAIT_EDGES_S) + 1
HIST = tuple(f"h{i:02d}" for i in range(BUCKETS))
#: the sums of one rollup row, in column order (district.rollups and district.rollups_daily)
SUMS = (
    "tickets",
    "voided",
    "served",
    "no_shows",
    "transfers",
    "r1",
    "r2",
    "r3",
    "r4",
    "wait_n",
    "wait_s",
    "within",
    "service_s",
    *HIST,
)
TICKETS, VOIDED, SERVED, NO_SHOWS, TRANSFERS, R1 = range(6)
WAIT_N, WAIT_S, WITHIN, SERVICE_S, H0 = 9, 10, 11, 12, 13
FORGET_AFTER_S = 7 * 24 * 3600

# a ticket's state, as much as the rollups need (enough to forget the right tickets at day start)
RESERVED, WAITING, CALLED, SERVING, HELD, NO_SHOW = range(6)
FORGET_AT_RESET = (RESERVED, WAITING, NO_SHOW)
# a ticket in the state: [service, taken at, called?, state, no-show counted?, transfer counted?]
SERVICE, SINCE, WAS_CALLED, STATE, NS_COUNTED, TR_COUNTED = range(6)

Key = tuple[str, int, str, int, str]  # (local date, local hour, service, counter, clerk)


class Rollup:
    """`r = Rollup(tz, targets, state)`; `r.take(type, fields)` for each event in journal order;
    then `r.rows` (sums by key) and `r.state` (to store with the high-water mark)."""

    def __init__(self, timezone: str, targets: dict[str, float], state: dict[str, Any] | None = None):
        self.tz = zoneinfo.ZoneInfo(timezone)
        self.targets = targets
        state = state or {}
        self.tickets: dict[str, list] = state.get("tickets", {})
        self.clerks: dict[str, str] = state.get("clerks", {})  # counter (as text, JSON keys) -> clerk
        self.rows: dict[Key, list] = {}
        self._lo = self._hi = -math.inf
        self._day, self._hour = "", 0
        self.last_at = state.get("last_at", 0.0)
        self._on = {
            "ServiceDayStarted": self._day_started,
            "TicketReserved": self._reserved,
            "TicketIssuedOffline": self._issued_offline,
            "TicketPrinted": self._waiting,
            "TicketRequeued": self._waiting,
            "TicketReinstated": self._waiting,
            "TicketVoided": self._voided,
            "TicketCalled": self._called,
            "TicketTransferred": self._transferred,
            "TicketNoShow": self._no_show,
            "ServiceStarted": self._serving,
            "TicketResumed": self._serving,
            "TicketHeld": self._held,
            "TicketDone": self._done,
            "RatingRecorded": self._rated,
            "CounterOpened": self._opened,
            "CounterClosed": self._closed,
        }

    @property
    def state(self) -> dict[str, Any]:
        horizon = self.last_at - FORGET_AFTER_S
        stale = [tid for tid, t in self.tickets.items() if t[SINCE] < horizon]
        for tid in stale:
            del self.tickets[tid]
        return {"tickets": self.tickets, "clerks": self.clerks, "last_at": self.last_at}

    def take(self, kind: str, f: list) -> None:
        on = self._on.get(kind)
        if on is not None:
            on(f)
        if f[0] > self.last_at:
            self.last_at = f[0]

    # --- the rows ---------------------------------------------------------------------------

    def _row(self, at: float, service: str | None, counter: int | None, clerk: str | None) -> list:
        if not self._lo <= at < self._hi:
            local = dt.datetime.fromtimestamp(at, self.tz)
            into = (at + local.utcoffset().total_seconds()) % 3600
            self._lo, self._hi = at - into, at - into + 3600
            self._day, self._hour = local.date().isoformat(), local.hour
        key = (self._day, self._hour, service or "", counter or 0, clerk or "")
        row = self.rows.get(key)
        if row is None:
            row = self.rows[key] = [0] * len(SUMS)
            row[WAIT_S] = row[SERVICE_S] = 0.0
        return row

    def _clerk(self, counter: int, clerk: str | None = None) -> str | None:
        return clerk if clerk is not None else self.clerks.get(str(counter))

    # --- tickets ----------------------------------------------------------------------------

    def _day_started(self, f: list) -> None:  # at, service, day[, carry_over_s]
        service, at = f[1], f[0]
        carry_over_s = f[3] if len(f) > 3 else 0.0  # a ticket taken shortly before the reset waits on
        gone = [
            tid
            for tid, t in self.tickets.items()
            if t[SERVICE] == service
            and t[STATE] in FORGET_AT_RESET
            and not (t[STATE] == WAITING and at - t[SINCE] <= carry_over_s)
        ]
        for tid in gone:
            del self.tickets[tid]

    def _reserved(self, f: list) -> None:  # at, ticket, label, service, number, klass, seq, since, ...
        self.tickets[f[1]] = [f[3], f[7], 0, RESERVED, 0, 0]
        self._row(f[0], f[3], None, None)[TICKETS] += 1

    def _issued_offline(self, f: list) -> None:
        self.tickets[f[1]] = [f[3], f[7], 0, WAITING, 0, 0]
        self._row(f[7], f[3], None, None)[TICKETS] += 1  # taken at the kiosk then, reported later

    def _waiting(self, f: list) -> None:
        t = self.tickets.get(f[1])
        if t is not None:
            t[STATE] = WAITING

    def _voided(self, f: list) -> None:
        t = self.tickets.pop(f[1], None)
        self._row(f[0], t and t[SERVICE], None, None)[VOIDED] += 1

    def _called(self, f: list) -> None:  # at, ticket, label, service, counter, call_seq
        t = self.tickets.get(f[1])
        if t is None:
            return
        t[STATE] = CALLED
        if t[WAS_CALLED]:
            return  # called again after a transfer or reinstatement
        t[WAS_CALLED] = 1
        at, service, counter = f[0], f[3], f[4]
        wait = max(0.0, at - t[SINCE])
        row = self._row(at, service, counter, self._clerk(counter))
        row[WAIT_N] += 1
        row[WAIT_S] += wait
        target = self.targets.get(service)
        if target is not None and wait <= target:
            row[WITHIN] += 1
        row[H0 + bisect.bisect_right(WAIT_EDGES_S, wait)] += 1

    def _transferred(self, f: list) -> None:  # at, ticket, counter, to_service, to_counter, served_s
        t = self.tickets.get(f[1])
        origin = None
        if t is not None:
            origin, t[SERVICE], t[STATE] = t[SERVICE], f[3], WAITING
            if t[TR_COUNTED]:
                return
            t[TR_COUNTED] = 1
        self._row(f[0], origin, f[2], self._clerk(f[2]))[TRANSFERS] += 1

    def _no_show(self, f: list) -> None:  # at, ticket, counter, automatic
        t = self.tickets.get(f[1])
        if t is not None:
            t[STATE] = NO_SHOW
            if t[NS_COUNTED]:
                return
            t[NS_COUNTED] = 1
        self._row(f[0], t and t[SERVICE], f[2], self._clerk(f[2]))[NO_SHOWS] += 1

    def _serving(self, f: list) -> None:
        t = self.tickets.get(f[1])
        if t is not None:
            t[STATE] = SERVING

    def _held(self, f: list) -> None:
        t = self.tickets.get(f[1])
        if t is not None:
            t[STATE] = HELD

    def _done(self, f: list) -> None:  # at, ticket, counter, clerk, service, outcome, served_s, waited_s
        self.tickets.pop(f[1], None)
        row = self._row(f[0], f[4], f[2], self._clerk(f[2], f[3]))
        row[SERVED] += 1
        row[SERVICE_S] += f[6]

    def _rated(self, f: list) -> None:  # at, prompt, ticket, counter, clerk, service, level, pressed_at
        self._row(f[0], f[5], f[3], self._clerk(f[3], f[4]))[R1 + f[6] - 1] += 1

    # --- counters ---------------------------------------------------------------------------

    def _opened(self, f: list) -> None:
        self.clerks[str(f[1])] = f[2]

    def _closed(self, f: list) -> None:
        self.clerks.pop(str(f[1]), None)

    # --- reading ------------------------------------------------------------------------------

    def daily(self) -> dict[tuple[str, str], list]:
        """The same sums per (local date, service)."""
        return _summed(((day, service), row) for (day, _, service, _, _), row in self.rows.items())

    def desk(self) -> dict[tuple[str, str, int, str], list]:
        """The same sums per (local date, service, counter, clerk): the hour summed away."""
        return _summed(
            ((day, service, counter, clerk), row) for (day, _, service, counter, clerk), row in self.rows.items()
        )


def _summed(keyed) -> dict:
    out: dict = {}
    for key, row in keyed:
        total = out.get(key)
        if total is None:
            out[key] = list(row)
        else:
            for i, v in enumerate(row):
                total[i] += v
    return out


def state_json(state: dict[str, Any]) -> str:
    return json.dumps(state, ensure_ascii=False, separators=(",", ":"))


def percentile(histogram: list[int], p: float) -> float | None:
    """The p-th percentile of the waits counted in `histogram` (linear within the bucket it falls
    in; the last, open bucket reports its lower edge)."""
    n = sum(histogram)
    if n == 0:
        return None
    rank = max(1, math.ceil(p * n))
    seen = 0
    for i, count in enumerate(histogram):
        if seen + count >= rank:
            lo = 0.0 if i == 0 else float(WAIT_EDGES_S[i - 1])
            if i == len(WAIT_EDGES_S):
                return lo
            hi = float(WAIT_EDGES_S[i])
            return lo + (hi - lo) * (rank - seen) / count
        seen += count
    return float(WAIT_EDGES_S[-1])
