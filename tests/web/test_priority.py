"""Priority asked for at the touch kiosk (K2, where staff confirm it): a supervisor confirms or
refuses it on the web; the decision is journalled with the supervisor's name, and a viewer may
look but not decide."""

from __future__ import annotations

import pytest

from .conftest import Client, journal_events


def ask_for_priority(kiosk, service: str = "social") -> dict:
    ticket = kiosk.request("ticket.request", {"service": service, "class": "priority"}).body["ticket"]
    kiosk.request("ticket.printed", {"ticket": ticket["id"]})
    return ticket


def test_a_supervisor_confirms_or_refuses_on_the_web(hall_web, device):
    web = hall_web()
    web.add_user("wang", "supervisor")
    kiosk = device(web, "K2", state={"paper": "ok"})
    first, second = ask_for_priority(kiosk), ask_for_priority(kiosk, "tax")
    assert first["priority"] == "asked" and first["class"] == "normal"
    client = Client(web.url)
    client.login("wang")
    page = client.get("/priority")[2]
    assert f"<b>{first['label']}</b>" in page and f"<b>{second['label']}</b>" in page
    assert f'action="/priority/{first["id"]}/decide"' in page

    csrf = client.csrf("/priority")
    status, headers, _ = client.post(f"/priority/{first['id']}/decide", {"csrf": csrf, "decision": "confirm"})
    assert status == 303
    client.post(f"/priority/{second['id']}/decide", {"csrf": csrf, "decision": "refuse"})
    page = client.get("/priority")[2]
    assert "No priority request is waiting." in page and "confirmed" in page and "refused" in page
    decided = journal_events(web, "PriorityDecided")
    assert [(e.ticket, e.confirmed, e.by, e.counter) for e in decided] == [
        (first["id"], True, "wang", None),
        (second["id"], False, "wang", None),
    ]
    tickets = web.engine.state.tickets
    assert (tickets[first["id"]].klass, tickets[second["id"]].klass) == ("priority", "normal")

    client.post(f"/priority/{first['id']}/decide", {"csrf": csrf, "decision": "refuse"})  # decided already
    assert "already confirmed" in client.get("/priority")[2]
    assert len(journal_events(web, "PriorityDecided")) == 2


def test_a_viewer_sees_the_requests_but_cannot_decide(hall_web, device):
    web = hall_web()
    web.add_user("li", "viewer")
    kiosk = device(web, "K2", state={"paper": "ok"})
    ticket = ask_for_priority(kiosk)
    client = Client(web.url)
    client.login("li")
    page = client.get("/priority")[2]
    assert f"<b>{ticket['label']}</b>" in page and "/decide" not in page
    status, _, _ = client.post(
        f"/priority/{ticket['id']}/decide", {"csrf": client.csrf("/priority"), "decision": "confirm"}
    )
    assert status == 403
    assert journal_events(web, "PriorityDecided") == []


def test_the_priority_page_in_a_browser(hall_web, device, page_for, shot):
    web = hall_web()
    web.add_user("wang", "supervisor")
    kiosk = device(web, "K2", state={"paper": "ok"})
    for service in ("social", "property", "tax"):
        ask_for_priority(kiosk, service)
    page = page_for(web, "wang")
    page.goto(f"{web.url}/priority")
    expect = pytest.importorskip("playwright.sync_api").expect
    page.locator("#priority-asked button[value=refuse]").nth(1).click()
    expect(page.locator("#priority-decided tr")).to_have_count(2)  # each click loads a new page: wait for it
    page.locator("#priority-asked button[value=confirm]").first.click()
    expect(page.locator("#priority-decided tr")).to_have_count(3)  # the header and the two decided
    expect(page.locator("#priority-asked button[value=confirm]")).to_have_count(1)
    shot(page, "priority")
