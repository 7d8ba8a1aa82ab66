"""Which channel hears of which alert, and when: pure functions of the rules, the alert and the time.

No I/O and no clock of its own: the notifier asks, with `now` as an argument, and keeps what
they answer in its outbox. The same functions answer the tests with any time they like.

- `severity`: how serious an alert is (the engine's alerts carry a kind, the rules speak of
  severities too): a 不满意 rating, paper out and an offline device are critical.
- `plan`: the deliveries an alert asks for, one per channel: the rule's own channels when the
  alert has stayed open `after_min` (or at the next digest time), then each level of escalation
  at its time unless someone acknowledges it first. A channel named by two rules or levels hears
  of the alert once, by the first (and once more in a digest, if a digest rule names it).
- `hold_until`: when a due delivery may go: not in quiet hours, not sooner than `every_min` after
  the last message of the same rule, kind and channel (what is held meanwhile goes together).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from hall.alerting import Alerts, Rule

CRITICAL_KINDS = frozenset({"device_offline", "calls_not_announced"})  # citizens cannot be called
LOW_KINDS = frozenset({"long_service"})


def severity(kind: str, message: str) -> str:
    """info | warning | critical, from the alert's kind (and, for ratings and paper, its text)."""
    if kind == "negative_rating":
        return "critical" if "不满意" in message else "warning"
    if kind == "printer_paper":
        return "critical" if message.endswith("paper out") else "warning"
    if kind in CRITICAL_KINDS:
        return "critical"
    if kind in LOW_KINDS:
        return "info"
    return "warning"


@dataclass(frozen=True)
class Planned:
    channel: str
    rule: str
    level: int  # 0: the rule's own channels; 1, 2, …: escalation levels
    due: float
    digest: bool = False


def plan(alerts: Alerts, kind: str, sev: str, raised_at: float, tz: zoneinfo.ZoneInfo) -> list[Planned]:
    out: list[Planned] = []
    taken: set[tuple[str, bool]] = set()

    def add(channels, rule: Rule, level: int, due: float, digest: bool = False) -> None:
        for channel in channels:
            if (channel, digest) not in taken:
                taken.add((channel, digest))
                out.append(Planned(channel, rule.name, level, due, digest))

    for rule in alerts.rules:
        if not rule.takes(kind, sev):
            continue
        if rule.digest is not None:
            add(rule.to, rule, 0, next_time_of_day(rule.digest, raised_at + rule.after_s, tz), digest=True)
            continue
        add(rule.to, rule, 0, raised_at + rule.after_s)
        for level, step in enumerate(rule.escalate, start=1):
            add(step.to, rule, level, raised_at + step.after_s)
    return out


def next_time_of_day(at: dt.time, after: float, tz: zoneinfo.ZoneInfo) -> float:
    """The first moment at or after `after` whose local time of day is `at`."""
    local = dt.datetime.fromtimestamp(after, tz)
    candidate = local.replace(hour=at.hour, minute=at.minute, second=at.second, microsecond=0)
    if candidate.timestamp() < after:
        candidate = (local + dt.timedelta(days=1)).replace(
            hour=at.hour, minute=at.minute, second=at.second, microsecond=0
        )
    return candidate.timestamp()


def quiet_until(rule: Rule, now: float, tz: zoneinfo.ZoneInfo) -> float | None:
    """The end of the rule's quiet hours if `now` is inside them, else None."""
    if rule.quiet is None:
        return None
    start, end = rule.quiet
    t = dt.datetime.fromtimestamp(now, tz).time()
    inside = start <= t < end if start < end else (t >= start or t < end)
    return next_time_of_day(end, now, tz) if inside else None


def hold_until(rule: Rule | None, now: float, last_sent: float | None, tz: zoneinfo.ZoneInfo) -> float | None:
    """None: send now; else the time to try again (quiet hours, or the rule's rate limit)."""
    if rule is None:
        return None
    later = quiet_until(rule, now, tz)
    if rule.every_s and last_sent is not None and now < last_sent + rule.every_s:
        later = max(later or 0.0, last_sent + rule.every_s)
    return later
