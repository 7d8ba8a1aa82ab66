"""The words of an alert message: short, Chinese then English, with a link to the alert on the web.

Pure: an alert (as the outbox keeps it) in, a title and a body out: one alert, a bundle ("and 7
more", when a rule's rate limit or quiet hours held several), or a day's digest. Every message
has the word 告警 (alert) in it: a DingTalk robot can be told to take only messages with it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

KIND_NAMES = {
    "wait_over_target": ("等候超时", "wait past target"),
    "understaffed": ("窗口不足", "queue long, counters closed"),
    "negative_rating": ("差评", "negative rating"),
    "long_service": ("办理超时", "long service"),
    "device_offline": ("设备离线", "device offline"),
    "printer_paper": ("打印纸", "printer paper"),
    "device_fault": ("设备故障", "device fault"),
    "calls_not_announced": ("叫号未播报", "calls not being announced"),
    "display_behind": ("播报滞后", "display behind"),
}
DIGEST_LINES = 20


@dataclass(frozen=True)
class AlertText:
    """What a message says about one alert."""

    alert: int
    kind: str
    message: str
    raised_at: float
    level: int = 0  # escalation level of this delivery (0: first notice)


def kind_name(kind: str) -> tuple[str, str]:
    return KIND_NAMES.get(kind, (kind, kind.replace("_", " ")))


def link(web_url: str, alert: int) -> str:
    return f"{web_url}#alert-{alert}"


def compose(
    alerts: list[AlertText],
    *,
    hall_name: str,
    web_url: str,
    tz: zoneinfo.ZoneInfo,
    digest: bool = False,
    ack_link: str | None = None,
) -> tuple[str, str]:
    """(title, body) of one message about `alerts` (at least one), oldest first; `ack_link` (a
    signed reply link, links.py) replaces the link to the live page for the first alert."""
    first = alerts[0]
    clock = lambda at: dt.datetime.fromtimestamp(at, tz).strftime("%H:%M")  # noqa: E731
    if digest:
        title = f"告警汇总 Alert digest: {len(alerts)} · {hall_name}"
        lines = [f"{clock(a.raised_at)} {' / '.join(kind_name(a.kind))}: {a.message}" for a in alerts[:DIGEST_LINES]]
        if len(alerts) > DIGEST_LINES:
            lines.append(f"另有 {len(alerts) - DIGEST_LINES} 条 and {len(alerts) - DIGEST_LINES} more")
        return title, "\n".join(lines + [f"查看 Open: {web_url}"])
    zh, en = kind_name(first.kind)
    escalated = "【升级 escalated】" if first.level else ""
    title = f"{escalated}{zh} {en} · {hall_name}"
    body = [f"{clock(first.raised_at)} {first.message}"]
    if first.level:
        body.append("无人确认,已升级。Not acknowledged, so escalated to you.")
    body.append(f"告警 {first.alert} 查看并确认 Open and acknowledge: {ack_link or link(web_url, first.alert)}")
    if len(alerts) > 1:
        more = len(alerts) - 1
        body.append(f"另有 {more} 条 and {more} more: {web_url}")
    return title, "\n".join(body)
