"""How fast each service's queue moves: learned from the day's events, for the estimated wait.

Why learn it rather than read it from the hall file: a counter with two primary services splits
its time between them as the crowd comes, a backup counter helps only when the A/B post rule
lets it, citizens take a while to walk up after a call, and clerks take a breath between two
citizens. None of that is in the hall file; all of it shows in the events. This is the
queue-length predictor of real-time delay prediction in many-server queues (Ibrahim & Whitt,
"Real-time delay estimation based on delay history" and "... in overloaded multiserver
queues"): the wait of the n-th in line is about n over the rate at which the counters open
now call that service, with each rate measured rather than assumed.

What is learned, each as a running mean (newest weighs `WEIGHT`):
- `turn[service]`: from a ticket's first call to its end (walking up, recalls, serving);
- `gap`: from a counter finishing one citizen to calling the next while someone it may serve
  waits (the rating key, filing, a sip of tea);
- `share[counter][service]`: which services a counter's calls went to.

Everything here changes only by `take(event)` from `HallState.apply`, so a controller rebuilt
from its journal knows exactly what the live one knew. Every operation is O(services of one
counter); the estimate is O(counters of one service).
"""

from __future__ import annotations

from hall.config import Hall
from hall_controller.engine import events as ev

WEIGHT = 0.05  # newest observation's weight in each running mean
GAP_PRIOR_S = 15.0  # between two citizens, before anything is learned
WALK_PRIOR_S = 30.0  # from the call to the counter, before anything is learned
BACKUP_PRIOR = 0.25  # a backup counter's share of calls for a service, before anything is learned
BACKUP_FLOOR = 0.1  # ... and the least it is counted on (the A/B rule lets it help a queue past target)
GAP_CAP_S = 150.0  # a longer pause between two citizens is not a breath but something else
FORGET_S = 12 * 3600  # a call this old whose ticket never ended is forgotten at the daily reset


class ServiceFlow:
    def __init__(self, hall: Hall, mean_service: dict[str, float]):
        self.turn = {s: mean_service[s] + WALK_PRIOR_S for s in hall.services}
        self.gap = GAP_PRIOR_S
        self.share: dict[int, dict[str, float]] = {}
        for n, c in hall.counters.items():
            share = {s: 1 / len(c.primary) for s in c.primary}
            for s in c.backup:
                share[s] = BACKUP_PRIOR / len(c.backup)
            self.share[n] = share
        self._having = {s: [n for n, share in self.share.items() if s in share] for s in hall.services}
        self.work = {n: self._work(n) for n in self.share}  # a turn at the counter, gap aside (seconds)
        self.last_wait: dict[str, float] = {}  # service -> the wait of its last ticket called
        self._called: dict[str, float] = {}  # ticket -> its first call, until it ends
        self._freed: dict[int, float] = {}  # counter -> when it finished with work waiting

    def attach(self, hall: Hall, mean_service: dict[str, float]) -> None:
        """After a restart with an edited hall file: learn from here for counters and services new in it."""
        fresh = ServiceFlow(hall, mean_service)
        self.turn = {s: self.turn.get(s, fresh.turn[s]) for s in hall.services}
        self.share = {n: {s: self.share.get(n, {}).get(s, w) for s, w in fresh.share[n].items()} for n in hall.counters}
        self._having = fresh._having
        self.work = {n: self._work(n) for n in self.share}

    def _work(self, counter: int) -> float:
        return sum(w * self.turn[s] for s, w in self.share[counter].items())

    def called(self, e: ev.TicketCalled) -> None:
        share = self.share.get(e.counter)
        if share is not None and e.service in share:
            turn, work = self.turn, 0.0
            for s, w in share.items():
                w += WEIGHT * ((s == e.service) - w)
                share[s] = w
                work += w * turn[s]
            self.work[e.counter] = work
        freed = self._freed.pop(e.counter, None)
        if freed is not None:
            self.gap += WEIGHT * (min(e.at - freed, GAP_CAP_S) - self.gap)
        self._called[e.ticket] = e.at

    def waited(self, service: str, seconds: float) -> None:
        """The wait of the ticket of `service` just called first (the delay-history predictor's input);
        an appointment called before its slot waited nothing, not less."""
        self.last_wait[service] = max(0.0, seconds)

    def interrupted(self, ticket: str) -> None:
        """Held at its counter: its turn is not a whole one."""
        self._called.pop(ticket, None)

    def day_started(self, at: float) -> None:
        """Forget the first calls of tickets that never ended (expired with their day)."""
        for ticket in [t for t, called in self._called.items() if called < at - FORGET_S]:
            del self._called[ticket]

    def ended(self, ticket: str, service: str | None, at: float) -> None:
        called = self._called.pop(ticket, None)
        if called is not None and service is not None:
            change = WEIGHT * (at - called - self.turn[service])
            self.turn[service] += change
            work, share = self.work, self.share
            for n in self._having[service]:
                work[n] += share[n][service] * change

    def freed(self, counter: int, at: float, work_waiting: bool) -> None:
        if work_waiting:
            self._freed[counter] = at
        else:
            self._freed.pop(counter, None)

    def rate(self, counter: int, service: str, floor: float = 0.0) -> tuple[float, float]:
        """Tickets of `service` this counter calls per second while it works, and its share of
        the counter's calls (at least `floor`)."""
        share = self.share[counter].get(service, 0.0)
        if share < floor:
            share = floor
        return share / (self.gap + self.work[counter]), share

    def snapshot(self) -> dict[str, object]:
        return {
            "turn": {s: round(v, 6) for s, v in self.turn.items()},
            "gap": round(self.gap, 6),
            "share": {n: {s: round(v, 6) for s, v in d.items()} for n, d in self.share.items()},
        }
