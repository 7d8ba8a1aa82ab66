"""The live hall page shows each call's state: waiting to be announced, or announced (and when),
so a supervisor sees at once a call the hall has not heard. Real controller, mosquitto, Chromium."""

from __future__ import annotations

import datetime as dt

import pytest

from hall import clock as hall_clock
from protocol.envelope import format_epoch

from .conftest import WAIT_S, issue_ticket, wait_until

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
expect.set_options(timeout=WAIT_S * 1000)


def test_the_live_page_shows_whether_each_call_was_announced(hall_web, device, page_for, shot):
    web = hall_web()
    web.add_user("wang", "supervisor")
    page = page_for(web, "wang")
    live = page.locator("#live")
    kiosk, c1, c2, screen = (
        device(web, d, **({"state": {"paper": "ok"}} if d == "K1" else {})) for d in ("K1", "C1", "C2", "D1")
    )
    for caller, clerk in ((c1, "S001"), (c2, "S002")):
        caller.request("counter.open", {"clerk": clerk})
    issue_ticket(kiosk)
    issue_ticket(kiosk)
    c1.request("counter.call_next")
    c2.request("counter.call_next")
    expect(live.locator('[data-counter="1"]')).to_contain_text("待播报")
    expect(live.locator('[data-counter="2"]')).to_contain_text("waiting to be announced")

    heard = hall_clock.now()
    at = format_epoch(heard)
    screen.send("calls.ack", {"seq": 1, "calls": [{"seq": 1, "outcome": "spoken", "started": at, "ended": at}]})
    wait_until(lambda: any(t.heard_at for t in web.engine.state.tickets.values()), "the controller hears call 1")
    clock = dt.datetime.fromtimestamp(heard, web.hall.tz).strftime("%H:%M:%S")
    expect(live.locator('[data-counter="1"]')).to_contain_text(f"已播报 announced at {clock}")
    expect(live.locator('[data-counter="2"]')).to_contain_text("待播报")
    shot(page, "live-call-state")
