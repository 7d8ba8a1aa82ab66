"""What the controller tells people, computed from the engine: the board, a counter's view, a
ticket as the kiosk prints it. Pure functions of the engine state (plain dicts for the wire)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from hall_controller.engine import CounterState, Engine, TicketState
from protocol.envelope import format_epoch

BOARD_CALLS = 8


rfc3339 = format_epoch


def status_token(secret: bytes, ticket_id: str) -> str:
    """The unguessable part of a ticket's status link (the QR code): an HMAC of its id."""
    digest = hmac.new(secret, ticket_id.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode().lower()


def ticket(engine: Engine, ticket_id: str, status_url: str) -> dict:
    t = engine.state.tickets[ticket_id]
    out = {
        "id": t.id,
        "label": t.label,
        "service": t.service,
        "class": t.klass,
        "number": t.number,
        "ahead": t.ahead_at_issue,
        "estimated_wait_s": t.promised_wait_s,
        "issued_at": rfc3339(t.arrival),
        "status_url": status_url,
        "no_counter_open": t.promised_wait_s is None,
    }
    if t.priority_check is not None:
        out["priority"] = t.priority_check  # "asked": staff are still to confirm it
    return out


def counter_view(engine: Engine, number: int) -> dict:
    s = engine.state
    desk = s.desks[number]
    current = None
    if desk.current is not None:
        t = s.tickets[desk.current]
        current = {
            "id": t.id,
            "label": t.label,
            "state": t.state.value,
            "service": t.service,
            "recalls": t.recalls,
            "announced": announced(engine, t),
        }
    return {
        "counter": number,
        "state": desk.state.value,
        "clerk": desk.clerk,
        "reason": desk.pause_reason,
        "ticket": current,
        "held": [s.tickets[h].label for h in desk.held],
        "waiting": waiting_for(engine, number),
    }


def announced(engine: Engine, t, *, wire: bool = True):
    """When the hall heard the ticket's current call (the clocks' start), for a called ticket:
    RFC 3339 on the wire (epoch seconds with `wire=False`); None while it waits to be announced,
    and for a ticket that is not being called."""
    if t.state is not TicketState.CALLED or t.counter is None:
        return None
    since = engine.heard_since(t, t.counter)
    if since is None:
        return None
    return rfc3339(since) if wire else since


def waiting_for(engine: Engine, number: int) -> int:
    """Tickets this counter may serve: its primary services' queues plus those sent to it by name."""
    counter = engine.hall.counters[number]
    waiting = engine.state.waiting
    return sum(waiting.count[s] for s in counter.primary) + waiting.direct_count(number)


def incident(engine: Engine) -> dict | None:
    i = engine.state.incident
    if i is None:
        return None
    return {
        "since": rfc3339(i.since),
        "message": {"zh": i.zh, "en": i.en},
        **({"expected_back": rfc3339(i.expected_back)} if i.expected_back is not None else {}),
    }


def fit_board(board: dict, limit: int) -> dict:
    """The board within `limit` bytes of JSON: a very large hall loses the clerks' numbers first,
    then the counters that are not serving anyone (the screens treat an unlisted counter as closed)."""

    def size(b: dict) -> int:
        return len(json.dumps(b, ensure_ascii=False, separators=(",", ":")).encode())

    if size(board) <= limit:
        return board
    board = {**board, "counters": [{k: v for k, v in c.items() if k != "clerk"} for c in board["counters"]]}
    if size(board) > limit:
        board["counters"] = [c for c in board["counters"] if "ticket" in c]
    if size(board) > limit:
        board["counters"] = []
    return board


def board(engine: Engine) -> dict:
    s = engine.state
    calls = [
        {
            "seq": c.call_seq,
            "label": c.label,
            "counter": c.counter,
            "recall": hasattr(c, "recalls"),
            "at": rfc3339(c.at),
        }
        for c in reversed(s.recent_calls)
    ][:BOARD_CALLS]
    services = []
    for service in engine.hall.services.values():
        waiting = s.waiting.count[service.id]
        services.append(
            {
                "id": service.id,
                "prefix": service.prefix,
                "name": {"zh": service.names.zh, "en": service.names.en},
                "waiting": waiting,
                "estimated_wait_s": _whole(engine.estimate_wait(service.id, waiting)),
            }
        )
        services[-1]["no_counter_open"] = services[-1]["estimated_wait_s"] is None
        oldest = s.waiting.oldest_since(service.id) if waiting else None
        if oldest is not None:
            services[-1]["longest_wait_since"] = rfc3339(oldest)  # for managers (the district's live page)
    counters = []
    for number, desk in s.desks.items():
        if desk.state is CounterState.CLOSED:
            continue  # the board lists the counters that are open or paused; the rest are closed
        row = {"number": number, "state": desk.state.value, "clerk": desk.clerk}
        if desk.pause_reason is not None:
            row["reason"] = desk.pause_reason
        if desk.current is not None and s.tickets[desk.current].state in (TicketState.CALLED, TicketState.SERVING):
            row["ticket"] = s.tickets[desk.current].label
            row["serving"] = s.tickets[desk.current].state is TicketState.SERVING  # false: called, not yet come
        counters.append(row)
    return {
        "call_seq": s.call_seq,
        "calls": calls,
        "services": services,
        "counters": counters,
        "notice": {"zh": s.notice[0], "en": s.notice[1]},
        "incident": incident(engine),
    }


def _whole(seconds: float | None) -> int | None:
    """A wait in whole seconds; None when no counter that serves the service is open now."""
    return None if seconds is None else round(seconds)
