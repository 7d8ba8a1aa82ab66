"""The notifier on a real journal, with real apprise sending to stand-ins on this machine, and the
time given by the test (never the wall clock): each alert reaches its channels once, escalates
when nobody acknowledges it, is held in quiet hours and by rate limits, gathered in a digest, and
a channel that is down is retried and shown, never sent twice."""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
import zoneinfo
from pathlib import Path

import pytest

from hall import config
from hall_controller.alerts.notifier import Notifier
from hall_controller.durable import DurableEngine
from hall_controller.engine import commands as c

EXAMPLE = Path(__file__).parents[2] / "examples" / "hall.toml"
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
MIN = 60.0


def at(hour: int, minute: int = 0, day: int = 23) -> float:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=TZ).timestamp()


def hall_with(alerts: str) -> config.Hall:
    raw = copy.deepcopy(tomllib.loads(EXAMPLE.read_text()))
    raw["alerts"] = tomllib.loads(alerts)["alerts"]
    return config.parse(raw)


CHANNELS = """
[alerts]
web_url = "http://hall.test:8080/"
[[alerts.channels]]
name = "tech"
kind = "webhook"
[[alerts.channels]]
name = "manager"
kind = "email"
"""


class Hall:
    """A journal the engine writes and a notifier reads, as in the controller."""

    def __init__(self, tmp_path: Path, rules: str, urls: dict[str, str], send=None):
        self.hall = hall_with(CHANNELS + rules)
        self.tmp, self.urls, self.send = tmp_path, urls, send
        self.durable = DurableEngine(self.hall, tmp_path / "journal.db")
        self.notifier = self.new_notifier()

    def new_notifier(self) -> Notifier:
        kwargs = {"send": self.send} if self.send else {}
        return Notifier(self.hall, self.tmp / "journal.db", self.tmp / "alerts.db", self.urls, **kwargs)

    def restart_notifier(self) -> None:
        self.notifier.close()
        self.notifier = self.new_notifier()

    def do(self, command, now: float):
        (result,) = self.durable.apply([(command, now)])
        assert result.ok, result.refused
        self.durable.commit()
        return result.events

    def offline(self, device: str, now: float) -> int:
        events = self.do(c.ReportDevice(device, online=False), now)
        return next(e.alert for e in events if type(e).__name__ == "AlertRaised")

    def states(self, alert: int) -> dict[str, str]:
        return {d["channel"] + ("/digest" if d["digest"] else ""): d["state"] for d in self.notifier.states[alert]}

    def close(self) -> None:
        self.notifier.close()
        self.durable.close()


@pytest.fixture
def make_hall(tmp_path):
    made = []

    def make(rules: str, urls: dict[str, str], send=None) -> Hall:
        h = Hall(tmp_path, rules, urls, send)
        made.append(h)
        return h

    yield make
    for h in made:
        h.close()


def test_an_alert_reaches_its_channel_once_with_a_link_and_not_again_after_a_restart(make_hall, webhook):
    h = make_hall(
        """
[[alerts.rules]]
kinds = ["device_offline"]
to = ["tech"]
""",
        {"tech": webhook.url, "manager": "mailto://127.0.0.1:9?mode=insecure&to=x@example.org"},
    )
    alert = h.offline("K1", at(10))
    h.notifier.step(at(10, 0))
    ((title, body),) = webhook.wait_for(1)
    assert title.startswith("设备离线 device offline · 新华区政务服务中心")
    assert "device K1 is offline" in body and f"http://hall.test:8080/#alert-{alert}" in body
    assert h.states(alert) == {"tech": "sent"}

    h.restart_notifier()  # read again from the journal: planned once, so sent once
    h.notifier.step(at(10, 1))
    second = h.offline("K2", at(10, 2))
    h.notifier.step(at(10, 2))
    assert [t for t, _ in webhook.wait_for(2)] == [title, title]
    assert "device K2 is offline" in webhook.messages[1][1] and len(webhook.messages) == 2
    assert h.states(second) == {"tech": "sent"}


def test_an_alert_nobody_acknowledges_escalates_on_time_and_an_acknowledged_one_does_not(
    make_hall, webhook, smtp_inbox
):
    h = make_hall(
        """
[[alerts.rules]]
kinds = ["device_offline"]
to = ["tech"]
[[alerts.rules.escalate]]
after_min = 10
to = ["manager"]
""",
        {"tech": webhook.url, "manager": smtp_inbox.url},
    )
    first = h.offline("K1", at(10))
    second = h.offline("K2", at(10))
    h.notifier.step(at(10))
    webhook.wait_for(1)
    assert h.states(first) == {"tech": "sent", "manager": "waiting"}
    h.do(c.AcknowledgeAlert(second, by="sup1"), at(10, 5))
    h.notifier.step(at(10, 9))
    assert smtp_inbox.messages == []
    h.notifier.step(at(10, 10))
    ((subject, body),) = smtp_inbox.wait_for(1)
    assert subject.startswith("【升级 escalated】设备离线 device offline")
    assert "device K1 is offline" in body and "escalated" in body and f"#alert-{first}" in body
    assert h.states(first) == {"tech": "sent", "manager": "sent"}
    assert h.states(second) == {"tech": "sent", "manager": "stopped"}
    assert h.notifier.states[second][1]["error"] == "acknowledged by sup1"
    h.notifier.step(at(11))
    assert len(smtp_inbox.messages) == 1


def test_a_channel_that_is_down_is_shown_failed_with_why_and_retried_later(make_hall, webhook, dead_port):
    h = make_hall(
        """
[[alerts.rules]]
kinds = ["device_offline"]
to = ["tech"]
""",
        {"tech": f"json://127.0.0.1:{dead_port}/robot", "manager": "mailto://127.0.0.1:9?to=x@example.org"},
    )
    alert = h.offline("K1", at(10))
    h.notifier.step(at(10))
    (failed,) = h.notifier.states[alert]
    assert failed["state"] == "failed" and failed["error"] and failed["next_try"] == at(10) + 30
    h.notifier.step(at(10) + 29)
    assert h.notifier.states[alert][0]["error"] == failed["error"]
    h.notifier.urls["tech"] = webhook.url  # the robot is reachable again
    h.notifier.step(at(10) + 30)
    webhook.wait_for(1)
    assert h.states(alert) == {"tech": "sent"}
    h.notifier.step(at(11))
    assert len(webhook.messages) == 1


def test_a_send_cut_short_by_a_crash_is_not_sent_again(make_hall):
    sent = []

    def crash(url, title, body):
        sent.append(title)
        raise SystemExit("power cut")

    h = make_hall(
        """
[[alerts.rules]]
kinds = ["device_offline"]
to = ["tech"]
""",
        {"tech": "json://127.0.0.1:9/", "manager": "mailto://127.0.0.1:9?to=x@example.org"},
        send=crash,
    )
    alert = h.offline("K1", at(10))
    with pytest.raises(SystemExit):
        h.notifier.step(at(10))
    h.restart_notifier()
    h.notifier.step(at(11))
    assert len(sent) == 1
    assert h.states(alert) == {"tech": "unknown"}
    assert "not sent again" in h.notifier.states[alert][0]["error"]


def test_a_rate_limit_bundles_what_it_held_into_one_message(make_hall, webhook):
    h = make_hall(
        """
[[alerts.rules]]
kinds = ["device_offline"]
to = ["tech"]
every_min = 5
""",
        {"tech": webhook.url, "manager": "mailto://127.0.0.1:9?to=x@example.org"},
    )
    h.offline("K1", at(10))
    h.notifier.step(at(10))
    webhook.wait_for(1)
    held = [h.offline("K2", at(10, 1)), h.offline("C1", at(10, 2))]
    h.notifier.step(at(10, 2))
    h.notifier.step(at(10, 4))
    assert len(webhook.messages) == 1
    assert [h.states(a) for a in held] == [{"tech": "waiting"}] * 2
    h.notifier.step(at(10, 5))
    messages = webhook.wait_for(2)
    assert "device K2 is offline" in messages[1][1] and "另有 1 条 and 1 more" in messages[1][1]
    assert [h.states(a) for a in held] == [{"tech": "sent"}] * 2
    assert len(messages) == 2


def test_quiet_hours_hold_messages_until_morning(make_hall, webhook):
    h = make_hall(
        """
[[alerts.rules]]
kinds = ["device_offline"]
to = ["tech"]
quiet_hours = ["20:00", "07:30"]
""",
        {"tech": webhook.url, "manager": "mailto://127.0.0.1:9?to=x@example.org"},
    )
    alert = h.offline("K1", at(23))
    h.notifier.step(at(23))
    h.notifier.step(at(7, 29, day=24))
    assert webhook.messages == [] and h.states(alert) == {"tech": "waiting"}
    assert h.notifier.states[alert][0]["due"] == at(7, 30, day=24)
    h.notifier.step(at(7, 30, day=24))
    assert "device K1 is offline" in webhook.wait_for(1)[0][1]


def test_a_digest_rule_sends_one_summary_a_day_and_other_rules_still_send_at_once(make_hall, webhook, smtp_inbox):
    h = make_hall(
        """
[[alerts.rules]]
kinds = ["device_offline"]
to = ["tech"]
[[alerts.rules]]
name = "daily"
to = ["manager", "tech"]
digest = "18:00"
""",
        {"tech": webhook.url, "manager": smtp_inbox.url},
    )
    alerts = []
    for device, hour in (("K1", 9), ("K2", 11), ("C1", 15)):
        alerts.append(h.offline(device, at(hour)))
        h.notifier.step(at(hour))
    webhook.wait_for(3)
    h.do(c.AcknowledgeAlert(alerts[0], by="sup1"), at(16))  # a digest lists acknowledged alerts too
    h.notifier.step(at(17, 59))
    assert smtp_inbox.messages == []
    h.notifier.step(at(18))
    ((subject, body),) = smtp_inbox.wait_for(1)
    assert subject.startswith("告警汇总 Alert digest: 3")
    assert [line[:5] for line in body.splitlines()[:3]] == ["09:00", "11:00", "15:00"]
    messages = webhook.wait_for(4)
    assert messages[3][0].startswith("告警汇总 Alert digest: 3") and len(messages) == 4
    assert h.states(alerts[0]) == {"tech": "sent", "manager/digest": "sent", "tech/digest": "sent"}


def test_severity_routes_an_unsatisfied_rating_but_not_an_average_one(make_hall, webhook):
    h = make_hall(
        """
[[alerts.rules]]
kinds = ["negative_rating"]
severity = "critical"
to = ["tech"]
""",
        {"tech": webhook.url, "manager": "mailto://127.0.0.1:9?to=x@example.org"},
    )
    t = at(10)
    for level, ticket_counter in ((2, 1), (1, 2)):
        h.do(c.OpenCounter(ticket_counter, clerk=f"S00{ticket_counter}"), t)
        ticket = next(e for e in h.do(c.RequestTicket("social", kiosk="K1"), t) if type(e).__name__ == "TicketReserved")
        h.do(c.ConfirmPrinted(ticket.ticket), t)
        h.do(c.CallNext(ticket_counter), t + 1)
        h.do(c.StartService(ticket_counter), t + 2)
        events = h.do(c.Finish(ticket_counter, outcome="completed"), t + 60)
        prompt = next(e for e in events if type(e).__name__ == "RatingPrompted")
        h.do(c.SubmitRating(prompt.prompt, level, pressed_at=t + 65, counter=ticket_counter), t + 65)
        t += 120
    h.notifier.step(t)
    ((title, body),) = webhook.wait_for(1)
    assert title.startswith("差评 negative rating") and "不满意" in body
    h.notifier.step(t + 600)
    assert len(webhook.messages) == 1


def test_a_rule_with_a_delay_sends_only_what_is_still_open_when_the_delay_ends(make_hall, webhook):
    h = make_hall(
        """
[[alerts.rules]]
kinds = ["device_offline"]
to = ["tech"]
after_min = 10
""",
        {"tech": webhook.url, "manager": "mailto://127.0.0.1:9?to=x@example.org"},
    )
    brief = h.offline("K1", at(10))
    lasting = h.offline("K2", at(10))
    h.notifier.step(at(10))
    h.do(c.ReportDevice("K1", online=True), at(10, 3))  # back within the delay: nobody is bothered
    h.notifier.step(at(10, 9))
    assert webhook.messages == [] and h.states(brief) == {"tech": "stopped"}
    assert h.notifier.states[brief][0]["error"] == "cleared before it was sent"
    h.notifier.step(at(10, 10))
    ((_, body),) = webhook.wait_for(1)
    assert "device K2 is offline" in body and h.states(lasting) == {"tech": "sent"}
