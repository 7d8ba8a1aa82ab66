"""Booked appointments: see them, book one, import a day's bookings, cancel one.

A booking gives the citizen a code; at the kiosk the code checks them in as an appointment ticket
(a head start, counted from the slot). Booking systems differ from hall to hall, so the web takes
bookings two ways a supervisor can always use: one at a time, or pasted as CSV lines exported from
wherever the bookings were made. An import is checked completely before anything is booked: one
bad line books nothing and says which line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from hall_controller.engine import commands as c
from hall_controller.web import guard, snapshots
from hall_controller.web.feed import ask, carry_out
from hall_controller.web.guard import site_of

CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
MAX_IMPORT = 500


class BadBooking(ValueError):
    """A booking the form or the import cannot take; the message says what and where."""


def new_code() -> str:
    return "".join(secrets.choice(CODE_LETTERS) for _ in range(6))


MAX_SLOT = dt.timedelta(hours=12)


def slot(tz, day: str, start: str, end: str) -> tuple[float, float]:
    """A slot starting on `day` (YYYY-MM-DD) from `start` to `end` (HH:MM), as epoch seconds in the
    hall's zone. An end earlier than the start is on the next day (23:45–00:15 is half an hour
    across midnight), so long as the slot stays within 12 hours; an end equal to the start, or
    a slot longer than that, is a mistake."""
    try:
        date = dt.date.fromisoformat(day.strip())
        begin = dt.datetime.combine(date, dt.time.fromisoformat(start.strip()), tzinfo=tz)
        finish = dt.datetime.combine(date, dt.time.fromisoformat(end.strip()), tzinfo=tz)
    except ValueError:
        raise BadBooking("write the day as 2026-11-23 and the times as 10:00") from None
    if finish < begin:
        finish = dt.datetime.combine(date + dt.timedelta(days=1), finish.time(), tzinfo=tz)
    if finish == begin or finish - begin > MAX_SLOT:
        raise BadBooking("the slot must end after it starts, and within 12 hours")
    return begin.timestamp(), finish.timestamp()


def parse_import(text: str, hall, taken: set[str]) -> list[tuple[str, str, float, float]]:
    """CSV lines `code,service,YYYY-MM-DD,HH:MM,HH:MM` (an empty code: one is made); all or nothing."""
    rows = [r for r in csv.reader(io.StringIO(text)) if r and any(cell.strip() for cell in r)]
    if rows and rows[0][0].strip().lower() == "code":
        rows = rows[1:]  # a header line
    if not rows:
        raise BadBooking("nothing to import: paste lines like ,social,2026-11-23,10:00,10:30")
    if len(rows) > MAX_IMPORT:
        raise BadBooking(f"at most {MAX_IMPORT} bookings at a time")
    out, seen = [], set(taken)
    for n, row in enumerate(rows, 1):
        if len(row) != 5:
            raise BadBooking(f"line {n}: expected 5 fields (code, service, day, start, end), found {len(row)}")
        code, service, day, start, end = (cell.strip() for cell in row)
        if service not in hall.services:
            raise BadBooking(f"line {n}: there is no service {service!r}")
        code = code.upper() or new_code()
        if not 1 <= len(code) <= 32 or code in seen:
            raise BadBooking(
                f"line {n}: the code {code!r} is already used"
                if code in seen
                else f"line {n}: a code is 1 to 32 characters"
            )
        seen.add(code)
        try:
            begin, finish = slot(hall.tz, day, start, end)
        except BadBooking as e:
            raise BadBooking(f"line {n}: {e}") from None
        out.append((code, service, begin, finish))
    return out


async def appointments_page(request: Request) -> Response:
    staff = await guard.viewer(request)
    site = site_of(request)
    items = await ask(site.port, snapshots.appointments)
    today = dt.datetime.fromtimestamp(site.clock(), site.pages.tz).date().isoformat()
    return HTMLResponse(
        site.pages.render(
            "appointments.html",
            page="appointments",
            hall=site.hall,
            staff=staff,
            flash=staff.session.take_flash(),
            items=items,
            today=today,
            services=site.hall.services.values(),
        )
    )


async def book(request: Request) -> Response:
    staff, form = await guard.posted(request, "supervisor")
    site = site_of(request)
    code = form.get("code", "").strip().upper() or new_code()
    try:
        begin, finish = slot(site.pages.tz, form.get("day", ""), form.get("start", ""), form.get("end", ""))
    except BadBooking as e:
        staff.session.say("error", str(e))
        return guard.back_to("/appointments")
    result = await carry_out(
        site.port, c.BookAppointment(code, form.get("service", ""), begin, finish, by=staff.user.name)
    )
    guard.tell(staff, result, f"已预约，预约码 {code}。Booked: the citizen's code is {code}.")
    return guard.back_to("/appointments")


async def import_bookings(request: Request) -> Response:
    staff, form = await guard.posted(request, "supervisor")
    site = site_of(request)
    taken = {a["code"] for a in await ask(site.port, snapshots.appointments)}
    try:
        bookings = parse_import(form.get("lines", ""), site.hall, taken)
    except BadBooking as e:
        staff.session.say("error", f"没有导入任何预约。Nothing imported: {e}.")
        return guard.back_to("/appointments")
    refused = []
    for code, service, begin, finish in bookings:
        result = await carry_out(site.port, c.BookAppointment(code, service, begin, finish, by=staff.user.name))
        if result.refused is not None:
            refused.append(f"{code}: {result.refused.message}")
    booked = len(bookings) - len(refused)
    staff.session.say(
        "ok" if not refused else "error",
        f"已导入 {booked} 个预约。{booked} booked." + (" Refused: " + "; ".join(refused) if refused else ""),
    )
    return guard.back_to("/appointments")


async def cancel(request: Request) -> Response:
    staff, _ = await guard.posted(request, "supervisor")
    site = site_of(request)
    code = request.path_params["code"]
    result = await carry_out(site.port, c.CancelAppointment(code, by=staff.user.name))
    guard.tell(staff, result, f"预约 {code} 已取消。Booking {code} cancelled.")
    return guard.back_to("/appointments")


routes = [
    Route("/appointments", appointments_page, methods=["GET"]),
    Route("/appointments/book", book, methods=["POST"]),
    Route("/appointments/import", import_bookings, methods=["POST"]),
    Route("/appointments/{code}/cancel", cancel, methods=["POST"]),
]
