"""Booking appointments on the web, and checking in with the code at a real kiosk link."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from hall_controller.engine import events as ev

from .conftest import Client, journal_events


def slot_today(web, hours_from_now: float = 0.25) -> tuple[str, str, str]:
    start = dt.datetime.fromtimestamp(web.clock() + hours_from_now * 3600, web.hall.tz).replace(second=0, microsecond=0)
    end = start + dt.timedelta(minutes=30)
    return start.date().isoformat(), start.strftime("%H:%M"), end.strftime("%H:%M")


def test_a_supervisor_books_and_the_citizen_checks_in_with_the_code(hall_web, device):
    web = hall_web()
    web.add_user("wang", "supervisor")
    client = Client(web.url)
    client.login("wang")
    day, start, end = slot_today(web)
    status, _, _ = client.post(
        "/appointments/book",
        {
            "csrf": client.csrf("/appointments"),
            "service": "property",
            "day": day,
            "start": start,
            "end": end,
            "code": "",
        },
    )
    assert status == 303
    page = client.get("/appointments")[2]
    code = re.search(r"code is ([A-Z0-9]+)", page).group(1)
    (booked,) = journal_events(web, "AppointmentBooked")
    assert (booked.code, booked.service, booked.by) == (code, "property", "wang")

    kiosk = device(web, "K1")
    reply = kiosk.request("ticket.request", {"appointment": code})
    ticket = reply.body["ticket"]
    assert ticket["class"] == "appointment" and ticket["service"] == "property"
    kiosk.request("ticket.printed", {"ticket": ticket["id"]})
    page = client.get("/appointments")[2]
    assert f"<b>{ticket['label']}</b>" in page, "the booking shows the ticket it checked in with"
    assert "/cancel" not in page, "a booking that checked in cannot be cancelled"


def test_an_import_with_one_bad_line_books_nothing_and_names_the_line(hall_web):
    web = hall_web()
    web.add_user("wang", "supervisor")
    client = Client(web.url)
    client.login("wang")
    day, start, end = slot_today(web, 1)
    lines = (
        f"code,service,day,start,end\nAB1234,social,{day},{start},{end}\n,tax,{day},{start},{end}\n"
        f"CD5678,parking,{day},{start},{end}\n"
    )
    client.post("/appointments/import", {"csrf": client.csrf("/appointments"), "lines": lines})
    page = client.get("/appointments")[2]
    assert "Nothing imported: line 3: there is no service &#39;parking&#39;" in page
    assert web.engine.state.appointments == {} and journal_events(web, "AppointmentBooked") == []

    client.post(
        "/appointments/import", {"csrf": client.csrf("/appointments"), "lines": lines.replace("parking", "fund")}
    )
    assert "3 booked." in client.get("/appointments")[2]
    assert {"AB1234", "CD5678"} <= set(web.engine.state.appointments) and len(web.engine.state.appointments) == 3

    client.post("/appointments/AB1234/cancel", {"csrf": client.csrf("/appointments")})
    assert "Booking AB1234 cancelled." in client.get("/appointments")[2]
    assert [e.by for e in journal_events(web, "AppointmentCancelled")] == ["wang"]


def test_a_viewer_sees_bookings_but_cannot_book(hall_web):
    web = hall_web()
    web.add_user("zhou", "viewer")
    client = Client(web.url)
    client.login("zhou")
    status, _, page = client.get("/appointments")
    assert status == 200 and "book-form" not in page and "Read only" in page
    day, start, end = slot_today(web)
    status, _, _ = client.post(
        "/appointments/book",
        {
            "csrf": client.csrf("/appointments"),
            "service": "social",
            "day": day,
            "start": start,
            "end": end,
            "code": "X1",
        },
    )
    assert status == 403 and web.engine.state.appointments == {}
    assert ev.AppointmentBooked not in {type(e) for e in journal_events(web)}


def test_the_appointments_page_in_a_browser(hall_web, page_for, shot, device):
    web = hall_web()
    web.add_user("wang", "supervisor")
    page = page_for(web, "wang")
    page.goto(web.url + "/appointments")
    day, start, end = slot_today(web)
    page.select_option("select[name=service]", "fund")
    page.fill("input[name=day]", day)
    page.fill("input[name=start]", start)
    page.fill("input[name=end]", end)
    page.click("#book-form button[type=submit]")
    page.wait_for_selector("table#appointments")
    day2, start2, end2 = slot_today(web, 2)
    page.fill("#import-form textarea", f"QX77RT,social,{day2},{start2},{end2}\n,tax,{day2},{start2},{end2}")
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("text=2 booked.")
    assert page.locator("table#appointments tbody tr").count() == 3
    shot(page, "appointments")


def test_a_slot_past_midnight_ends_on_the_next_day(example_hall):
    from hall_controller.web.appointments import BadBooking, slot

    tz = example_hall.tz
    begin, end = slot(tz, "2026-12-04", "23:45", "00:15")
    assert dt.datetime.fromtimestamp(begin, tz) == dt.datetime(2026, 12, 4, 23, 45, tzinfo=tz)
    assert end - begin == 30 * 60
    for start, finish in (("10:00", "10:00"), ("10:00", "09:00")):  # no length, or 23 hours
        with pytest.raises(BadBooking, match="must end after it starts"):
            slot(tz, "2026-12-04", start, finish)


def test_a_booking_made_at_2345_for_2345_to_0015_checks_in_at_0005(hall_web, device, monkeypatch):
    from testkit import set_hall_time

    set_hall_time("2026-12-04T23:45:00+08:00", monkeypatch)
    web = hall_web()
    web.add_user("wang", "supervisor")
    client = Client(web.url)
    client.login("wang")
    status, _, _ = client.post(
        "/appointments/book",
        {
            "csrf": client.csrf("/appointments"),
            "service": "social",
            "day": "2026-12-04",
            "start": "23:45",
            "end": "00:15",
            "code": "NIGHT1",
        },
    )
    assert status == 303 and "NIGHT1" in web.engine.state.appointments
    set_hall_time("2026-12-05T00:05:00+08:00", monkeypatch)  # twenty minutes later, past midnight
    reply = device(web, "K1").request("ticket.request", {"appointment": "NIGHT1"})
    assert reply.ok, reply.error
    assert reply.body["ticket"]["class"] == "appointment"
