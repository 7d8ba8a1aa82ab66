"""The tally: one pass over the engine's events, counting what the reports and the day simulation need.

Every figure of the hall (how many tickets, how long they waited, how citizens rated) comes from
the events the engine emitted, never from anyone's own notes: the journal holds them, so a report
of last month is as exact as the live board. The same tally runs in three places: `report()` over
events read from the journal, `hall simulate` over the events of a simulated day as they happen
(it also asks the tally how many wait, as a clerk glances at the keypad), and the tests.

A tally counts one period, `start <= t < end`. Events before `start` are still taken, to learn
the state the period begins in (a ticket taken at 8:55 and called at 9:05 has waited ten minutes;
clerk S103 was already signed in at counter 3); events after `end` are taken too and count for
nothing, except a ticket issued offline inside the period and reported after it.

Each thing counted (a ticket taken, a first call, a ticket served, a rating) is counted once in
the overall row and once in each row it belongs to: its service, its class, its local date, and,
when it happened at a counter, that counter and the clerk signed in there. docs/reports.md
defines every figure; `Counts` holds the running sums of one row.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import deque
from collections.abc import Iterable

from hall.config import Hall
from hall_controller.engine import events as ev

DONE_KEEP_S = 24 * 3600  # a rating may arrive this long after its ticket was done (the engine's limit)

# what the tally knows of a ticket's state (enough to forget the right tickets when a day ends)
RESERVED, WAITING, CALLED, SERVING, HELD, NO_SHOW = range(6)
# forgotten when their service's day ends (the engine expires them). Called and held tickets
# expire too, but a report does not read whether service started, so those stay until done; the
# few the engine expires at a counter at the reset hour are kept, and cost a few bytes
FORGET_AT_RESET = (RESERVED, WAITING, NO_SHOW)


#: what the report counts of priority: given on the citizen's word at a "self" kiosk, asked for at a
#: "staff" kiosk, and confirmed or refused by staff (a clerk's keypad or a supervisor on the web)
PRIORITY_COUNTS = ("self", "asked", "confirmed", "refused")


class Counts:
    """The running sums of one report row (one service, counter, clerk, day or class)."""

    __slots__ = (
        "issued",
        "served",
        "no_shows",
        "transfers",
        "voided",
        "levels",
        "waits",
        "within",
        "timed",
        "service_s",
        "promised",
        "promise_abs",
        "promise_err",
        "promised_waits",
    )

    def __init__(self) -> None:
        self.issued = self.served = self.no_shows = self.transfers = self.voided = 0
        self.levels = [0, 0, 0, 0, 0]  # index = level (1 不满意 … 4 非常满意); index 0 unused
        self.waits: list[float] = []  # seconds from taking the ticket to its first call
        self.within = 0  # of `timed`, called within the service's target
        self.timed = 0  # waits whose service has a target (every service in the hall file)
        self.service_s = 0.0  # serving time of the served tickets, summed
        # the wait printed on tickets against the wait they had (tickets printed with a figure)
        self.promised = 0  # how many
        self.promise_abs = 0.0  # sum of |printed - actual|
        self.promise_err = 0.0  # sum of (printed - actual): above 0, the hall promised too long
        self.promised_waits = 0.0  # sum of their actual waits


def ewt_figures(rows: dict[str, Counts] | None, overall: Counts) -> dict:
    """How well the wait printed on tickets held: mean absolute error, the mean actual wait of
    the same tickets, their ratio, and the bias (above 0: waits were shorter than printed)."""

    def one(c: Counts) -> dict:
        n = c.promised
        if not n:
            return {"tickets": 0, "mae_s": None, "mean_wait_s": None, "relative_mae": None, "bias_s": None}
        return {
            "tickets": n,
            "mae_s": round(c.promise_abs / n, 1),
            "mean_wait_s": round(c.promised_waits / n, 1),
            "relative_mae": round(c.promise_abs / c.promised_waits, 4) if c.promised_waits else None,
            "bias_s": round(c.promise_err / n, 1),
        }

    out = one(overall)
    if rows is not None:
        out["by_service"] = {k: one(c) for k, c in rows.items() if c.promised}
    return out


class _Ticket:
    __slots__ = ("service", "klass", "since", "promised", "called", "state", "counted")

    def __init__(self, service: str, klass: str, since: float, promised: float | None, state: int):
        self.service = service
        self.klass = klass
        self.since = since
        self.promised = promised
        self.called = False
        self.state = state
        self.counted: set[tuple[str, int]] | None = None  # ("transfer"|"no_show", id(row)) already counted


class _LocalHour:
    """The local date and hour of an instant, remembered for the hour it is in: events come in
    order, so the time zone is consulted about once an hour of events, not once an event."""

    __slots__ = ("tz", "lo", "hi", "date", "hour")

    def __init__(self, tz: dt.tzinfo):
        self.tz = tz
        self.lo = self.hi = -math.inf
        self.date, self.hour = "", 0

    def at(self, t: float) -> tuple[str, int]:
        if not self.lo <= t < self.hi:
            local = dt.datetime.fromtimestamp(t, self.tz)
            into = (t + local.utcoffset().total_seconds()) % 3600
            self.lo, self.hi = t - into, t - into + 3600
            self.date, self.hour = local.date().isoformat(), local.hour
        return self.date, self.hour


class Tally:
    """Take events in journal order with `take(event)`; read the rows and totals afterwards.

    Rows: `overall`, and `by_service`, `by_class`, `by_day` (local "2026-03-17"), `by_hour` (local
    hour of day, 0-23: a wait counts in the hour of its call, a rating in the hour it was pressed),
    `by_counter`, `by_clerk`, each a dict of `Counts`. Also, for staffing and the simulation: `taken_by_hour`,
    `open_by_hour` (counter-seconds signed in and not paused, by local hour), `active_days`, the
    open and busy seconds of each counter, the clerks who signed in at each counter, the queue
    (`waiting` per service now, and its time integral), the error of the wait printed on tickets,
    `follow_ups` (every rating of 2 一般 or 1 不满意), and `priority`: priority tickets given at
    the kiosk on the citizen's word ("self"), asked for where staff confirm it ("asked"), and the
    staff's decisions ("confirmed", "refused"), each counted when it happened within the period.
    A confirmed ticket keeps the class it was issued in (normal) in the other rows.
    """

    def __init__(self, hall: Hall, start: float, end: float = math.inf):
        self.hall = hall
        self.start, self.end = start, end
        self.target = {s.id: s.target_wait_s for s in hall.services.values()}
        self.clock = _LocalHour(hall.tz)
        self.overall = Counts()
        self.by_service: dict[str, Counts] = {s: Counts() for s in hall.services}
        self.by_class: dict[str, Counts] = {}
        self.by_day: dict[str, Counts] = {}
        self.by_counter: dict[int, Counts] = {}
        self.by_clerk: dict[str, Counts] = {}
        self.by_hour: dict[int, Counts] = {}  # local hour of day (0-23), over every day of the period
        self._row_lists: dict[tuple, list[Counts]] = {}
        self.follow_ups: list[tuple[str, int, str | None, str, int, float]] = []
        self.priority = dict.fromkeys(PRIORITY_COUNTS, 0)
        self.prompted = 0
        self.promise_n = 0
        self.promise_abs = self.promise_sum = 0.0
        # staffing
        self.taken_by_hour = [0] * 24
        self.open_by_hour = [0.0] * 24
        self.active_days: set[str] = set()
        self.open_s = dict.fromkeys(hall.counters, 0.0)
        self.busy_s = dict.fromkeys(hall.counters, 0.0)
        self.open_since: dict[int, float] = {}
        self.busy_since: dict[int, float] = {}
        self.clerk_at: dict[int, str] = {}  # counter -> the clerk signed in now
        self.clerks: dict[int, list[str]] = {n: [] for n in hall.counters}  # sign-ins, in order
        # the queue over time (the mean number waiting; the simulated clerks read `waiting`)
        self.waiting = dict.fromkeys(hall.services, 0)
        self.queue_area, self.queue_n, self.queue_at = 0.0, 0, start
        # tickets still open, and tickets done whose rating may yet come (oldest first)
        self.tickets: dict[str, _Ticket] = {}
        self._done: dict[str, str | None] = {}  # ticket -> its class
        self._done_order: deque[tuple[float, str]] = deque()  # (done at, ticket), oldest first
        self._on = {
            ev.ServiceDayStarted: self._day_started,
            ev.TicketReserved: self._reserved,
            ev.TicketPrinted: self._printed,
            ev.TicketIssuedOffline: self._issued_offline,
            ev.TicketVoided: self._voided,
            ev.TicketCalled: self._called,
            ev.TicketRequeued: self._back_in_queue,
            ev.TicketReinstated: self._back_in_queue,
            ev.TicketTransferred: self._transferred,
            ev.TicketNoShow: self._no_show,
            ev.ServiceStarted: self._serving,
            ev.TicketResumed: self._serving,
            ev.TicketHeld: self._held,
            ev.TicketDone: self._done_event,
            ev.RatingPrompted: self._prompted,
            ev.RatingRecorded: self._rated,
            ev.CounterOpened: self._opened,
            ev.CounterResumed: self._opened,
            ev.CounterPaused: self._stopped,
            ev.CounterClosed: self._stopped,
            ev.PriorityRequested: self._priority_asked,
            ev.PriorityDecided: self._priority_decided,
        }

    def take(self, event) -> None:
        on = self._on.get(type(event))
        if on is not None:
            on(event)

    def take_all(self, events: Iterable) -> Tally:
        on = self._on
        for event in events:
            handler = on.get(type(event))
            if handler is not None:
                handler(event)
        return self

    # --- rows -------------------------------------------------------------------------------

    def _rows(
        self, at: float, service: str | None, klass: str | None, counter: int | None, clerk: str | None
    ) -> list[Counts]:
        """The rows a thing that happened at `at` counts in (remembered per combination: this
        runs for nearly every event, and a day has few combinations)."""
        clock = self.clock
        day, hour = (clock.date, clock.hour) if clock.lo <= at < clock.hi else clock.at(at)
        key = (service, klass, counter, clerk, day, hour)
        rows = self._row_lists.get(key)
        if rows is None:
            rows = self._row_lists[key] = [self.overall]
            for table, k in (
                (self.by_service, service),
                (self.by_class, klass),
                (self.by_counter, counter),
                (self.by_clerk, clerk),
                (self.by_day, day),
                (self.by_hour, hour),
            ):
                if k is not None:
                    rows.append(table.setdefault(k, Counts()))
        return rows

    def _once(self, t: _Ticket | None, what: str, rows: list[Counts]) -> list[Counts]:
        """The rows where this ticket has not yet counted for `what` (a transfer, a no-show)."""
        if t is None:
            return rows
        if t.counted is None:
            t.counted = set()
        fresh = [r for r in rows if (what, id(r)) not in t.counted]
        t.counted.update((what, id(r)) for r in fresh)
        return fresh

    # --- the queue ----------------------------------------------------------------------------

    def _queue(self, at: float, service: str, change: int) -> None:
        self.queue_area += self.queue_n * (at - self.queue_at)
        self.queue_at = at
        self.queue_n += change
        self.waiting[service] = self.waiting.get(service, 0) + change

    def _day_started(self, e: ev.ServiceDayStarted) -> None:
        # the reset expired whoever still waited, except those who took their ticket shortly before
        # (the engine's rule, engine/model.py `carries_over`)
        gone = [
            tid
            for tid, t in self.tickets.items()
            if t.service == e.service
            and t.state in FORGET_AT_RESET
            and not (t.state == WAITING and e.at - t.since <= e.carry_over_s)
        ]
        carried = sum(1 for t in self.tickets.values() if t.service == e.service and t.state == WAITING) - sum(
            1 for tid in gone if self.tickets[tid].state == WAITING
        )
        if self.waiting.get(e.service, 0) > carried:
            self._queue(e.at, e.service, carried - self.waiting[e.service])
        for tid in gone:
            del self.tickets[tid]

    # --- tickets ----------------------------------------------------------------------------

    def _taken(self, t: _Ticket, taken: float) -> None:
        if self.start <= taken < self.end:
            for row in self._rows(taken, t.service, t.klass, None, None):
                row.issued += 1
            day, hour = self.clock.at(taken)
            self.taken_by_hour[hour] += 1
            self.active_days.add(day)

    def _reserved(self, e: ev.TicketReserved) -> None:
        t = self.tickets[e.ticket] = _Ticket(e.service, e.klass, e.since, e.promised_wait_s, RESERVED)
        self._taken(t, e.at)
        if e.klass == "priority" and self.start <= e.at < self.end:
            self.priority["self"] += 1

    def _priority_asked(self, e: ev.PriorityRequested) -> None:
        if self.start <= e.at < self.end:
            self.priority["asked"] += 1

    def _priority_decided(self, e: ev.PriorityDecided) -> None:
        if self.start <= e.at < self.end:
            self.priority["confirmed" if e.confirmed else "refused"] += 1

    def _issued_offline(self, e: ev.TicketIssuedOffline) -> None:
        t = self.tickets[e.ticket] = _Ticket(e.service, e.klass, e.since, None, WAITING)
        self._taken(t, e.since)  # taken at the kiosk then, reported later
        if e.klass == "priority" and self.start <= e.since < self.end:
            self.priority["self"] += 1
        self._queue(e.at, e.service, 1)

    def _printed(self, e: ev.TicketPrinted) -> None:
        t = self.tickets.get(e.ticket)
        if t is not None:
            t.state = WAITING
            self._queue(e.at, t.service, 1)

    def _back_in_queue(self, e) -> None:
        t = self.tickets.get(e.ticket)
        if t is not None:
            t.state = WAITING
            self._queue(e.at, t.service, 1)

    def _voided(self, e: ev.TicketVoided) -> None:
        t = self.tickets.pop(e.ticket, None)
        if self.start <= e.at < self.end:
            for row in self._rows(e.at, t and t.service, t and t.klass, None, None):
                row.voided += 1

    def _called(self, e: ev.TicketCalled) -> None:
        self._queue(e.at, e.service, -1)
        t = self.tickets.get(e.ticket)
        if t is None:
            return  # taken before the tally's look-back
        t.state = CALLED
        if t.called:
            return  # called again after a transfer or reinstatement
        t.called = True
        if not self.start <= e.at < self.end:
            return
        wait = max(0.0, e.at - t.since)  # an appointment called before its slot waited 0
        target = self.target.get(e.service)
        within = target is not None and wait <= target
        promised = t.promised
        for row in self._rows(e.at, e.service, t.klass, e.counter, self.clerk_at.get(e.counter)):
            row.waits.append(wait)
            if target is not None:
                row.timed += 1
                row.within += within
            if promised is not None:
                row.promised += 1
                row.promise_abs += abs(promised - wait)
                row.promise_err += promised - wait
                row.promised_waits += wait
        if t.promised is not None:
            error = t.promised - wait
            self.promise_n += 1
            self.promise_sum += error
            self.promise_abs += abs(error)

    def _transferred(self, e: ev.TicketTransferred) -> None:
        self._idle(e)
        t = self.tickets.get(e.ticket)
        origin = None
        if t is not None:
            origin, t.service, t.state = t.service, e.to_service, WAITING
        self._queue(e.at, e.to_service, 1)
        if self.start <= e.at < self.end:
            rows = self._rows(e.at, origin, t and t.klass, e.counter, self.clerk_at.get(e.counter))
            for row in self._once(t, "transfer", rows):
                row.transfers += 1

    def _no_show(self, e: ev.TicketNoShow) -> None:
        t = self.tickets.get(e.ticket)
        if t is not None:
            t.state = NO_SHOW
        if self.start <= e.at < self.end:
            rows = self._rows(e.at, t and t.service, t and t.klass, e.counter, self.clerk_at.get(e.counter))
            for row in self._once(t, "no_show", rows):
                row.no_shows += 1

    def _serving(self, e) -> None:
        self.busy_since[e.counter] = e.at
        t = self.tickets.get(e.ticket)
        if t is not None:
            t.state = SERVING

    def _held(self, e: ev.TicketHeld) -> None:
        self._idle(e)
        t = self.tickets.get(e.ticket)
        if t is not None:
            t.state = HELD

    def _done_event(self, e: ev.TicketDone) -> None:
        self._idle(e)
        t = self.tickets.pop(e.ticket, None)
        klass = t and t.klass
        done, order = self._done, self._done_order
        while order and order[0][0] < e.at - DONE_KEEP_S:  # their rating can no longer come
            done.pop(order.popleft()[1], None)
        done[e.ticket] = klass
        order.append((e.at, e.ticket))
        if self.start <= e.at < self.end:
            clerk = e.clerk if e.clerk is not None else self.clerk_at.get(e.counter)
            for row in self._rows(e.at, e.service, klass, e.counter, clerk):
                row.served += 1
                row.service_s += e.served_s

    def _prompted(self, e: ev.RatingPrompted) -> None:
        if self.start <= e.at < self.end:
            self.prompted += 1

    def _rated(self, e: ev.RatingRecorded) -> None:
        klass = self._done.pop(e.ticket, None)
        if not self.start <= e.at < self.end:
            return
        clerk = e.clerk if e.clerk is not None else self.clerk_at.get(e.counter)
        for row in self._rows(e.at, e.service, klass, e.counter, clerk):
            row.levels[e.level] += 1
        if e.level <= 2:
            self.follow_ups.append((e.ticket, e.counter, clerk, e.service, e.level, e.at))

    # --- counters ---------------------------------------------------------------------------

    def _idle(self, e) -> None:
        since = self.busy_since.pop(e.counter, None)
        if since is not None:
            lo, hi = max(since, self.start), min(e.at, self.end)
            if hi > lo:
                self.busy_s[e.counter] = self.busy_s.get(e.counter, 0.0) + hi - lo

    def _opened(self, e) -> None:
        self.open_since[e.counter] = e.at
        if type(e) is ev.CounterOpened:
            self.clerk_at[e.counter] = e.clerk
            self.clerks.setdefault(e.counter, []).append(e.clerk)

    def _stopped(self, e) -> None:
        since = self.open_since.pop(e.counter, None)
        if since is not None:
            self._open_interval(e.counter, since, e.at, self.open_s, self.open_by_hour, self.active_days)
        if type(e) is ev.CounterClosed:
            self.clerk_at.pop(e.counter, None)

    def _open_interval(self, counter: int, since: float, until: float, open_s: dict, by_hour: list, days: set) -> None:
        """Add a counter's open interval, cut to the period, to its open time and to the hours."""
        lo, hi = max(since, self.start), min(until, self.end)
        if hi <= lo:
            return
        open_s[counter] = open_s.get(counter, 0.0) + hi - lo
        clock = _LocalHour(self.hall.tz)  # its own: the shared one follows the events
        while lo < hi:
            day, hour = clock.at(lo)
            piece = min(clock.hi, hi) - lo
            by_hour[hour] += piece
            days.add(day)
            lo += piece

    # --- reading, with intervals still running counted up to a moment ------------------------

    def open_and_busy(self, until: float) -> tuple[dict[int, float], dict[int, float]]:
        """Each counter's open and busy seconds in the period, those still running counted to `until`."""
        open_s, busy_s = dict(self.open_s), dict(self.busy_s)
        for n, since in self.open_since.items():
            lo, hi = max(since, self.start), min(until, self.end)
            if hi > lo:
                open_s[n] = open_s.get(n, 0.0) + hi - lo
        for n, since in self.busy_since.items():
            lo, hi = max(since, self.start), min(until, self.end)
            if hi > lo:
                busy_s[n] = busy_s.get(n, 0.0) + hi - lo
        return open_s, busy_s

    def hours(self, until: float) -> tuple[list[int], list[float], set[str]]:
        """(tickets taken by local hour, counter-seconds open by local hour, active local dates),
        with counters still open counted up to `until`."""
        by_hour, days = list(self.open_by_hour), set(self.active_days)
        scratch: dict[int, float] = {}
        for n, since in self.open_since.items():
            self._open_interval(n, since, until, scratch, by_hour, days)
        return list(self.taken_by_hour), by_hour, days

    def queue_area_until(self, until: float) -> float:
        return self.queue_area + self.queue_n * (until - self.queue_at)
