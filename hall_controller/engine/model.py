"""The things the engine keeps: tickets, counters, rating prompts, and the ticket life cycle.

The life cycle is a table (`TRANSITIONS`), not a tangle of ifs: every state change of a ticket
goes through `move()`, and `docs/ticket-states.md` is generated from the same table, so the
documentation cannot drift from the code.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class TicketState(str, enum.Enum):
    RESERVED = "reserved"  #: number given by the controller, not yet printed
    WAITING = "waiting"  #: printed (or issued offline); in the queue
    CALLED = "called"  #: announced; the citizen is walking to the counter
    SERVING = "serving"  #: at the counter
    HELD = "held"  #: parked at its counter (the clerk serves someone else meanwhile)
    DONE = "done"  #: served; an outcome is recorded
    NO_SHOW = "no_show"  #: did not come after the recalls; can be reinstated for a while
    VOIDED = "voided"  #: the printout failed or was never confirmed; never called
    EXPIRED = "expired"  #: still open when its service's day ended


S = TicketState

#: state -> {action: new state}. An action missing here is illegal in that state.
TRANSITIONS: dict[TicketState, dict[str, TicketState]] = {
    S.RESERVED: {
        "print": S.WAITING,
        "print_failed": S.VOIDED,
        "reservation_timeout": S.VOIDED,
        "day_closed": S.EXPIRED,
    },
    S.WAITING: {"call": S.CALLED, "day_closed": S.EXPIRED},
    S.CALLED: {"recall": S.CALLED, "start": S.SERVING, "no_show": S.NO_SHOW, "day_closed": S.EXPIRED},
    S.SERVING: {"finish": S.DONE, "hold": S.HELD, "transfer": S.WAITING},
    S.HELD: {"resume": S.SERVING, "requeue": S.WAITING, "day_closed": S.EXPIRED},
    S.NO_SHOW: {"reinstate": S.WAITING, "day_closed": S.EXPIRED},
    S.DONE: {},
    S.VOIDED: {},
    S.EXPIRED: {},
}


PRESS_SLACK_S = 0.5

#: A ticket taken this shortly before its service's daily reset keeps its place across the reset:
#: the citizen who took A998 at 23:59 in a hall open past midnight is still in the hall and is
#: called at 00:01, while the new day's numbering starts at A001 beside it. Older open tickets
#: are of a day that is over (the hall closed, the citizen went home) and expire at the reset.
CARRY_OVER_S = 2 * 3600
#: the states a ticket can carry over in: in the queue, called, or parked at a counter
CARRIED_STATES = (TicketState.WAITING, TicketState.CALLED, TicketState.HELD)


@dataclass(slots=True)
class PreviousDay:
    """What the engine keeps of a service day just ended, for the offline tickets a kiosk issued
    in its last minutes and reports after the reset: whose numbers were lent, which are in."""

    day: str
    started_at: float
    ended_at: float
    carry_over_s: float
    leases: dict[str, list[tuple[int, int]]]  # kiosk -> blocks lent that day
    used: set[int]  # numbers already backfilled from those blocks


def carries_over(state: TicketState, since: float, reset_at: float, carry_over_s: float = CARRY_OVER_S) -> bool:
    """Does a ticket in `state`, waiting since `since`, stay open across a reset at `reset_at`?"""
    return state in CARRIED_STATES and reset_at - since <= carry_over_s


class IllegalTransition(RuntimeError):
    """The engine itself tried an impossible move: a bug in the engine, never the user's fault."""


@dataclass(slots=True, eq=False)
class Ticket:
    id: str  # "20261121-A023": unique across days
    label: str  # "A023": what is printed, shown and spoken
    service: str  # the queue it is in now (changes on transfer)
    origin: str  # the service it was issued for
    number: int
    klass: str  # normal | priority | appointment
    arrival: float  # when it was taken (its place in line, kept across transfers)
    since: float  # when its wait started counting (the slot start for appointments)
    seq: int  # issue order, the final tie-breaker
    key: tuple[float, int]  # (effective arrival, seq): smaller is called first
    state: TicketState = S.RESERVED
    kiosk: str | None = None
    offline: bool = False
    appointment: str | None = None
    promised_wait_s: float | None = None
    ahead_at_issue: int = 0
    counter: int | None = None  # the counter calling, serving or holding it
    to_counter: int | None = None  # waiting for one counter only (transferred there)
    called_at: float | None = None
    first_called_at: float | None = None
    recalls: int = 0
    call_seq: int | None = None  # the current call (or recall): its clocks below
    shown_at: float | None = None  # a display first showed the current call
    heard_at: float | None = None  # the end of the first announcement of the current call
    first_heard_at: float | None = None  # the end of the first announcement of its first call
    not_announced: bool = False  # nobody announced the current call in time: clocks run from shown_at
    started_at: float | None = None  # start of the current serving interval
    served_s: float = 0.0  # serving time so far (held time excluded)
    transfers: int = 0
    closed_at: float | None = None  # done, no-show, voided or expired
    priority_check: str | None = None  # asked for at a staff-confirmed kiosk: asked | confirmed | refused

    def move(self, action: str) -> None:
        try:
            self.state = TRANSITIONS[self.state][action]
        except KeyError:
            raise IllegalTransition(f"ticket {self.id}: {action!r} is not possible when {self.state.value}") from None

    def can(self, action: str) -> bool:
        return action in TRANSITIONS[self.state]


class CounterState(str, enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    PAUSED = "paused"


@dataclass(slots=True, eq=False)
class CounterDesk:
    """A counter as it is right now (its skills are in the hall config)."""

    number: int
    state: CounterState = CounterState.CLOSED
    clerk: str | None = None
    pause_reason: str | None = None
    since: float | None = None  # when the current state began
    current: str | None = None  # ticket id called or being served
    held: list[str] = field(default_factory=list)
    prompt: str | None = None  # the rating prompt still open at this counter
    run: int = 0  # calls in a row: > 0 normal tickets, < 0 priority ones (interleave)


@dataclass(slots=True, eq=False)
class RatingPrompt:
    """An invitation to rate one finished service. Its id is the ticket id: one rating per ticket."""

    id: str
    ticket: str
    counter: int
    clerk: str | None
    service: str
    opened_at: float
    deadline: float
    closed_at: float | None = None  # ended by a rating, a timeout or the next call
    level: int | None = None

    def accepts(self, pressed_at: float) -> bool:
        """A press counts if it happened while the prompt was open, however late it arrives.
        Times on the wire have millisecond resolution and come from another machine's clock:
        half a second either side of the window is still inside it."""
        end = self.closed_at if self.closed_at is not None else self.deadline
        return self.level is None and self.opened_at - PRESS_SLACK_S <= pressed_at <= end + PRESS_SLACK_S


@dataclass(slots=True, eq=False)
class Appointment:
    code: str
    service: str
    slot_start: float
    slot_end: float
    ticket: str | None = None


@dataclass(slots=True, eq=False)
class Alert:
    id: int
    kind: str
    subject: str
    message: str
    raised_at: float
    cleared_at: float | None = None
    acked_by: str | None = None
    acked_at: float | None = None


@dataclass(slots=True, eq=False)
class DeviceStatus:
    online: bool
    paper: str
    fault: str | None
    since: float


@dataclass(slots=True, eq=False)
class FollowUp:
    """A 一般 or 不满意 rating to follow up: who served, what was noted, who closed it."""

    ticket: str
    label: str
    counter: int
    clerk: str | None
    service: str
    level: int
    opened_at: float
    notes: list[tuple[float, str, str]] = field(default_factory=list)  # (at, by, note)
    closed_at: float | None = None
    closed_by: str | None = None


@dataclass(slots=True, eq=False)
class Incident:
    """The screens' incident notice, switched on by staff."""

    zh: str
    en: str
    since: float
    expected_back: float | None
    by: str
