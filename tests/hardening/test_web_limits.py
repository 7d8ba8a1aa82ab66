"""The web's limits with a real `hall controller` process: the citizens' ticket pages on a
listener of their own with no staff page on it; wrong passwords from one address never lock
the account for anyone else; live-page streams capped per viewer and in total, with a clear
refusal, while every other page keeps answering."""

from __future__ import annotations

import http.client
import re
import urllib.parse

import pytest

from hall_controller.web.users import UsersStore
from protocol import envelope
from tests.conftest import EXAMPLE_HALL
from tests.web.conftest import PASSWORD, WAIT_S

from .conftest import wait_until

HALL = "xinhua"


class Browser:
    """Plain HTTP from a chosen source address (all of 127/8 is this machine), keeping cookies."""

    def __init__(self, url: str, source: str = "127.0.0.1"):
        parsed = urllib.parse.urlsplit(url)
        self.host, self.port, self.source = parsed.hostname, parsed.port, source
        self.cookies: dict[str, str] = {}

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=WAIT_S, source_address=(self.source, 0))

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict, str]:
        conn = self.connection()
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            for value in response.headers.get_all("set-cookie") or []:
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";")[0]
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
        finally:
            conn.close()

    def login(self, name: str, password: str) -> int:
        _, _, page = self.request("GET", "/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        return self.request("POST", "/login", {"csrf": csrf, "name": name, "password": password, "next": "/"})[0]

    def open_stream(self, path: str = "/events") -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        conn = self.connection()
        conn.request("GET", path, headers={"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())})
        return conn, conn.getresponse()


@pytest.fixture
def web(mosquitto_broker, hall_controller, tmp_path):
    UsersStore(tmp_path / "users.db").add("admin", "admin", PASSWORD, by="test")

    def start(*extra: str):
        controller = hall_controller(
            "--config",
            str(EXAMPLE_HALL),
            "--broker",
            mosquitto_broker.url,
            "--db",
            str(tmp_path / "journal.db"),
            "--users",
            str(tmp_path / "users.db"),
            "--web",
            "127.0.0.1:0",
            *extra,
        )
        controller.staff = controller.line_starting("HALL_WEB_URL=")
        return controller

    return start


def test_the_ticket_pages_have_a_listener_of_their_own_without_the_staff_pages(web, mosquitto_broker, mqtt_peer):
    controller = web("--public-web", "127.0.0.1:0")
    public = Browser(controller.line_starting("HALL_PUBLIC_WEB_URL="))
    kiosk = mqtt_peer(mosquitto_broker.url, "kiosk")
    kiosk.subscribe(f"hall/{HALL}/dev/K1/down", f"hall/{HALL}/controller/state")
    kiosk.expect(topic=f"hall/{HALL}/controller/state", where=lambda m: b'"online":true' in m.payload)
    request = envelope.make_message("ticket.request", {"service": "social"})
    kiosk.publish(f"hall/{HALL}/dev/K1/up", request)
    reply = envelope.decode(kiosk.expect(topic=f"hall/{HALL}/dev/K1/down").payload)
    ticket_path = urllib.parse.urlsplit(reply.body["ticket"]["status_url"]).path

    for method, path in [
        ("GET", "/login"),
        ("POST", "/login"),
        ("GET", "/"),
        ("GET", "/reports"),
        ("GET", "/events"),
        ("GET", "/users"),
    ]:
        status, _, _ = public.request(method, path, {} if method == "POST" else None)
        assert status in (404, 405), f"{method} {path} answered {status} on the citizens' listener"
    status, _, page = public.request("GET", ticket_path)
    assert status == 200 and "A001" in page
    assert public.request("GET", "/static/hall.css")[0] == 200
    staff = Browser(controller.staff)
    assert staff.request("GET", "/login")[0] == 200
    assert controller.stop() == 0


def test_wrong_passwords_from_one_address_never_lock_the_account_for_others(web):
    controller = web()
    guest = Browser(controller.staff, "127.0.0.7")
    for _ in range(5):
        assert guest.login("admin", "wrong") == 401
    assert guest.login("admin", PASSWORD) == 429, "the guessing address waits"
    office = Browser(controller.staff, "127.0.0.2")
    assert office.login("admin", PASSWORD) == 303, "the admin at her own desk is not locked out"
    assert office.request("GET", "/")[0] == 200
    assert controller.stop() == 0


def test_live_streams_are_capped_per_viewer_and_in_total(web):
    controller = web("--max-streams", "12")
    viewer = Browser(controller.staff)
    assert viewer.login("admin", PASSWORD) == 303
    opened = []
    try:
        refusals = []
        for _ in range(1005):  # what one viewer tried: a thousand streams
            conn, response = viewer.open_stream()
            if response.status == 200:
                opened.append(conn)
            else:
                refusals.append((response.status, response.read().decode()))
                conn.close()
        assert len(opened) == 8
        assert {status for status, _ in refusals} == {429} and len(refusals) == 997
        assert "you have 8 live pages open already; close one and reload" in refusals[0][1]
        assert viewer.request("GET", "/")[0] == 200, "every other page still answers"

        others = [Browser(controller.staff, f"127.0.0.{n}") for n in (3, 4)]
        statuses = []
        for other in others:
            assert other.login("admin", PASSWORD) == 303
            for _ in range(3):
                conn, response = other.open_stream()
                statuses.append(response.status)
                if response.status == 200:
                    opened.append(conn)
                else:
                    body = response.read().decode()
                    conn.close()
        assert statuses == [200, 200, 200, 200, 503, 503]
        assert "already carries 12 live pages, as many as it can" in body
        assert others[0].request("GET", "/")[0] == 200
    finally:
        for conn in opened:
            conn.close()

    # closed streams give their places back
    def a_place() -> bool:
        conn, response = viewer.open_stream()
        conn.close()
        return response.status == 200

    wait_until(a_place, "a place for a new stream")
    assert controller.stop() == 0


@pytest.mark.parametrize(
    "args, says",
    [
        (["--max-streams", "0"], "--max-streams is how many live pages may be open at once: 1 or more"),
        (["--web", "off", "--public-web", "127.0.0.1:0"], "--public-web needs the management web on too"),
        (["--public-web", "8081"], "--public-web is HOST:PORT"),
    ],
)
def test_bad_web_limits_are_one_sentence(args, says, hall_controller, tmp_path):
    controller = hall_controller("--config", str(EXAMPLE_HALL), "--db", str(tmp_path / "journal.db"), *args)
    assert controller.finish() == 2
    assert controller.err[0].startswith("hall controller: ") and says in controller.err[0] and len(controller.err) == 1
    assert not (tmp_path / "journal.db").exists(), "nothing started"
