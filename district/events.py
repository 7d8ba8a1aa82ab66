"""The journal as data: what the district reads of a hall's journal, without the controller's code.

A journal row is (seq, at, type, body): `body` is the event's fields as a JSON array, in the order
of the engine's dataclass (hall_controller/engine/events.py). The district imports none of the
controller, so the fields it reads are named here; tests/district/test_events.py checks these
names against the engine's dataclasses, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

#: the journal schema versions the district understands (the journal's meta `schema`)
JOURNAL_SCHEMAS = (1,)

_TICKET_AT_COUNTER = ("at", "ticket", "counter")

#: event type -> its fields in journal order, for the events the rollups and follow-ups read
FIELDS: dict[str, tuple[str, ...]] = {
    "ServiceDayStarted": ("at", "service", "day", "carry_over_s"),  # carry_over_s absent in older journals
    "TicketReserved": (
        "at",
        "ticket",
        "label",
        "service",
        "number",
        "klass",
        "seq",
        "since",
        "priority_key",
        "kiosk",
        "appointment",
        "promised_wait_s",
        "ahead",
    ),
    "TicketPrinted": ("at", "ticket"),
    "TicketVoided": ("at", "ticket", "reason"),
    "TicketIssuedOffline": (
        "at",
        "ticket",
        "label",
        "service",
        "number",
        "klass",
        "seq",
        "since",
        "priority_key",
        "kiosk",
    ),
    "CounterOpened": ("at", "counter", "clerk"),
    "CounterClosed": ("at", "counter"),
    "TicketCalled": ("at", "ticket", "label", "service", "counter", "call_seq"),
    "TicketNoShow": ("at", "ticket", "counter", "automatic"),
    "ServiceStarted": _TICKET_AT_COUNTER,
    "TicketHeld": _TICKET_AT_COUNTER,
    "TicketResumed": _TICKET_AT_COUNTER,
    "TicketRequeued": _TICKET_AT_COUNTER,
    "TicketTransferred": ("at", "ticket", "counter", "to_service", "to_counter", "served_s"),
    "TicketDone": ("at", "ticket", "counter", "clerk", "service", "outcome", "served_s", "waited_s"),
    "TicketReinstated": ("at", "ticket"),
    "RatingRecorded": ("at", "prompt", "ticket", "counter", "clerk", "service", "level", "pressed_at"),
    "FollowUpOpened": ("at", "ticket", "label", "counter", "clerk", "service", "level"),
    "FollowUpNoted": ("at", "ticket", "note", "by"),
    "FollowUpClosed": ("at", "ticket", "note", "by"),
}

#: the events whose body the district decodes; every other event is stored and never parsed
READ = frozenset(FIELDS)
FOLLOW_UPS = frozenset(("FollowUpOpened", "FollowUpNoted", "FollowUpClosed"))
