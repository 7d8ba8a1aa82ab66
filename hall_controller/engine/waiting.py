"""The waiting room: which ticket a counter calls next, in O(log n).

Tickets wait in sorted lists, one per (service, class), plus one per counter for tickets
transferred to that counter by name. A list is ordered by the ticket key
(effective arrival, issue order). Inside one list the head start is the same for every ticket,
so the head of a list is also its longest-waiting ticket. Picking the next ticket for a counter
peeks at the heads of the few lists that counter may serve: the work does not grow with the
length of the queue.

The rule (DESIGN.md, "Call next"):
- a counter serves its primary (level-1) services and tickets transferred to it;
- a backup (level-2) service only when none of its own tickets wait, or when that service's
  oldest ticket is already past its target wait (the A/B post rule);
- a counter restricted to classes serves only those ("only") or serves them first ("first");
- among what it may serve, the ticket with the earliest effective arrival. A priority class is a
  bounded head start (it counts as having arrived N minutes earlier), never a jump over everyone.

The rule reads the heads of the lists through `_front` and `_since` only, so that the estimated
wait can play it forward on a view of the room that takes tickets off (lookahead.py) without
writing the rule twice or changing the room.
"""

from __future__ import annotations

from collections.abc import Iterable, ValuesView

from sortedcontainers import SortedList

from hall.config import Counter, Hall
from hall_controller.engine.model import Ticket

#: a waiting room as pickled in a journal snapshot (HallState.__getstate__): its lists by (service,
#: class), its lists by counter, its tickets by seq, its count per service
SavedWaitingRoom = tuple[dict[tuple[str, str], SortedList], dict[int, SortedList], dict[int, Ticket], dict[str, int]]


class WaitingRoom:
    def __init__(self, hall: Hall):
        self.hall = hall
        self.classes = hall.ticket_classes
        self.priority_side = tuple(k for k in self.classes if k in hall.dispatch.priority_classes)
        self.normal_side = tuple(k for k in self.classes if k not in hall.dispatch.priority_classes)
        self._lists: dict[tuple[str, str], SortedList] = {
            (s, k): SortedList() for s in hall.services for k in hall.ticket_classes
        }
        self._direct: dict[int, SortedList] = {}
        self._by_seq: dict[int, Ticket] = {}
        self.count: dict[str, int] = {s: 0 for s in hall.services}  # per service, direct ones included

    def __len__(self) -> int:
        return len(self._by_seq)

    def __contains__(self, ticket: Ticket) -> bool:
        return ticket.seq in self._by_seq

    def tickets(self) -> ValuesView[Ticket]:
        return self._by_seq.values()

    def add(self, ticket: Ticket) -> None:
        self._list_of(ticket).add(ticket.key)
        self._by_seq[ticket.seq] = ticket
        self.count[ticket.service] = self.count.get(ticket.service, 0) + 1

    def remove(self, ticket: Ticket) -> None:
        self._list_of(ticket).remove(ticket.key)
        del self._by_seq[ticket.seq]
        self.count[ticket.service] -= 1

    def _list_of(self, ticket: Ticket) -> SortedList:
        if ticket.to_counter is not None:
            return self._direct.setdefault(ticket.to_counter, SortedList())
        return self._lists[(ticket.service, ticket.klass)]

    # --- choosing ---------------------------------------------------------------------------

    def next_for(self, counter: Counter, now: float, run: int = 0) -> Ticket | None:
        """The ticket `counter` should call now, or None when it may serve nobody waiting.
        `run`: the counter's last calls in a row (> 0 normal, < 0 priority), for `interleave`."""
        best = self.next_key(counter, now, run)
        return None if best is None else self._by_seq[best[1]]

    def next_key(self, counter: Counter, now: float, run: int = 0) -> tuple[float, int] | None:
        """The key of the ticket `next_for` would give."""
        if counter.interleave is not None:
            best = self._interleaved(counter, now, run)
        elif counter.classes and counter.class_mode == "first":
            # its own tickets of any class count for the A/B rule, preferred classes or not
            own_waiting = self._own(counter, self.classes) is not None
            best = self._best(counter, counter.classes, now, own_waiting)
            if best is None:
                best = self._best(counter, self.classes, now, own_waiting)
        else:
            classes = counter.classes or self.classes
            best = self._best(counter, classes, now, None)
        return best

    def _interleaved(self, counter: Counter, now: float, run: int) -> tuple[float, int] | None:
        """`interleave = "2:1"`: when tickets of both kinds wait, two normal ones (by their place
        in line), then one of the priority classes, in turn; when one kind waits, that kind."""
        own_waiting = self._own(counter, self.classes) is not None
        normal = self._best(counter, self.normal_side, now, own_waiting)
        priority = self._best(counter, self.priority_side, now, own_waiting)
        if normal is None or priority is None:
            return normal or priority
        assert counter.interleave is not None  # next_for comes here only for an interleaving counter
        n, p = counter.interleave
        if run >= n:
            return priority
        if run < 0 and -run < p:
            return priority
        return normal

    def _best(
        self, counter: Counter, classes: tuple[str, ...], now: float, own_waiting: bool | None
    ) -> tuple[float, int] | None:
        best = self._own(counter, classes)
        if own_waiting is None:
            own_waiting = best is not None
        for service in counter.backup:
            # decided on the counter's own tickets, not on a backup service's head found earlier
            if not own_waiting or self.past_target(service, now):
                head = self._head((service,), classes)
                if head is not None and (best is None or head < best):
                    best = head
        return best

    def _own(self, counter: Counter, classes: tuple[str, ...]) -> tuple[float, int] | None:
        """The first of the counter's own tickets: its primary services and those sent to it by name."""
        best = self._head(counter.primary, classes)
        direct = self._direct.get(counter.number)
        if direct:
            first = self._front(direct)
            if first is not None and (best is None or first < best):
                best = first
        return best

    def _head(self, services: tuple[str, ...], classes: tuple[str, ...]) -> tuple[float, int] | None:
        best = None
        lists, front = self._lists, self._front
        for s in services:
            for k in classes:
                lst = lists[(s, k)]
                if lst or lst is self._mine:
                    first = front(lst)
                    if first is not None and (best is None or first < best):
                        best = first
        return best

    #: a list that holds one more ticket than it shows (see lookahead.py); none in the room itself
    _mine: SortedList | None = None

    def _front(self, lst: SortedList) -> tuple[float, int] | None:
        """The key at the head of a non-empty list (a lookahead may have taken some off)."""
        head: tuple[float, int] = lst[0]
        return head

    def _since(self, key: tuple[float, int]) -> float:
        return self._by_seq[key[1]].since

    # --- questions about a service ----------------------------------------------------------

    def oldest_since(self, service: str) -> float | None:
        """When the longest wait in `service` began (heads only: see the module docstring)."""
        oldest = None
        for k in self.classes:
            lst = self._lists[(service, k)]
            if lst or lst is self._mine:
                first = self._front(lst)
                if first is not None:
                    since = self._since(first)
                    if oldest is None or since < oldest:
                        oldest = since
        return oldest

    def past_target(self, service: str, now: float) -> bool:
        """Has the longest wait reached the target? (The same sum as the SLA timer's due time,
        so a tick landing exactly on it sees the queue past target.)"""
        oldest = self.oldest_since(service)
        return oldest is not None and oldest + self.hall.services[service].target_wait_s <= now

    def ahead_of(self, service: str, key: tuple[float, int]) -> int:
        """How many tickets of `service` would be called before a ticket with this key."""
        return sum(self._lists[(service, k)].bisect_left(key) for k in self.classes)

    def count_of(self, service: str, classes: Iterable[str]) -> int:
        """How many tickets of `service` in these classes wait (transferred ones aside)."""
        return sum(len(self._lists[(service, k)]) for k in classes)

    def sent_to(self, counter: int) -> list[Ticket]:
        """The tickets waiting for this counter by name, longest waiting first."""
        return [self._by_seq[key[1]] for key in self._direct.get(counter, ())]

    def direct_count(self, counter: int) -> int:
        """Tickets transferred to this counter by name, waiting for it."""
        direct = self._direct.get(counter)
        return len(direct) if direct else 0

    def position(self, ticket: Ticket) -> int:
        """How many wait before this (waiting) ticket in its own queue."""
        if ticket.to_counter is not None:
            ahead: int = self._direct[ticket.to_counter].bisect_left(ticket.key)
            return ahead
        return self.ahead_of(ticket.service, ticket.key)
