"""Pages as pure functions of what they show: the Jinja environment, its filters, the labels.

Every label is bilingual (Chinese first, English under or after it). Times are shown in the
hall's time zone whatever the server's, durations in minutes. Nothing here does I/O beyond
reading the templates shipped in the package.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import jinja2
from markupsafe import Markup

from hall.waiting import wait_words

#: (zh, en) for every code the pages show
LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "counter_state": {"open": ("开放", "open"), "paused": ("暂停", "paused"), "closed": ("关闭", "closed")},
    "pause_reason": {
        "break": ("休息", "break"),
        "meal": ("用餐", "meal"),
        "meeting": ("会议", "meeting"),
        "consultation": ("咨询", "consultation"),
        "training": ("培训", "training"),
        "system": ("系统故障", "system fault"),
        "other": ("其他", "other"),
    },
    "ticket_state": {
        "reserved": ("出票中", "printing"),
        "waiting": ("等候中", "waiting"),
        "called": ("已叫号", "called"),
        "serving": ("办理中", "being served"),
        "held": ("暂挂", "on hold"),
        "done": ("已办结", "done"),
        "no_show": ("过号", "missed"),
        "voided": ("已作废", "void"),
        "expired": ("已过期", "expired"),
    },
    "alert_kind": {
        "wait_over_target": ("等候超时", "wait past target"),
        "understaffed": ("窗口不足", "counters closed, queue long"),
        "negative_rating": ("差评", "negative rating"),
        "long_service": ("办理超时", "long service"),
        "device_offline": ("设备离线", "device offline"),
        "printer_paper": ("打印纸", "printer paper"),
        "device_fault": ("设备故障", "device fault"),
        "calls_not_announced": ("叫号未播报", "calls not being announced"),
        "display_behind": ("播报滞后", "display behind"),
    },
    "delivery": {
        "waiting": ("待发", "waiting until"),
        "sending": ("发送中", "sending"),
        "sent": ("已发送", "sent"),
        "failed": ("发送失败", "failed:"),
        "stopped": ("不再发送", "not sent:"),
        "unknown": ("未知", "unknown:"),
    },
    "level": {
        "4": ("非常满意", "very satisfied"),
        "3": ("满意", "satisfied"),
        "2": ("一般", "average"),
        "1": ("不满意", "unsatisfied"),
    },
    "role": {"viewer": ("查看", "viewer"), "supervisor": ("主管", "supervisor"), "admin": ("管理员", "admin")},
    "device_role": {
        "kiosk": ("取号机", "kiosk"),
        "caller": ("窗口呼叫器", "caller"),
        "evaluator": ("评价器", "evaluator"),
        "display": ("显示屏", "display"),
    },
    "paper": {
        "ok": ("纸正常", "paper ok"),
        "low": ("纸将尽", "paper low"),
        "out": ("缺纸", "paper out"),
        "unknown": ("纸况未知", "paper unknown"),
    },
    "class": {
        "normal": ("普通", "normal"),
        "priority": ("优先", "priority"),
        "appointment": ("预约", "appointment"),
        "elderly": ("老年人优先", "elderly"),
        "disabled": ("残疾人优先", "disabled"),
        "pregnant": ("孕妇优先", "pregnant"),
    },
    "audit": {
        "user_added": ("添加用户", "user added"),
        "user_removed": ("删除用户", "user removed"),
        "password_changed": ("修改密码", "password changed"),
        "login": ("登录", "login"),
        "login_failed": ("登录失败", "failed login"),
        "login_blocked": ("登录被限制", "login blocked"),
        "logout": ("退出", "logout"),
    },
}


def label(kind: str, code) -> tuple[str, str]:
    return LABELS.get(kind, {}).get(str(code), (str(code), str(code)))


def bi(kind: str, code) -> Markup:
    """`<span lang=zh>…</span> <span class=en>…</span>` for a code."""
    zh, en = label(kind, code)
    return Markup('<span lang="zh">{}</span> <span class="en" lang="en">{}</span>').format(zh, en)


def duration(seconds: float | None) -> str:
    """45 s, 12 min, 1 h 05 min; '–' for nothing."""
    if seconds is None:
        return "–"
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def pct(share: float | None, digits: int = 1) -> str:
    return "–" if share is None else f"{share * 100:.{digits}f} %"


def number(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


class Pages:
    """The templates, with filters that know the hall's time zone."""

    def __init__(self, timezone: str, brand: tuple[str, str] = ("", "")):
        """`brand`: the site's name in Chinese and English, on every page's header and title."""
        self.tz = zoneinfo.ZoneInfo(timezone)
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("hall_controller.web", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(
            clock=self.clock,
            clock_s=self.clock_s,
            when=self.when,
            day=self.day,
            duration=duration,
            pct=pct,
            number=number,
        )
        self.env.globals.update(
            brand=brand, layout="base.html", bi=bi, label=label, LABELS=LABELS, wait_words=wait_words
        )

    def render(self, template: str, **context) -> str:
        return self.env.get_template(template).render(**context)

    def local(self, at: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(at, self.tz)

    def clock(self, at: float | None) -> str:
        return "–" if at is None else self.local(at).strftime("%H:%M")

    def clock_s(self, at: float | None) -> str:
        return "–" if at is None else self.local(at).strftime("%H:%M:%S")

    def when(self, at: float | None) -> str:
        return "–" if at is None else self.local(at).strftime("%Y-%m-%d %H:%M")

    def day(self, at: float | None) -> str:
        return "–" if at is None else self.local(at).strftime("%Y-%m-%d")
