"""The reports count priority tickets: self-declared at a "self" kiosk, asked for at a "staff"
kiosk, and the staff's decisions (confirmed, refused), each in the period it happened."""

from __future__ import annotations

import json

from hall_controller.engine import commands as c
from hall_controller.engine import events as ev
from hall_controller.reports.export import to_json, to_text
from hall_controller.reports.figures import report

from .conftest import engine_apply, m, small_hall


def test_priority_self_declared_confirmed_and_refused_are_counted():
    hall = small_hall()
    apply = engine_apply(hall)
    events: list = []

    def take(klass: str, kiosk: str, minutes: float) -> str:
        out = apply(c.RequestTicket("social", klass, kiosk), m(minutes))
        events.extend(out)
        ticket = next(e for e in out if isinstance(e, ev.TicketReserved)).ticket
        events.extend(apply(c.ConfirmPrinted(ticket), m(minutes)))
        return ticket

    events.extend(apply(c.OpenCounter(1, "S1"), m(0)))
    take("priority", "K1", 1)  # self-declared
    asked = [take("priority", "K2", 2 + i) for i in range(3)]
    take("normal", "K2", 6)
    events.extend(apply(c.DecidePriority(asked[0], True, counter=1), m(7)))
    events.extend(apply(c.DecidePriority(asked[1], False, by="wang"), m(8)))
    events.extend(apply(c.DecidePriority(asked[2], True, by="wang"), m(70)))  # after the period below

    r = report(events, hall, m(0), m(60))
    assert r.priority == {"self": 1, "asked": 3, "confirmed": 1, "refused": 1}
    assert json.loads(json.dumps(to_json(r)))["priority"] == {
        "self_declared": 1,
        "asked": 3,
        "confirmed": 1,
        "refused": 1,
    }
    assert "Priority: 1 self-declared at the kiosk; 3 asked for staff to confirm: 1 confirmed, 1 refused" in to_text(r)
    assert report(events, hall, m(0), m(120)).priority["confirmed"] == 2
