"""What the web reads from the engine, as plain data, built on the controller's loop thread.

The gateway's loop owns the engine; the web never touches it. These pure functions are what the
loop runs for the web: `live_hall` (the gateway's `live_view`: rebuilt when something changed,
read by every live page), and, through `gateway.query`, `ticket_status`, `follow_ups` and
`tickets_after`. Each returns dicts, lists, strings and numbers only, so the web's threads can
keep them without sharing anything with the engine.
"""

from __future__ import annotations

import itertools

from hall_controller import views
from hall_controller.engine import Engine, TicketState

RECENT_ALERTS = 30


def live_hall(engine: Engine) -> dict:
    """Everything the live hall page shows: counters, queues, devices, alerts, calls, notices."""
    s, hall = engine.state, engine.hall
    board = views.board(engine)
    counters = []
    for number, desk in s.desks.items():
        counter = hall.counters[number]
        current = None
        if desk.current is not None:
            t = s.tickets[desk.current]
            since = t.started_at if t.state is TicketState.SERVING else t.called_at
            current = {
                "label": t.label,
                "service": t.service,
                "state": t.state.value,
                "since": since,
                "recalls": t.recalls,
                "announced": views.announced(engine, t, wire=False),
            }
        counters.append(
            {
                "number": number,
                "name": {"zh": counter.names.zh, "en": counter.names.en},
                "state": desk.state.value,
                "clerk": desk.clerk,
                "reason": desk.pause_reason,
                "since": desk.since,
                "ticket": current,
                "held": [s.tickets[h].label for h in desk.held],
                "waiting": views.waiting_for(engine, number),
                "rating_open": desk.prompt is not None,
            }
        )
    services = []
    for row, service in zip(board["services"], hall.services.values()):
        services.append(
            {**row, "oldest_since": s.waiting.oldest_since(service.id), "target_wait_s": service.target_wait_s}
        )
    devices = []
    for role, table in (
        ("kiosk", hall.kiosks),
        ("caller", hall.callers),
        ("evaluator", hall.evaluators),
        ("display", hall.displays),
    ):
        for device_id, device in table.items():
            status = s.devices.get(device_id)
            devices.append(
                {
                    "id": device_id,
                    "role": role,
                    "counter": getattr(device, "counter", None),
                    "seen": status is not None,
                    "online": status is not None and status.online,
                    "paper": status.paper if status is not None and role == "kiosk" else None,
                    "fault": status.fault if status is not None else None,
                    "since": status.since if status is not None else None,
                }
            )
    active = set(s.active_alerts.values())
    alerts = [_alert(a, a.id in active) for a in itertools.islice(reversed(s.alerts.values()), RECENT_ALERTS)]
    texts = notices(engine)
    calls = [
        {"seq": e.call_seq, "label": e.label, "counter": e.counter, "recall": hasattr(e, "recalls"), "at": e.at}
        for e in reversed(s.recent_calls)
    ][: views.BOARD_CALLS]
    return {
        "hall": hall.id,
        "counters": counters,
        "services": services,
        "devices": devices,
        "alerts": alerts,
        "active_alerts": len(active),
        "calls": calls,
        **texts,
        "open_follow_ups": sum(1 for f in s.followups.values() if f.closed_at is None),
        "tickets_seq": s.seq,
    }


def notices(engine: Engine) -> dict:
    """The screens' scrolling notice and incident notice as they are now."""
    s = engine.state
    return {
        "notice": {"zh": s.notice[0], "en": s.notice[1]},
        "incident": None
        if s.incident is None
        else {
            "zh": s.incident.zh,
            "en": s.incident.en,
            "since": s.incident.since,
            "expected_back": s.incident.expected_back,
            "by": s.incident.by,
        },
    }


def _alert(a, active: bool) -> dict:
    return {
        "id": a.id,
        "kind": a.kind,
        "subject": a.subject,
        "message": a.message,
        "raised_at": a.raised_at,
        "cleared_at": a.cleared_at,
        "acked_by": a.acked_by,
        "acked_at": a.acked_at,
        "active": active,
    }


def ticket_status(engine: Engine, ticket_id: str) -> dict | None:
    """What the citizen's phone shows: the ticket's service and state, its place in the queue and
    the estimated wait, or the counter it is called to. Nothing about anyone else, nothing personal."""
    s, hall = engine.state, engine.hall
    t = s.tickets.get(ticket_id)
    if t is None:
        return None
    service = hall.services[t.service]
    out = {
        "label": t.label,
        "service": {"zh": service.names.zh, "en": service.names.en},
        "state": t.state.value,
        "issued_at": t.arrival,
        "counter": None,
        "ahead": None,
        "estimated_wait_s": None,
        "recalls": t.recalls,
    }
    if t.state is TicketState.WAITING:
        ahead = s.waiting.position(t)
        out["ahead"] = ahead
        wait = engine.estimate_wait(t.service, ahead, t.klass, t.key)
        out["estimated_wait_s"] = None if wait is None else round(wait)
        out["no_counter_open"] = wait is None
    elif t.state in (TicketState.CALLED, TicketState.SERVING, TicketState.HELD) and t.counter is not None:
        counter = hall.counters[t.counter]
        out["counter"] = {"number": t.counter, "zh": counter.names.zh, "en": counter.names.en}
        out["called_at"] = t.called_at
    return out


def ticket_statuses(ticket_ids: list[str]):
    """A query answering many phones at once: {ticket id: ticket_status}."""

    def read(engine: Engine) -> dict:
        return {ticket_id: ticket_status(engine, ticket_id) for ticket_id in ticket_ids}

    return read


def tickets_after(seq: int):
    """A query: (ticket id, issue order) of the tickets in memory issued after `seq`."""

    def read(engine: Engine) -> list[tuple[str, int]]:
        return [(t.id, t.seq) for t in engine.state.tickets.values() if t.seq > seq]

    return read


def follow_ups(engine: Engine) -> list[dict]:
    """Every follow-up the engine keeps (open ones, and those closed in the last month)."""
    hall = engine.hall
    out = []
    for f in engine.state.followups.values():
        service = hall.services.get(f.service)
        out.append(
            {
                "ticket": f.ticket,
                "label": f.label,
                "counter": f.counter,
                "clerk": f.clerk,
                "service": {"zh": service.names.zh, "en": service.names.en}
                if service
                else {"zh": f.service, "en": f.service},
                "level": f.level,
                "opened_at": f.opened_at,
                "notes": [{"at": at, "by": by, "note": note} for at, by, note in f.notes],
                "closed_at": f.closed_at,
                "closed_by": f.closed_by,
            }
        )
    return out


def priority_requests(engine: Engine) -> list[dict]:
    """The tickets in memory that asked for priority at a kiosk where staff confirm it, oldest
    first: those still to be decided and those decided (confirmed or refused) today."""
    hall = engine.hall
    out = []
    for t in engine.state.tickets.values():
        if t.priority_check is None or t.state.value in ("voided", "expired"):
            continue
        if t.priority_check == "asked" and t.state.value in ("done", "no_show"):
            continue  # gone undecided: nothing left to decide
        service = hall.services[t.service]
        out.append(
            {
                "id": t.id,
                "label": t.label,
                "check": t.priority_check,
                "state": t.state.value,
                "name": {"zh": service.names.zh, "en": service.names.en},
                "issued_at": t.arrival,
                "kiosk": t.kiosk,
            }
        )
    return sorted(out, key=lambda t: t["issued_at"])


def appointments(engine: Engine) -> list[dict]:
    """The bookings the engine holds (today's and later ones), earliest slot first."""
    s, hall = engine.state, engine.hall
    out = []
    for a in s.appointments.values():
        service = hall.services[a.service]
        ticket = s.tickets.get(a.ticket) if a.ticket is not None else None
        out.append(
            {
                "code": a.code,
                "service": a.service,
                "name": {"zh": service.names.zh, "en": service.names.en},
                "start": a.slot_start,
                "end": a.slot_end,
                "ticket": ticket.label if ticket is not None else (a.ticket.rsplit("-", 1)[-1] if a.ticket else None),
                "state": ticket.state.value if ticket is not None else None,
            }
        )
    return sorted(out, key=lambda a: (a["start"], a["code"]))
