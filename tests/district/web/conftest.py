"""The district web for real: migrated PostgreSQL (district_dsn), a real Mosquitto as the district
broker, the web on a free port, Chromium through Playwright (the hall web tests' `browser`).

    district_web()      a running district web with halls xinhua and beihai registered and users
                        admin (district admin), viewer (district viewer), sup_x (supervisor of
                        xinhua only); `.url`, `.site`, `.broker` (the district broker's URL),
                        `.clock.advance(s)`, `.publish_board(hall, waiting)` as a hall's bridge would;
                        `district_web(url)` follows the district broker at `url` instead
    district_page(web, user)   a logged-in Chromium page
"""

from __future__ import annotations

import dataclasses
import time

import psycopg
import pytest
from district_web_support import PASSWORD, WAIT_S, Client  # noqa: F401 - this folder's helpers

from district import pg
from district.web.accounts import Accounts
from district.web.app import create_app
from district.web.follow import LiveFeed
from district.web.site import Site
from hall import clock as hall_clock
from hall_controller.web.server import WebServer
from protocol.envelope import encode, make_message


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return hall_clock.now() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def board(waiting: int, label: str = "A001") -> bytes:
    return encode(
        make_message(
            "board.snapshot",
            {
                "call_seq": 1,
                "calls": [{"seq": 1, "label": label, "counter": 1, "recall": False, "at": "2026-11-23T01:30:00.000Z"}],
                "services": [
                    {
                        "id": "social",
                        "prefix": "A",
                        "name": {"zh": "社保医保", "en": "Social & Medical Insurance"},
                        "waiting": waiting,
                        "estimated_wait_s": 600,
                    }
                ],
                "counters": [{"number": 1, "state": "open", "clerk": "S001", "ticket": label}],
                "notice": {"zh": "", "en": ""},
                "incident": None,
            },
        )
    )


class DistrictWeb:
    def __init__(self, dsn: str, broker_url: str, peer):
        self.dsn, self.broker = dsn, broker_url
        self.clock = Clock()
        self.accounts = Accounts(dsn, clock=self.clock)
        self.site = Site(
            dsn, self.accounts, LiveFeed(broker_url, clock=self.clock), clock=self.clock, stream_min_interval_s=0.0
        )
        self.server = WebServer(create_app(self.site), "127.0.0.1", 0, on_stop=self.site.feed.close)
        self.server.start()
        self.url = self.server.url
        self.hall_peer = peer
        deadline = time.monotonic() + WAIT_S
        while not self.site.feed.connected.is_set():
            assert time.monotonic() < deadline, "the district web did not connect to the district broker"
            time.sleep(0.02)

    def publish_board(self, hall: str, waiting: int, label: str = "A001") -> None:
        self.hall_peer.publish(f"hall/{hall}/board", board(waiting, label), retain=True)

    def wait_version(self, predicate) -> None:
        deadline = time.monotonic() + WAIT_S
        while not predicate(self.site.feed.live):
            assert time.monotonic() < deadline, "the district web did not see it"
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture
def district_web(district_dsn, mosquitto_broker, mqtt_peer, example_hall):
    with psycopg.connect(district_dsn, autocommit=True) as conn:
        pg.add_hall(conn, "xinhua", example_hall)
        pg.add_hall(conn, "beihai", dataclasses.replace(example_hall, id="beihai"))
    webs = []

    def start(broker_url: str | None = None) -> DistrictWeb:
        """The web following `broker_url` (default: this test's own anonymous mosquitto)."""
        url = broker_url or mosquitto_broker.url
        web = DistrictWeb(district_dsn, url, mqtt_peer(mosquitto_broker.url, "bridges"))
        web.accounts.add("admin", "admin", PASSWORD, by="test")
        web.accounts.add("viewer", "viewer", PASSWORD, by="test")
        web.accounts.add("sup_x", "supervisor", PASSWORD, hall="xinhua", by="test")
        webs.append(web)
        return web

    yield start
    for web in webs:
        web.stop()


@pytest.fixture
def district_page(browser):
    contexts = []

    def make(web: DistrictWeb, user: str, password: str = PASSWORD):
        context = browser.new_context(
            locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1440, "height": 900}
        )
        context.set_default_timeout(WAIT_S * 1000)
        contexts.append(context)
        page = context.new_page()
        page.goto(web.url + "/login")
        page.fill("input[name=name]", user)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(web.url + "/")
        return page

    yield make
    for context in contexts:
        context.close()
