"""The live page shows, under each alert, what each channel was told and when (sent, waiting for
escalation, failed and why); a supervisor's acknowledgement stops the escalation. The controller,
its web and the notifier are wired as `hall controller --alert-secrets` wires them; the notifier's
rounds run at times the test chooses."""

from __future__ import annotations

import re
import threading
import time

import pytest
from alerts.conftest import dead_port, smtp_inbox, webhook  # noqa: F401 - the channels' stand-ins, used by name
from alerts.test_notifier import CHANNELS, hall_with

from hall_controller.alerts.notifier import Notifier
from hall_controller.durable import DurableEngine
from hall_controller.engine import commands as c
from hall_controller.gateway import Gateway
from hall_controller.main import web_view
from hall_controller.web.app import create_app
from hall_controller.web.server import WebServer
from hall_controller.web.site import Site
from hall_controller.web.users import UsersStore

from .conftest import PASSWORD, WAIT_S, Client, wait_until

SECRET = b"alerts-web-test-key-" * 2
RULES = """
[[alerts.rules]]
kinds = ["device_offline"]
to = ["tech"]
[[alerts.rules.escalate]]
after_min = 10
to = ["manager"]
[[alerts.rules]]
kinds = ["printer_paper"]
to = ["manager"]
"""


class Stack:
    def __init__(self, tmp, broker_url: str, urls: dict[str, str]):
        self.hall = hall_with(CHANNELS + RULES)
        self.durable = DurableEngine(self.hall, tmp / "journal.db")
        self.notifier = Notifier(self.hall, tmp / "journal.db", tmp / "alerts.db", urls, link_secret=SECRET)
        self.gateway = Gateway(
            self.hall,
            self.durable,
            broker_url,
            secret=SECRET,
            live_view=web_view(self.notifier),
            client_id=f"ctl-{time.monotonic_ns()}",
        )
        self.notifier.on_change = self.gateway.live_changed
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.gateway.serve, args=(self._stop,), daemon=True)
        self._thread.start()
        assert self.gateway.connected.wait(WAIT_S)
        users = UsersStore(tmp / "users.db")
        users.add("wang", "supervisor", PASSWORD, by="test")
        self.site = Site(self.hall, self.gateway, users, tmp / "journal.db")
        self.server = WebServer(create_app(self.site), "127.0.0.1", 0, on_stop=self.site.feed.close)
        self.server.start()
        self.url = self.server.url

    def do(self, command):
        result = self.gateway.submit(command).result(WAIT_S)
        assert result.ok, result.refused
        return result.events

    def stop(self) -> None:
        self.server.stop()
        self._stop.set()
        self._thread.join(WAIT_S)
        self.notifier.close()
        self.durable.close()


@pytest.fixture
def stack(tmp_path, mosquitto_broker):
    made = []

    def make(urls):
        s = Stack(tmp_path, mosquitto_broker.url, urls)
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()


def test_each_alert_shows_its_deliveries_and_acknowledging_stops_the_escalation(
    stack, page_for, shot, webhook, dead_port
):
    from playwright.sync_api import expect

    s = stack({"tech": webhook.url, "manager": f"json://127.0.0.1:{dead_port}/down"})
    offline = next(e for e in s.do(c.ReportDevice("K1", online=False)) if type(e).__name__ == "AlertRaised")
    paper = next(e for e in s.do(c.ReportDevice("K2", paper="out")) if type(e).__name__ == "AlertRaised")
    s.notifier.step(paper.at)
    webhook.wait_for(1)

    page = page_for(s, "wang")
    first = page.locator(f"#alert-{offline.alert}")
    expect(first.locator("li.delivery[data-channel=tech]")).to_have_attribute("data-state", "sent")
    expect(first.locator("li.delivery[data-channel=manager]")).to_have_attribute("data-state", "waiting")
    expect(first.locator("li.delivery[data-channel=manager]")).to_contain_text("escalation 1")
    failed = page.locator(f"#alert-{paper.alert} li.delivery[data-channel=manager]")
    expect(failed).to_have_attribute("data-state", "failed")
    expect(failed).to_contain_text("Connection error")
    expect(failed).to_contain_text("retry")
    shot(page, "alert-deliveries")

    first.locator("button[data-ack]").click()
    wait_until(lambda: s.durable.engine.state.alerts[offline.alert].acked_by == "wang", "the acknowledgement")
    s.notifier.step(offline.at + 600)
    stopped = page.locator(f"#alert-{offline.alert} li.delivery[data-channel=manager]")
    expect(stopped).to_have_attribute("data-state", "stopped")  # the live stream brought it, no reload
    expect(stopped).to_contain_text("acknowledged by wang")
    assert len(webhook.messages) == 1
    shot(page, "alert-acknowledged")


def test_the_reply_link_in_a_message_acknowledges_from_a_phone_without_login_and_stops_the_escalation(
    stack, page_for, shot, webhook, smtp_inbox
):
    from playwright.sync_api import expect

    s = stack({"tech": webhook.url, "manager": smtp_inbox.url})
    raised = next(e for e in s.do(c.ReportDevice("K1", online=False)) if type(e).__name__ == "AlertRaised")
    s.notifier.step(raised.at)
    ((_, body),) = webhook.wait_for(1)
    link = re.search(r"http://hall\.test:8080/(alerts/\d+/ack/tech/[a-z2-7]{24})", body).group(1)
    assert link.startswith(f"alerts/{raised.alert}/")

    forged = link[:-1] + ("b" if link.endswith("a") else "a")
    client = Client(s.url)
    assert client.get("/" + link)[0] == 200  # a chat app's link preview: acknowledges nothing
    assert client.get("/" + forged)[0] == 404
    assert client.get(f"/alerts/{raised.alert}/ack/manager/" + link.rsplit("/", 1)[1])[0] == 404  # another channel
    assert client.post("/" + forged, {"name": "x"})[0] == 404
    assert s.durable.engine.state.alerts[raised.alert].acked_by is None
    status, _, html = client.post("/" + link, {"name": " "})
    assert status == 400 and "Write your name" in html

    page = page_for(s, phone=True)
    page.goto(f"{s.url}/{link}")
    expect(page.locator("h1")).to_contain_text(f"Alert {raised.alert}")
    expect(page.locator(".msg")).to_contain_text("device K1 is offline")
    shot(page, "alert-link")
    page.fill("input[name=name]", "李工")
    page.click("button[data-ack-link]")
    expect(page.locator(".flash-ok")).to_contain_text("Acknowledged")
    expect(page.locator(".alert-state")).to_contain_text("李工 (tech)")
    shot(page, "alert-link-acknowledged")
    assert s.durable.engine.state.alerts[raised.alert].acked_by == "李工 (tech)"
    status, _, html = client.post("/" + link, {"name": "王"})
    assert status == 409 and "was acknowledged by 李工 (tech)" in html

    s.notifier.step(raised.at + 600)
    assert smtp_inbox.messages == []
    assert s.notifier.states[raised.alert][1] | {"at": None} == {
        "channel": "manager",
        "level": 1,
        "digest": False,
        "state": "stopped",
        "error": "acknowledged by 李工 (tech)",
        "at": None,
        "due": raised.at + 600,
        "next_try": None,
    }
