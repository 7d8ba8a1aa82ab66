"""The line played forward: when would the counters open now call a given ticket?

Why play it rather than divide the number ahead by a rate: who is called next is decided by the
hall's own rule (DESIGN.md, "Call next"), and in a short line that rule is most of the answer. A
counter with two primary services calls whichever ticket arrived first, so the tickets of the
other service waiting now come before ours; a backup counter helps only when its own line is
empty or the service is past its target; an elderly window calls the priority tickets first.
A rate averages all of that over the day; the line as it stands says exactly which calls come
first. This is the event-driven form of the queue-length predictor of real-time delay
prediction (Ibrahim & Whitt): each counter is free again at a known instant, calls the ticket
the rule gives it, and is free again a learned turn later (flow.py), until our ticket's turn.

Nothing in the waiting room changes: `Lookahead` is a view of it that takes tickets off the
heads of its lists (a counter always calls the head of a list) and may hold one ticket not yet
in it, the one being issued. Tickets that will be taken later are not foreseen (a priority
ticket with its head start, a backup counter's own citizens), nor are pauses not yet begun.
Cost: O(calls played × lists a counter looks at); the engine plays only short lines.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

from sortedcontainers import SortedList

from hall.config import Counter
from hall_controller.engine.model import Ticket
from hall_controller.engine.waiting import WaitingRoom

Key = tuple[float, int]


class Lookahead(WaitingRoom):
    """The waiting room as it will be after some calls: a view, the room itself is untouched."""

    def __init__(self, room: WaitingRoom, key: Key, service: str, klass: str):
        self.hall, self.classes = room.hall, room.classes
        self.priority_side, self.normal_side = room.priority_side, room.normal_side
        self._lists, self._direct, self._by_seq = room._lists, room._direct, room._by_seq
        self._room = room
        self._taken: dict[int, int] = {}  # id of a list -> tickets taken off its head
        self._fronts: dict[int, Key | None] = {}  # id of a list -> its head now (read once per call)
        self.key = key
        # the ticket being issued is not in the room yet: it shows in its list without being there
        self._mine = None if key[1] in room._by_seq else room._lists[(service, klass)]
        self._key_since = key[0] + room.hall.dispatch.head_start_s[klass]  # the key is since less the head start

    def _front(self, lst: SortedList) -> Key | None:
        try:
            return self._fronts[id(lst)]
        except KeyError:
            pass
        i = self._taken.get(id(lst), 0)
        first = lst[i] if i < len(lst) else None
        if lst is self._mine and (first is None or self.key < first):
            first = self.key
        self._fronts[id(lst)] = first
        return first

    def _since(self, key: Key) -> float:
        return self._key_since if key == self.key and self._mine is not None else self._by_seq[key[1]].since

    def take(self, key: Key) -> Ticket:
        """A counter calls the ticket with this key (the head of its list)."""
        ticket = self._by_seq[key[1]]
        lst = self._room._list_of(ticket)
        self._taken[id(lst)] = self._taken.get(id(lst), 0) + 1
        self._fronts.pop(id(lst), None)
        return ticket


def called_at(
    room: Lookahead, free: list[tuple[float, int, Counter, int]], turn: Callable[[str], float], steps: int
) -> float | None:
    """When `room.key` is called: each counter (free at, number, counter, calls in a row) calls
    what the rule gives it whenever it is free, and is free again `turn(service)` later. None
    when it is not called within `steps` calls (the caller falls back to a cheaper count) or
    no counter left may call it."""
    heap = list(free)
    heapq.heapify(heap)
    for _ in range(steps):
        if not heap:
            return None
        at, number, counter, run = heapq.heappop(heap)
        key = room.next_key(counter, at, run)
        if key is None:
            continue  # nothing it may serve waits: it calls none of these
        if key == room.key:
            return at
        ticket = room.take(key)
        run = min(run, 0) - 1 if ticket.klass in room.priority_side else max(run, 0) + 1
        heapq.heappush(heap, (at + turn(ticket.service), number, counter, run))
    return None
