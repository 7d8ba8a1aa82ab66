"""What the hall must hear after a batch of events: calls, rating prompts, alerts.

Pure: events in, (topic, message) pairs out. The gateway publishes them only after the events
are committed to the journal, so nothing is announced that a crash could take back.
"""

from __future__ import annotations

from dataclasses import dataclass

from hall.config import Hall
from hall_controller.engine import events as ev
from hall_controller.views import rfc3339
from protocol import envelope, topics


@dataclass(frozen=True)
class Outgoing:
    topic: str
    message: envelope.Message
    qos: int = 1
    retain: bool = False


def announcements(hall: Hall, events: list, now: float) -> list[Outgoing]:
    """What the hall is told of these events (calls, rating prompts, alerts), stamped at `now`."""
    out: list[Outgoing] = []
    evaluators: dict[int, list[str]] = {}
    for e in hall.evaluators.values():
        evaluators.setdefault(e.counter, []).append(e.id)
    calls, alerts = topics.calls(hall.id), topics.alerts(hall.id)
    for e in events:
        kind = type(e)
        if kind is ev.TicketCalled or kind is ev.TicketRecalled:
            out.append(
                Outgoing(
                    calls,
                    envelope.make_message(
                        "call.made",
                        {
                            "seq": e.call_seq,
                            "ticket": e.ticket,
                            "label": e.label,
                            "service": e.service,
                            "counter": e.counter,
                            "recall": kind is ev.TicketRecalled,
                            "at": rfc3339(e.at),
                        },
                        now=now,
                    ),
                )
            )
        elif kind is ev.RatingPrompted:
            body = {
                "prompt": e.prompt,
                "ticket": e.ticket.rsplit("-", 1)[-1],
                "counter": e.counter,
                "deadline": rfc3339(e.deadline),
            }
            out += [
                Outgoing(topics.device_down(hall.id, d), envelope.make_message("rating.prompt", body, now=now))
                for d in evaluators.get(e.counter, ())
            ]
        elif kind is ev.RatingClosed:
            body = {"prompt": e.prompt, "reason": e.reason}
            out += [
                Outgoing(topics.device_down(hall.id, d), envelope.make_message("rating.cancel", body, now=now))
                for d in evaluators.get(e.counter, ())
            ]
        elif kind is ev.AlertRaised:
            out.append(
                Outgoing(
                    alerts,
                    envelope.make_message(
                        "alert.raised",
                        {
                            "alert": e.alert,
                            "kind": e.kind,
                            "subject": e.subject,
                            "message": e.message,
                            "at": rfc3339(e.at),
                        },
                        now=now,
                    ),
                )
            )
        elif kind is ev.AlertCleared:
            out.append(
                Outgoing(
                    alerts, envelope.make_message("alert.cleared", {"alert": e.alert, "at": rfc3339(e.at)}, now=now)
                )
            )
        elif kind is ev.AlertAcknowledged:
            out.append(
                Outgoing(
                    alerts,
                    envelope.make_message(
                        "alert.acknowledged", {"alert": e.alert, "by": e.by, "at": rfc3339(e.at)}, now=now
                    ),
                )
            )
    return out
