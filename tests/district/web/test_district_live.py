"""The district's live page: a hall's board on the district broker appears live in Chromium;
a hall's supervisor sees only that hall (pages, live streams); login and CSRF as in the hall web."""

from __future__ import annotations

import http.client
from urllib.parse import urlparse

import pytest
from district_web_support import PASSWORD, Client


def first_event(web, client: Client, path: str) -> tuple[int, str]:
    """The status of an SSE stream and its first event's text (the stream is then dropped)."""
    parsed = urlparse(web.url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    conn.request("GET", path, headers={"Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())})
    response = conn.getresponse()
    if response.status != 200:
        conn.close()
        return response.status, ""
    text = b""
    while b"\r\n\r\n" not in text and b"\n\n" not in text:
        text += response.fp.readline()
    conn.close()
    return 200, text.decode()


def test_a_board_change_in_a_hall_appears_live_in_the_browser(district_web, district_page, tmp_path):
    expect = pytest.importorskip("playwright.sync_api").expect
    web = district_web()
    web.publish_board("xinhua", 3)
    web.wait_version(lambda live: "xinhua" in live.halls)
    page = district_page(web, "viewer")
    row = page.locator("tr[data-hall=xinhua] [data-waiting]")
    assert row.inner_text() == "3"
    assert page.locator("tr[data-hall=beihai]").count() == 1
    web.publish_board("xinhua", 17, "A009")
    expect(row).to_have_text("17")
    page.screenshot(path=str(tmp_path / "district.png"), full_page=True)

    page.click("tr[data-hall=xinhua] a")
    page.wait_for_url(web.url + "/halls/xinhua")
    assert page.locator("#hall-waiting").inner_text() == "17"
    web.publish_board("xinhua", 18, "A010")
    expect(page.locator("#hall-waiting")).to_have_text("18")
    assert "A010" in page.inner_text("main")


def test_a_hall_supervisor_sees_only_that_hall(district_web):
    web = district_web()
    web.publish_board("xinhua", 4)
    web.publish_board("beihai", 9)
    web.wait_version(lambda live: {"xinhua", "beihai"} <= live.halls.keys())
    sup = Client(web.url)
    assert sup.login("sup_x")[0] == 303
    status, _, html = sup.get("/")
    assert status == 200 and 'data-hall="xinhua"' in html and "beihai" not in html
    for path in ("/halls/beihai", "/halls/beihai/events"):
        assert sup.get(path)[0] == 404, path
    assert sup.get("/halls/xinhua")[0] == 200
    status, event = first_event(web, sup, "/events")
    assert status == 200 and "xinhua" in event and "beihai" not in event
    status, _ = first_event(web, sup, "/halls/beihai/events")
    assert status == 404
    status, _, html = sup.get("/fleet")
    assert status == 200 and "beihai" not in html

    viewer = Client(web.url)
    viewer.login("viewer")
    status, _, html = viewer.get("/")
    assert 'data-hall="xinhua"' in html and 'data-hall="beihai"' in html


def test_login_csrf_and_expiry(district_web):
    web = district_web()
    anonymous = Client(web.url)
    status, headers, _ = anonymous.get("/")
    assert status == 303 and headers["location"].startswith("/login")
    assert anonymous.get("/events")[0] == 403
    assert anonymous.login("viewer", "wrong password")[0] == 401
    assert anonymous.login("nobody", PASSWORD)[0] == 401

    client = Client(web.url)
    assert client.login("viewer")[0] == 303
    assert client.get("/")[0] == 200
    assert client.post("/logout", {})[0] == 403, "a POST without the CSRF token"
    assert client.post("/logout", {"csrf": "forged"})[0] == 403
    web.clock.advance(31 * 60)
    assert client.get("/")[0] == 303, "an idle session ends"

    forged = Client(web.url)
    status, _, html = forged.get("/login")
    assert forged.post("/login", {"csrf": "not-the-cookie", "name": "viewer", "password": PASSWORD})[0] == 403


def test_bad_messages_on_the_district_broker_change_nothing(district_web):
    web = district_web()
    web.hall_peer.publish("hall/xinhua/board", b"not json", retain=True)
    web.hall_peer.publish("hall/xinhua/dev/K1/state", b'{"v": 9}', retain=True)
    web.publish_board("beihai", 2)
    web.wait_version(lambda live: "beihai" in live.halls)
    assert "xinhua" not in web.site.feed.live.halls


def test_a_district_admin_manages_users_and_no_one_else_can(district_web):
    web = district_web()
    admin = Client(web.url)
    admin.login("admin")
    token = admin.csrf("/users")
    form = {
        "csrf": token,
        "name": "dora",
        "role": "viewer",
        "hall": "beihai",
        "password": PASSWORD,
        "password2": PASSWORD,
    }
    assert admin.post("/users/add", form)[0] == 303
    user = web.accounts.get("dora")
    assert (user.role, user.hall) == ("viewer", "beihai")
    assert admin.post("/users/add", {**form, "name": "eve", "role": "admin"})[0] == 303
    assert web.accounts.get("eve") is None, "a hall's user is never admin"
    status, _, html = admin.get("/users")
    assert (
        "a hall&#39;s user is a viewer or a supervisor" in html or "a hall's user is a viewer or a supervisor" in html
    )

    dora = Client(web.url)
    assert dora.login("dora")[0] == 303
    status, _, html = dora.get("/")
    assert 'data-hall="beihai"' in html and 'data-hall="xinhua"' not in html
    assert admin.post("/users/dora/remove", {"csrf": token})[0] == 303
    assert dora.get("/")[0] == 303, "a removed user's session ends"

    for name in ("viewer", "sup_x"):
        other = Client(web.url)
        other.login(name)
        assert other.get("/users")[0] == 403
        assert other.post("/users/add", {**form, "csrf": other.csrf("/"), "name": "mallory"})[0] == 403
    assert web.accounts.get("mallory") is None


def test_the_database_down_is_one_sentence_not_a_crash(district_web):
    web = district_web()
    client = Client(web.url)
    client.login("viewer")
    unreachable = "host=127.0.0.1 port=1 dbname=nowhere user=nobody connect_timeout=2"
    web.site.dsn = web.accounts.dsn = unreachable
    web.site._registry_at = web.site._satisfaction_at = float("-inf")
    for path in ("/", "/reports", "/followups", "/login"):
        status, headers, html = client.get(path)
        assert status == 503 and "The district database does not answer" in html, path
