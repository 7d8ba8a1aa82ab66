"""A real hall controller with its management web, real devices, and a real headless Chromium.

    hall_web(...)          a controller (engine, journal in tmp_path, MQTT gateway) on a thread,
                           against this test's own mosquitto, with the web on a free port:
                           `.url`, `.gateway`, `.engine`, `.users`, `.site`, `.clock` (the web's clock,
                           which `.clock.advance(s)` moves: sessions expire without waiting);
                           `hall_web(history=True)` first journals a simulated yesterday
                           (examples/scenario.toml), so reports and follow-ups have something in them;
                           `hall_web(proxy="127.0.0.1")` trusts that address's X-Forwarded-For;
                           other keywords go to the `Site` (e.g. ticket_budget=AddressBudget(...))
    device(web, "C1")      a started `DeviceLink` of the example hall (closed after the test)
    browser                Debian's chromium driven by Playwright (one per test session), launched
                           with a font configuration WITHOUT any Chinese font, like a kiosk machine:
                           every Chinese character on the pages must come from the web font the
                           controller serves
    page_for(web, ...)     a fresh browser page (its own cookies), optionally logged in
    Client(url)            a minimal cookie-keeping HTTP client (http.client) for forged requests
    shot(page, name)       a PNG screenshot in tmp_path (and in $HALL_SCREENSHOTS if set)

Chromium and Playwright: `apt-get install chromium chromium-driver` and `pip install playwright`;
never `playwright install` (it downloads a browser). The browser tests are skipped when either
is missing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from testkit import EXAMPLE_HALL, WAIT_S, hall_now
from webclient import PASSWORD, Client  # noqa: F401 (the web tests import them from here)

from devices.link import DeviceLink
from hall import clock as hall_clock
from hall import config
from hall_controller.durable import DurableEngine
from hall_controller.engine import events as ev
from hall_controller.gateway import Gateway
from hall_controller.journal import Journal
from hall_controller.web.app import create_app
from hall_controller.web.server import WebServer
from hall_controller.web.site import Site
from hall_controller.web.snapshots import live_hall
from hall_controller.web.users import UsersStore

HALL = "xinhua"
SECRET = b"web-test-secret-" * 2


def wait_until(predicate, what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        time.sleep(0.02)


class MovableClock:
    """Wall time plus an offset the test can move forward (sessions, throttles, the pages' 'now')."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return hall_clock.now() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def journal_yesterday(hall: config.Hall, path: Path) -> None:
    """A simulated ordinary day (examples/scenario.toml) yesterday, written to a fresh journal."""
    from simulators import scenario
    from simulators.day import plan_day, simulate

    day = scenario.load(Path(EXAMPLE_HALL).parent / "scenario.toml", hall)
    day = dataclasses.replace(day, date=hall_now(hall).date() - dt.timedelta(days=1))
    events: list = []
    simulate(hall, plan_day(hall, day), seed=11, on_event=events.append)
    journal = Journal(path, hall)
    journal.append(events)
    journal.commit()
    journal.close()


class HallWeb:
    """The controller and its web, wired as `hall controller --web` wires them."""

    def __init__(self, broker_url: str, tmp: Path, *, history: bool = False, proxy: str | None = None, **site_options):
        self.hall = config.load(EXAMPLE_HALL)
        self.broker_url = broker_url
        self.journal_path = tmp / "journal.db"
        if history:
            journal_yesterday(self.hall, self.journal_path)
        self.durable = DurableEngine(self.hall, self.journal_path)
        self.gateway = Gateway(
            self.hall,
            self.durable,
            broker_url,
            secret=SECRET,
            live_view=live_hall,
            client_id=f"hall-controller-{time.monotonic_ns()}",
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.gateway.serve, args=(self._stop,), daemon=True)
        self._thread.start()
        assert self.gateway.connected.wait(WAIT_S), "the controller did not connect to the broker"
        self.clock = MovableClock()
        self.users = UsersStore(tmp / "users.db", clock=self.clock)
        self.site = Site(
            self.hall,
            self.gateway,
            self.users,
            self.journal_path,
            clock=self.clock,
            hall_file=EXAMPLE_HALL,
            **site_options,
        )
        self.server = WebServer(
            create_app(self.site), "127.0.0.1", 0, on_stop=self.site.feed.close, trusted_proxy=proxy
        )
        self.server.start()
        self.url = self.server.url

    @property
    def engine(self):
        return self.durable.engine

    def add_user(self, name: str, role: str, password: str = PASSWORD) -> None:
        self.users.add(name, role, password, by="test")

    def ticket_url(self, ticket_id: str) -> str:
        return self.url + urlparse(self.gateway.status_url(ticket_id)).path

    def stop(self) -> None:
        if self._thread is None:
            return
        self.server.stop()
        self._stop.set()
        self._thread.join(WAIT_S)
        self._thread = None
        self.durable.close()


@pytest.fixture
def hall_web(mosquitto_broker, tmp_path):
    running: list[HallWeb] = []

    def start(**options) -> HallWeb:
        web = HallWeb(mosquitto_broker.url, tmp_path, **options)
        running.append(web)
        return web

    yield start
    for web in running:
        web.stop()


@pytest.fixture
def device(tmp_path):
    links: list[DeviceLink] = []

    def make(web: HallWeb, device_id: str, **options) -> DeviceLink:
        options.setdefault("listen", ())
        link = DeviceLink(
            web.broker_url,
            HALL,
            device_id,
            outbox=tmp_path / f"outbox-{device_id}-{len(links)}.db",
            reconnect_delay=(0.1, 0.5),
            resend_interval=1.0,
            **options,
        )
        links.append(link)
        link.start()
        assert link.wait_connected(WAIT_S), f"{device_id} could not connect"
        return link

    yield make
    for link in links:
        link.close()


def journal_events(web: HallWeb, *names: str, after: int = 0) -> list:
    """The events of these types in the controller's journal (read on a connection of our own)."""
    db = sqlite3.connect(f"file:{web.journal_path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT seq, type, body FROM events WHERE seq > ? ORDER BY seq", (after,)).fetchall()
    finally:
        db.close()
    return [ev.decode(name, body) for _, name, body in rows if not names or name in names]


def issue_ticket(kiosk: DeviceLink, service: str = "social") -> dict:
    """A ticket taken and printed at a kiosk, as the kiosk program does it."""
    ticket = kiosk.request("ticket.request", {"service": service}).body["ticket"]
    kiosk.request("ticket.printed", {"ticket": ticket["id"]})
    return ticket


# --- HTTP without a browser ------------------------------------------------------------------

# --- the browser -----------------------------------------------------------------------------


@pytest.fixture
def page_for(browser):
    contexts = []

    def make(web: HallWeb, user: str | None = None, password: str = PASSWORD, *, phone: bool = False):
        options = (
            {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
            if phone
            else {"viewport": {"width": 1440, "height": 900}}
        )
        context = browser.new_context(locale="zh-CN", timezone_id=web.hall.timezone, **options)
        context.set_default_timeout(WAIT_S * 1000)
        contexts.append(context)
        page = context.new_page()
        if user is not None:
            page.goto(web.url + "/login")
            page.fill("input[name=name]", user)
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.wait_for_url(web.url + "/")
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shot(tmp_path):
    keep = os.environ.get("HALL_SCREENSHOTS")

    def take(page, name: str, full_page: bool = True) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(keep) / path.name)
        return path

    return take
