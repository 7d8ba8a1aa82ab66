"""What happened. The engine's only output, the journal's only content, the reports' only source.

Every event carries everything needed to apply it again (the engine is rebuilt from the journal
by applying events, never by re-running commands), plus what its readers need (a call carries
the ticket label and counter so the gateway can announce it without asking the engine).
"""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True, slots=True)
class ServiceDayStarted:
    at: float
    service: str
    day: str  # "20261121": the local date the service's numbering started
    carry_over_s: float = 0.0  # open tickets taken this shortly before stay open (model.carries_over);
    # 0 in journals written before tickets carried over


@dataclass(frozen=True, slots=True)
class TicketReserved:
    at: float
    ticket: str
    label: str
    service: str
    number: int
    klass: str
    seq: int
    since: float
    priority_key: float  # effective arrival: since minus the class head start
    kiosk: str | None
    appointment: str | None
    promised_wait_s: float | None
    ahead: int


@dataclass(frozen=True, slots=True)
class TicketPrinted:
    at: float
    ticket: str


@dataclass(frozen=True, slots=True)
class TicketVoided:
    at: float
    ticket: str
    reason: str


@dataclass(frozen=True, slots=True)
class PriorityRequested:
    """A citizen asked for priority at a kiosk where staff confirm it: the ticket waits as normal."""

    at: float
    ticket: str
    kiosk: str


@dataclass(frozen=True, slots=True)
class PriorityDecided:
    """Staff confirmed (the ticket takes the priority head start from now on) or refused it."""

    at: float
    ticket: str
    confirmed: bool
    by: str  # the clerk's staff number, or the supervisor's user name
    counter: int | None  # the counter whose keypad decided; None: the web
    priority_key: float  # the ticket's effective arrival from now on (unchanged when refused)


@dataclass(frozen=True, slots=True)
class OfflineBlockLeased:
    at: float
    kiosk: str
    service: str
    day: str
    first: int
    last: int


@dataclass(frozen=True, slots=True)
class TicketIssuedOffline:
    at: float
    ticket: str
    label: str
    service: str
    number: int
    klass: str
    seq: int
    since: float
    priority_key: float
    kiosk: str


@dataclass(frozen=True, slots=True)
class AppointmentBooked:
    at: float
    code: str
    service: str
    slot_start: float
    slot_end: float
    by: str


@dataclass(frozen=True, slots=True)
class AppointmentCancelled:
    at: float
    code: str
    by: str


@dataclass(frozen=True, slots=True)
class CounterOpened:
    at: float
    counter: int
    clerk: str


@dataclass(frozen=True, slots=True)
class CounterClosed:
    at: float
    counter: int


@dataclass(frozen=True, slots=True)
class CounterPaused:
    at: float
    counter: int
    reason: str


@dataclass(frozen=True, slots=True)
class CounterResumed:
    at: float
    counter: int


@dataclass(frozen=True, slots=True)
class TicketCalled:
    at: float
    ticket: str
    label: str
    service: str
    counter: int
    call_seq: int  # gap-free: displays detect a missed call by it


@dataclass(frozen=True, slots=True)
class TicketRecalled:
    at: float
    ticket: str
    label: str
    service: str
    counter: int
    call_seq: int
    recalls: int


@dataclass(frozen=True, slots=True)
class CallAnnounced:
    """A display reported what it did with a call: spoken (the hall heard it from `started` to
    `ended`), shown only, or skipped (`reason`). Times are the display's, kept within the call's
    time and the report's."""

    at: float
    call_seq: int
    ticket: str
    device: str
    outcome: str  # spoken | shown | skipped
    started: float
    ended: float
    reason: str | None


@dataclass(frozen=True, slots=True)
class CallNotAnnounced:
    """No display announced this call within `announce_within_s`: its clocks start from the
    screen showing it instead."""

    at: float
    call_seq: int
    ticket: str


@dataclass(frozen=True, slots=True)
class TicketNoShow:
    at: float
    ticket: str
    counter: int
    automatic: bool  # True: the recall limit was reached


@dataclass(frozen=True, slots=True)
class ServiceStarted:
    at: float
    ticket: str
    counter: int


@dataclass(frozen=True, slots=True)
class TicketHeld:
    at: float
    ticket: str
    counter: int


@dataclass(frozen=True, slots=True)
class TicketResumed:
    at: float
    ticket: str
    counter: int


@dataclass(frozen=True, slots=True)
class TicketRequeued:
    """A held ticket went back to the queue (its counter closed), keeping its place."""

    at: float
    ticket: str
    counter: int


@dataclass(frozen=True, slots=True)
class TicketReturned:
    """A ticket sent to a counter by name went back to its service's queue (that counter closed),
    keeping its place."""

    at: float
    ticket: str
    counter: int


@dataclass(frozen=True, slots=True)
class TicketTransferred:
    at: float
    ticket: str
    counter: int
    to_service: str
    to_counter: int | None
    served_s: float


@dataclass(frozen=True, slots=True)
class TicketDone:
    at: float
    ticket: str
    counter: int
    clerk: str | None
    service: str
    outcome: str
    served_s: float
    waited_s: float  # from taking the ticket to the first call


@dataclass(frozen=True, slots=True)
class TicketReinstated:
    at: float
    ticket: str


@dataclass(frozen=True, slots=True)
class RatingPrompted:
    at: float
    prompt: str
    ticket: str
    counter: int
    clerk: str | None
    service: str
    deadline: float


@dataclass(frozen=True, slots=True)
class RatingClosed:
    at: float
    prompt: str
    counter: int
    reason: str  # timeout | next_call | counter_closed


@dataclass(frozen=True, slots=True)
class RatingRecorded:
    at: float
    prompt: str
    ticket: str
    counter: int
    clerk: str | None
    service: str
    level: int
    pressed_at: float


@dataclass(frozen=True, slots=True)
class AlertRaised:
    at: float
    alert: int
    kind: str  # wait_over_target | understaffed | negative_rating | long_service
    # | device_offline | printer_paper
    subject: str  # the service, counter, ticket or device concerned
    message: str


@dataclass(frozen=True, slots=True)
class AlertCleared:
    at: float
    alert: int


@dataclass(frozen=True, slots=True)
class AlertAcknowledged:
    at: float
    alert: int
    by: str


@dataclass(frozen=True, slots=True)
class DeviceReported:
    at: float
    device: str
    online: bool
    paper: str
    fault: str | None


@dataclass(frozen=True, slots=True)
class NoticeSet:
    at: float
    zh: str
    en: str
    by: str


@dataclass(frozen=True, slots=True)
class IncidentSet:
    at: float
    on: bool
    zh: str
    en: str
    expected_back: float | None
    by: str


@dataclass(frozen=True, slots=True)
class FollowUpOpened:
    """A rating of 一般 or 不满意: someone must follow it up (requirements E7)."""

    at: float
    ticket: str
    label: str
    counter: int
    clerk: str | None
    service: str
    level: int


@dataclass(frozen=True, slots=True)
class FollowUpNoted:
    at: float
    ticket: str
    note: str
    by: str


@dataclass(frozen=True, slots=True)
class FollowUpClosed:
    at: float
    ticket: str
    note: str
    by: str


Event = (
    ServiceDayStarted
    | TicketReserved
    | TicketPrinted
    | TicketVoided
    | OfflineBlockLeased
    | TicketIssuedOffline
    | AppointmentBooked
    | AppointmentCancelled
    | CounterOpened
    | CounterClosed
    | CounterPaused
    | CounterResumed
    | TicketCalled
    | TicketRecalled
    | CallAnnounced
    | CallNotAnnounced
    | TicketNoShow
    | ServiceStarted
    | TicketHeld
    | TicketResumed
    | TicketRequeued
    | TicketReturned
    | TicketTransferred
    | TicketDone
    | TicketReinstated
    | RatingPrompted
    | RatingClosed
    | RatingRecorded
    | AlertRaised
    | AlertCleared
    | AlertAcknowledged
    | DeviceReported
    | NoticeSet
    | IncidentSet
    | FollowUpOpened
    | FollowUpNoted
    | FollowUpClosed
    | PriorityRequested
    | PriorityDecided
)

EVENT_TYPES: dict[str, type] = {cls.__name__: cls for cls in Event.__args__}


def event_name(event: Any) -> str:
    return type(event).__name__


_FIELDS = {cls: operator.attrgetter(*(f.name for f in fields(cls))) for cls in EVENT_TYPES.values()}


def encode(event: Any) -> str:
    """One event as compact JSON (without its type name, which the journal keeps in a column)."""
    return json.dumps(_FIELDS[type(event)](event), ensure_ascii=False, separators=(",", ":"))


def decode(name: str, body: str) -> Any:
    return EVENT_TYPES[name](*json.loads(body))
