"""Who hears of what, when, and in which words: the pure parts of the alerts, at times the test sets."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from hall_controller.alerts import routing, texts

from .test_notifier import CHANNELS, at, hall_with

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_severity_follows_the_kind_and_the_rating_or_paper_words():
    assert (
        routing.severity("negative_rating", "ticket A001 rated counter 1 (clerk S001) 不满意 (unsatisfied)")
        == "critical"
    )
    assert routing.severity("negative_rating", "ticket A001 rated counter 1 (clerk S001) 一般 (average)") == "warning"
    assert routing.severity("printer_paper", "kiosk K1: paper out") == "critical"
    assert routing.severity("printer_paper", "kiosk K1: paper low") == "warning"
    assert routing.severity("device_offline", "device K1 is offline") == "critical"
    assert routing.severity("long_service", "…") == "info"
    assert routing.severity("wait_over_target", "…") == "warning"


def test_a_channel_hears_of_an_alert_once_by_the_first_rule_or_level_and_once_more_in_a_digest():
    alerts = hall_with(
        CHANNELS
        + """
[[alerts.rules]]
name = "first"
kinds = ["device_offline"]
to = ["tech"]
after_min = 2
[[alerts.rules.escalate]]
after_min = 10
to = ["manager", "tech"]
[[alerts.rules]]
name = "again"
to = ["tech", "manager"]
[[alerts.rules]]
name = "daily"
to = ["manager"]
digest = "18:00"
"""
    ).alerts
    planned = routing.plan(alerts, "device_offline", "critical", at(10), TZ)
    assert planned == [
        routing.Planned("tech", "first", 0, at(10, 2)),
        routing.Planned("manager", "first", 1, at(10, 10)),
        routing.Planned("manager", "daily", 0, at(18), digest=True),
    ]
    late = routing.plan(alerts, "long_service", "info", at(19), TZ)
    assert late == [
        routing.Planned("tech", "again", 0, at(19)),
        routing.Planned("manager", "again", 0, at(19)),
        routing.Planned("manager", "daily", 0, at(18, day=24), digest=True),
    ]


def test_quiet_hours_across_midnight_and_the_rate_limit_say_when_to_try_again():
    rules = hall_with(
        CHANNELS
        + """
[[alerts.rules]]
to = ["tech"]
every_min = 10
quiet_hours = ["22:00", "07:00"]
"""
    ).alerts.rules
    (rule,) = rules
    assert routing.hold_until(rule, at(21, 59), None, TZ) is None
    assert routing.hold_until(rule, at(22), None, TZ) == at(7, day=24)
    assert routing.hold_until(rule, at(3, day=24), None, TZ) == at(7, day=24)
    assert routing.hold_until(rule, at(7, day=24), None, TZ) is None
    assert routing.hold_until(rule, at(12), at(11, 55), TZ) == at(12, 5)
    assert routing.hold_until(rule, at(12, 5), at(11, 55), TZ) is None
    assert routing.hold_until(None, at(23), None, TZ) is None


def test_a_digest_time_already_passed_today_is_tomorrows():
    assert routing.next_time_of_day(dt.time(18), at(17, 59), TZ) == at(18)
    assert routing.next_time_of_day(dt.time(18), at(18), TZ) == at(18)
    assert routing.next_time_of_day(dt.time(18), at(18, 1), TZ) == at(18, day=24)


def test_messages_are_short_bilingual_and_link_to_the_alert():
    one = texts.AlertText(7, "printer_paper", "kiosk K1: paper out", at(10, 42))
    title, body = texts.compose([one], hall_name="新华 Xinhua", web_url="http://hall.local:8080/", tz=TZ)
    assert title == "打印纸 printer paper · 新华 Xinhua"
    assert body == "10:42 kiosk K1: paper out\n告警 7 查看并确认 Open and acknowledge: http://hall.local:8080/#alert-7"
    escalated = texts.AlertText(7, "printer_paper", "kiosk K1: paper out", at(10, 42), level=1)
    more = [escalated] + [texts.AlertText(8 + i, "printer_paper", "…", at(10, 50)) for i in range(7)]
    title, body = texts.compose(more, hall_name="新华", web_url="http://h/", tz=TZ)
    assert title.startswith("【升级 escalated】打印纸") and body.endswith("另有 7 条 and 7 more: http://h/")
    digest = [texts.AlertText(i, "device_offline", f"device K{i} is offline", at(9) + i * 60) for i in range(25)]
    title, body = texts.compose(digest, hall_name="新华", web_url="http://h/", tz=TZ, digest=True)
    assert title == "告警汇总 Alert digest: 25 · 新华"
    lines = body.splitlines()
    assert lines[0] == "09:00 设备离线 / device offline: device K0 is offline"
    assert lines[20:] == ["另有 5 条 and 5 more", "查看 Open: http://h/"]
    assert all(
        "告警" in t + b
        for t, b in (
            texts.compose([one], hall_name="x", web_url="http://h/", tz=TZ),
            texts.compose(digest, hall_name="x", web_url="http://h/", tz=TZ, digest=True),
        )
    )
