"""From a device's message to engine commands, and from their results to the reply.

The gateway knows MQTT; the engine knows tickets; this module knows both vocabularies and
nothing else. The device's identity comes from its topic (checked against the hall file), never
from the message: a caller's counter is the counter the hall file puts it at, so a clerk's
keypad cannot act for another counter.
"""

from __future__ import annotations

from hall.config import Hall
from hall_controller import views
from hall_controller.durable import Result
from hall_controller.engine import Engine, Refused
from hall_controller.engine import commands as c
from hall_controller.engine import events as ev
from protocol.envelope import parse_ts

CALLER_COMMANDS = {
    "counter.close": c.CloseCounter,
    "counter.resume": c.ResumeCounter,
    "counter.call_next": c.CallNext,
    "counter.recall": c.Recall,
    "counter.start": c.StartService,
    "counter.no_show": c.MarkNoShow,
    "counter.hold": c.Hold,
}


def epoch(ts: str) -> float:
    return parse_ts(ts).timestamp()


def counter_of(hall: Hall, device: str, role: str) -> int:
    return (hall.callers if role == "caller" else hall.evaluators)[device].counter


def commands_for(type_name: str, body: dict, device: str, role: str, hall: Hall, engine: Engine) -> list:
    """The engine commands a checked message asks for (empty: a question, answered from state).
    Raises Refused when the message names something that does not exist (a ticket label)."""
    if type_name == "ticket.request":
        return [c.RequestTicket(body.get("service"), body.get("class", "normal"), device, body.get("appointment"))]
    if type_name == "ticket.printed":
        return [c.ConfirmPrinted(body["ticket"], kiosk=device)]
    if type_name == "ticket.print_failed":
        return [c.ReportPrintFailed(body["ticket"], body.get("reason", "print failed"), kiosk=device)]
    if type_name == "offline.lease":
        return [c.LeaseOfflineBlock(device, body["service"])]
    if type_name == "offline.backfill":
        return [
            c.BackfillOffline(device, t["service"], t["number"], epoch(t["issued_at"]), t.get("class", "normal"))
            for t in body["tickets"]
        ]
    if type_name == "rating.submit":
        return [
            c.SubmitRating(body["prompt"], body["level"], epoch(body["pressed_at"]), counter_of(hall, device, role))
        ]
    counter = counter_of(hall, device, role) if role == "caller" else None
    if type_name in CALLER_COMMANDS:
        return [CALLER_COMMANDS[type_name](counter)]
    if type_name == "counter.open":
        return [c.OpenCounter(counter, body["clerk"])]
    if type_name == "counter.pause":
        return [c.PauseCounter(counter, body["reason"])]
    if type_name == "counter.resume_held":
        held = body.get("ticket")
        return [c.ResumeHeld(counter, resolve_ticket(engine, held) if held else None)]
    if type_name == "counter.transfer":
        return [c.Transfer(counter, body.get("service"), body.get("counter"))]
    if type_name == "counter.finish":
        return [c.Finish(counter, body.get("outcome", "completed"))]
    if type_name == "ticket.reinstate":
        return [c.Reinstate(resolve_ticket(engine, body["ticket"]))]
    if type_name == "ticket.priority":
        return [c.DecidePriority(resolve_ticket(engine, body["ticket"]), body["confirm"], counter=counter)]
    if type_name == "calls.ack":
        return [calls_heard(device, body)]
    if type_name == "counter.status":
        return []
    raise Refused("not_allowed", f"{type_name!r} is not a request the controller takes on a device's up topic")


def calls_heard(device: str, body: dict) -> c.ReportCalls:
    """A display's ack as the engine takes it: what it did with each call, or (an older display
    that names no calls) every call up to `seq` shown."""
    calls = body.get("calls")
    if calls is None:
        return c.ReportCalls(device, (), upto=body["seq"] or None)
    return c.ReportCalls(
        device,
        tuple(
            c.CallOutcome(
                call["seq"],
                call["outcome"],
                epoch(call["started"]) if "started" in call else None,
                epoch(call["ended"]) if "ended" in call else None,
                call.get("reason"),
            )
            for call in calls
        ),
    )


def resolve_ticket(engine: Engine, text: str) -> str:
    """A ticket id from its id or from today's label ("A023"), as clerks know it."""
    s = engine.state
    if text in s.tickets:
        return text
    label = text.strip().upper()
    for service in engine.hall.services.values():
        number = label[len(service.prefix) :]
        if label.startswith(service.prefix) and number.isdigit():
            ticket_id = f"{s.days[service.id]}-{service.display_number(int(number))}"
            if ticket_id in s.tickets:
                return ticket_id
    raise Refused("unknown_ticket", f"there is no ticket {text} today")


def reply_body(
    type_name: str, results: list[Result], device: str, role: str, hall: Hall, engine: Engine, status_url
) -> dict:
    """What a successful reply carries (see the catalogue); `results` are the commands' results."""
    if type_name == "ticket.request":
        reserved = next(e for e in results[0].events if isinstance(e, ev.TicketReserved))
        return {"ticket": views.ticket(engine, reserved.ticket, status_url(reserved.ticket))}
    if type_name == "offline.lease":
        lease = next(e for e in results[0].events if isinstance(e, ev.OfflineBlockLeased))
        return {"block": {"service": lease.service, "day": lease.day, "first": lease.first, "last": lease.last}}
    if type_name == "offline.backfill":
        out = []
        for r in results:
            issued = next((e for e in r.events if isinstance(e, ev.TicketIssuedOffline)), None)
            entry = {"ok": r.ok}
            if issued is not None:
                entry.update(service=issued.service, number=issued.number, ticket=issued.ticket)
            else:
                entry["error"] = {"code": r.refused.code, "message": r.refused.message}
            out.append(entry)
        return {"results": out}
    if role == "caller":
        return {"view": views.counter_view(engine, counter_of(hall, device, role))}
    return {}


def refusal_of(type_name: str, results: list[Result]) -> Refused | None:
    """The refusal to report for a message, if any. A backfill is answered per ticket instead."""
    if type_name == "offline.backfill":
        return None
    return next((r.refused for r in results if r.refused is not None), None)
