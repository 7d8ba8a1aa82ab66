"""From a reserved or offline ticket to its TicketFace, and from the face to what the printer takes.

Pure functions: the controller's reply (or an offline number) and the hall file in, a face out;
the face and the kiosk's printer settings in, a picture (image mode) or ESC/POS text bytes (text
mode, for a printer that prints Chinese from its own font) out. The ticket's time is the
controller's `issued_at` (or, offline, the kiosk's clock), shown in the hall's time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from PIL import Image

from devices.kiosk.offline import OfflineTicket
from devices.kiosk.ticket import TicketFace, render_ticket, ticket_text
from drivers.printer.roll import roll_for
from hall.config import Hall, Kiosk
from protocol.envelope import parse_ts


class BadTicketReply(ValueError):
    """The controller's ticket in a `ticket.request` reply lacks a field or names an unknown service."""


def online_face(hall: Hall, ticket: Mapping[str, Any]) -> TicketFace:
    """The face of a ticket the controller reserved (the `ticket` of the reply)."""
    try:
        if not isinstance(ticket.get("id"), str) or not ticket["id"]:
            raise ValueError("no ticket id")
        service = hall.services[ticket["service"]]
        taken_at = parse_ts(ticket["issued_at"]).astimezone(hall.tz)
        wait = ticket.get("estimated_wait_s")
        klass = ticket.get("class", "normal")
        if klass not in hall.ticket_classes:
            raise ValueError(f"class {klass!r}")
        return TicketFace(
            hall_name=hall.names,
            service_name=service.names,
            label=ticket["label"],
            ahead=ticket["ahead"],
            wait_s=None if wait is None else float(wait),
            taken_at=taken_at,
            qr_url=ticket.get("status_url", ""),
            materials=service.materials,
            footer=hall.footer,
            ticket_class=klass,
            offline=False,
            priority_asked=ticket.get("priority") == "asked",
            no_counter_open=wait is None and ticket.get("no_counter_open") is True,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise BadTicketReply(f"the controller's ticket {dict(ticket)!r} cannot be printed: {e}") from None


def offline_face(hall: Hall, ticket: OfflineTicket, klass: str, ahead: int, kiosk: Kiosk | None = None) -> TicketFace:
    """The face of a ticket issued from a leased block: marked offline, wait unknown, no QR code
    (the status page token is the controller's to make). Priority asked for at a kiosk where
    staff confirm it prints as such (the controller makes it wait as normal until they do)."""
    service = hall.services[ticket.service]
    asked = klass == "priority" and kiosk is not None and kiosk.priority == "staff"
    klass = "normal" if asked else klass
    return TicketFace(
        hall_name=hall.names,
        service_name=service.names,
        label=service.display_number(ticket.number),
        ahead=ahead,
        wait_s=None,
        taken_at=dt.datetime.fromtimestamp(ticket.issued_at, hall.tz),
        qr_url="",
        materials=service.materials,
        footer=hall.footer,
        ticket_class=klass,
        offline=True,
        priority_asked=asked,
    )


def printable(face: TicketFace, kiosk: Kiosk, *, native_qr: bool = False) -> Image.Image | bytes:
    """What `TicketPrinter.print_ticket` takes for this kiosk: text bytes in text mode, else the
    picture (large print as configured)."""
    if kiosk.text_mode:
        return ticket_text(face, roll_for(kiosk.paper_mm).columns, native_qr=native_qr)
    return render_ticket(face, kiosk.paper_mm, kiosk.large_print)
