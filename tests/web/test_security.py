"""Logins, sessions, CSRF, roles and the ticket page's budget, as plain HTTP requests against a real
controller's web (the requests a browser would never send: forged, replayed, too many)."""

from __future__ import annotations

import re

from hall_controller.web.ratelimit import AddressBudget

from .conftest import PASSWORD, Client, issue_ticket, journal_events


def test_a_wrong_password_is_refused_recorded_and_throttled(hall_web):
    web = hall_web()
    web.add_user("wang", "supervisor")
    client = Client(web.url)
    status, _, body = client.login("wang", "not the password")
    assert status == 401 and "Wrong name or password" in body and "hall_session" not in client.cookies
    assert client.get("/")[0] == 303  # still not logged in
    status, _, body = client.login("nobody", PASSWORD)
    assert status == 401 and "Wrong name or password" in body  # the same answer for an unknown name
    for _ in range(4):
        client.login("wang", "still wrong")
    status, headers, body = client.login("wang", PASSWORD)  # right now, but too late
    assert status == 429 and "Too many failed logins" in body and int(headers["retry-after"]) > 0
    web.clock.advance(16 * 60)  # the window passes
    assert client.login("wang", PASSWORD)[0] == 303
    actions = [(r.who, r.action) for r in reversed(web.users.audit_rows())]
    assert actions.count(("wang", "login_failed")) == 5 and ("nobody", "login_failed") in actions
    assert ("wang", "login_blocked") in actions and actions[-1] == ("wang", "login")


def test_with_no_users_the_login_page_says_how_to_add_one(hall_web):
    web = hall_web()
    status, _, body = Client(web.url).get("/login")
    assert status == 200 and "hall user add" in body
    assert Client(web.url).login("admin", "admin")[0] == 401  # no default account


def test_an_expired_session_is_refused(hall_web):
    web = hall_web()
    web.add_user("wang", "supervisor")
    client = Client(web.url)
    assert client.login("wang")[0] == 303
    token = client.csrf("/notices")
    web.clock.advance(29 * 60)
    assert client.get("/notices")[0] == 200  # a request restarts the idle time
    web.clock.advance(31 * 60)  # then 31 minutes of nothing
    status, headers, _ = client.get("/notices")
    assert status == 303 and headers["location"] == "/login?next=/notices"
    status, _, body = client.post("/notices/notice", {"csrf": token, "zh": "过期", "en": "expired"})
    assert status == 403 and "log in again" in body
    assert journal_events(web, "NoticeSet") == []

    assert client.login("wang")[0] == 303  # and however busy, 12 hours at most
    for _ in range(25):
        web.clock.advance(29 * 60)
        if client.get("/notices")[0] != 200:
            break
    assert client.get("/notices")[0] == 303


def test_every_post_needs_the_sessions_csrf_token(hall_web):
    web = hall_web()
    web.add_user("wang", "supervisor")
    client = Client(web.url)
    client.login("wang")
    token = client.csrf("/notices")
    other = Client(web.url)
    other.login("wang")
    for form in (
        {"zh": "无令牌", "en": "no token"},
        {"csrf": "", "zh": "空", "en": "empty"},
        {"csrf": other.csrf("/notices"), "zh": "别人的", "en": "another session's"},
        {"csrf": "令牌", "zh": "非ASCII", "en": "not ascii"},
    ):
        status, _, body = client.post("/notices/notice", form)
        assert status == 403 and "security token" in body, form
    status, _, _ = client.request(
        "POST",
        "/notices/notice",
        b'{"zh": "json", "en": "json"}',
        {"Content-Type": "application/json", "X-CSRF-Token": "x"},
    )
    assert status == 403
    assert journal_events(web, "NoticeSet") == []
    status, headers, _ = client.post("/notices/notice", {"csrf": token, "zh": "有令牌", "en": "with the token"})
    assert status == 303 and headers["location"] == "/notices"
    assert [(e.zh, e.by) for e in journal_events(web, "NoticeSet")] == [("有令牌", "wang")]
    status, _, _ = client.post("/logout", {})  # logging out needs it too
    assert status == 403 and client.get("/notices")[0] == 200
    assert client.post("/logout", {"csrf": token})[0] == 303 and client.get("/notices")[0] == 303

    login = Client(web.url)  # the login form has its own token
    login.get("/login")
    status, _, _ = login.post("/login", {"name": "wang", "password": PASSWORD})
    assert status == 403


def test_cookies_headers_and_where_a_login_may_lead(hall_web):
    web = hall_web()
    web.add_user("wang", "viewer")
    client = Client(web.url)
    status, _, html = client.get("/login?next=//evil.example/x")
    token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    status, headers, _ = client.post(
        "/login", {"csrf": token, "name": "wang", "password": PASSWORD, "next": "//evil.example/x"}
    )
    assert status == 303 and headers["location"] == "/"
    raw = Client(web.url)
    raw.get("/login")
    conn_headers = raw.request("GET", "/login")[1]
    assert "default-src 'self'" in conn_headers["content-security-policy"]
    assert conn_headers["referrer-policy"] == "no-referrer" and conn_headers["x-content-type-options"] == "nosniff"
    set_cookie = _set_cookie_of(web, "wang")
    assert "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie and "Path=/" in set_cookie


def _set_cookie_of(web, name: str) -> str:
    import http.client

    client = Client(web.url)
    _, _, html = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    conn = http.client.HTTPConnection(client.host, client.port, timeout=10)
    body = f"csrf={token}&name={name}&password={PASSWORD.replace(' ', '+')}&next=/"
    conn.request(
        "POST",
        "/login",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"hall_login={client.cookies['hall_login']}",
        },
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    return next(v for k, v in response.getheaders() if k.lower() == "set-cookie" and v.startswith("hall_session="))


def test_a_removed_user_is_logged_out_at_the_next_request(hall_web):
    web = hall_web()
    web.add_user("root", "admin")
    web.add_user("zhou", "supervisor")
    zhou, admin = Client(web.url), Client(web.url)
    zhou.login("zhou")
    admin.login("root")
    assert zhou.get("/notices")[0] == 200
    assert zhou.get("/users")[0] == 403
    status, _, _ = admin.post("/users/zhou/remove", {"csrf": admin.csrf("/users")})
    assert status == 303 and web.users.get("zhou") is None
    assert zhou.get("/notices")[0] == 303
    status, _, body = admin.post("/users/root/remove", {"csrf": admin.csrf("/users")})
    assert status == 303 and web.users.get("root") is not None  # not yourself
    status, _, _ = admin.post(
        "/users/add",
        {
            "csrf": admin.csrf("/users"),
            "name": "qian",
            "role": "viewer",
            "password": "a fine password",
            "password2": "a fine password",
        },
    )
    assert status == 303 and web.users.get("qian").role == "viewer"
    assert [r.action for r in web.users.audit_rows(2)] == ["user_added", "user_removed"]


def test_the_ticket_page_is_public_but_rate_limited_per_address(hall_web, device):
    web = hall_web()
    kiosk = device(web, "K1", state={"paper": "ok"})
    ticket = issue_ticket(kiosk)
    client = Client(web.url)
    path = web.ticket_url(ticket["id"])[len(web.url) :]
    status, headers, body = client.get(path)
    assert status == 200 and "A001" in body and "您是下一位" in body and headers["cache-control"] == "no-store"
    statuses = [
        client.get(web.site.ticket_prefix + f"{i:016d}".translate(str.maketrans("0123456789", "abcdefghij")))[0]
        for i in range(40)
    ]
    assert statuses[0] == 404 and 429 in statuses
    first_refused = statuses.index(429)
    assert all(s == 429 for s in statuses[first_refused:])
    status, headers, body = client.get(path)  # even the right link, for now
    assert status == 429 and int(headers["retry-after"]) >= 1 and "Too many requests" in body
    assert client.get("/login")[0] == 200  # staff pages are not in this budget


def test_behind_a_trusted_proxy_each_phone_has_its_own_budget(hall_web):
    token_path = "/t/" + "a" * 16
    trusting = hall_web(proxy="127.0.0.1", ticket_budget=AddressBudget(burst=3, per_s=0.01))
    client = Client(trusting.url)
    for phone in ("192.168.1.20", "192.168.1.21"):
        statuses = [client.request("GET", token_path, headers={"X-Forwarded-For": phone})[0] for _ in range(4)]
        assert statuses == [404, 404, 404, 429], phone
    assert trusting.users.count() == 0


def test_without_a_trusted_proxy_forwarded_addresses_are_ignored(hall_web):
    web = hall_web(ticket_budget=AddressBudget(burst=3, per_s=0.01))
    client = Client(web.url)
    statuses = [
        client.request("GET", "/t/" + "a" * 16, headers={"X-Forwarded-For": f"192.168.1.{i}"})[0] for i in range(4)
    ]
    assert statuses == [404, 404, 404, 429]
