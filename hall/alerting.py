"""Who hears of an alert, and how: the `[alerts]` part of the hall file and the secrets file.

The hall file names the channels (a WeCom or DingTalk group robot, a mailbox, a webhook) and the
rules that route alerts to them; the addresses themselves (robot keys, signing secrets, SMTP
passwords) live in a separate secrets file, readable by its owner only, so the hall file can be
copied, printed and kept in version control. Both are checked completely on load: one sentence
naming the field for each mistake, nothing started on a half-valid file.

    [alerts]
    web_url = "http://hall.local:8080/"       # links in the messages open the alert here

    [[alerts.channels]]
    name = "supervisors"
    kind = "wecom"                            # wecom | dingtalk | email | webhook
    description = "值班主任企业微信群 duty supervisors' WeCom group"

    [[alerts.rules]]
    name = "unsatisfied"
    kinds = ["negative_rating"]               # default: every kind
    severity = "critical"                     # the lowest severity taken (info < warning < critical)
    to = ["supervisors"]
    after_min = 0                             # still open this long after it was raised: send
    every_min = 5                             # at most one message per kind and channel per 5 min
    quiet_hours = ["22:00", "07:00"]          # held, then sent bundled when quiet hours end
    [[alerts.rules.escalate]]
    after_min = 10                            # not acknowledged 10 minutes after it was raised
    to = ["duty_manager"]

    [[alerts.rules]]
    to = ["duty_manager"]
    digest = "18:00"                          # no message per alert: one summary a day at this time

The secrets file (TOML, chmod 600):

    [channels]
    supervisors = "wecombot://KEY"
"""

from __future__ import annotations

import datetime as dt
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from hall.config import ConfigError, _Reader

#: the alert kinds the engine raises (see hall_controller/engine/events.py, AlertRaised)
ALERT_KINDS = (
    "wait_over_target",
    "understaffed",
    "negative_rating",
    "long_service",
    "device_offline",
    "printer_paper",
    "device_fault",
    "calls_not_announced",
    "display_behind",
)
SEVERITIES = ("info", "warning", "critical")
#: the URL schemes (apprise's) a channel of each kind may use
CHANNEL_SCHEMES = {
    "wecom": ("wecombot",),
    "dingtalk": ("dingtalk",),
    "email": ("mailto", "mailtos"),
    "webhook": ("json", "jsons", "form", "forms", "xml", "xmls"),
}
NAME_PATTERN = r"[a-z0-9][a-z0-9_-]{0,39}"


@dataclass(frozen=True)
class Channel:
    name: str
    kind: str
    description: str = ""


@dataclass(frozen=True)
class Escalation:
    after_s: float  # since the alert was raised, not acknowledged
    to: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    name: str
    kinds: tuple[str, ...]  # empty: every kind
    severity: str  # the lowest severity this rule takes
    to: tuple[str, ...]
    after_s: float = 0.0
    every_s: float = 0.0  # 0: no rate limit
    quiet: tuple[dt.time, dt.time] | None = None
    digest: dt.time | None = None
    escalate: tuple[Escalation, ...] = ()

    def takes(self, kind: str, severity: str) -> bool:
        return (not self.kinds or kind in self.kinds) and SEVERITIES.index(severity) >= SEVERITIES.index(self.severity)


@dataclass(frozen=True)
class Alerts:
    web_url: str = "http://hall.local:8080/"
    channels: dict[str, Channel] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()

    @property
    def enabled(self) -> bool:
        return bool(self.rules)


NO_ALERTS = Alerts()


def parse(t: _Reader) -> Alerts:
    """The `[alerts]` table (already taken out of the hall file); NO_ALERTS when it is empty."""
    if not t.raw:
        return NO_ALERTS
    web_url = t.string("web_url", default="http://hall.local:8080/")
    if not web_url.startswith(("http://", "https://")):
        raise ConfigError(f"{t.path('web_url')}: {web_url!r} must start with http:// or https://")
    channels: dict[str, Channel] = {}
    for c in t.tables("channels"):
        channel = Channel(
            c.string("name", pattern=NAME_PATTERN, what="lower-case letters, digits, - or _"),
            c.string("kind", choices=CHANNEL_SCHEMES),
            c.string("description", default=""),
        )
        c.done()
        if channel.name in channels:
            raise ConfigError(f"{c.path('name')}: channel {channel.name!r} appears twice")
        channels[channel.name] = channel
    rules: list[Rule] = []
    for r in t.tables("rules"):
        rules.append(_rule(r, channels, len(rules)))
    names = [rule.name for rule in rules]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f"alerts.rules: rule name {name!r} appears twice")
    t.done()
    return Alerts(web_url if web_url.endswith("/") else web_url + "/", channels, tuple(rules))


def _rule(r: _Reader, channels: dict[str, Channel], index: int) -> Rule:
    name = r.string(
        "name", default=f"rule-{index + 1}", pattern=NAME_PATTERN, what="lower-case letters, digits, - or _"
    )
    kinds = tuple(r.strings("kinds", default=[], choices=ALERT_KINDS))
    severity = r.string("severity", default="info", choices=SEVERITIES)
    to = _channels(r, "to", channels)
    after_s = r.number("after_min", default=0, minimum=0, maximum=24 * 60) * 60
    every_s = r.number("every_min", default=0, minimum=0, maximum=24 * 60) * 60
    quiet = None
    hours = r._take("quiet_hours", None)
    if hours is not None:
        if not isinstance(hours, list) or len(hours) != 2 or not all(isinstance(h, str) for h in hours):
            raise ConfigError(f'{r.path("quiet_hours")}: expected a start and an end like ["22:00", "07:00"]')
        quiet = (_time(hours[0], r.path("quiet_hours")), _time(hours[1], r.path("quiet_hours")))
        if quiet[0] == quiet[1]:
            raise ConfigError(f"{r.path('quiet_hours')}: the start and the end are the same time")
    digest = _time(r.string("digest"), r.path("digest")) if "digest" in r.raw else None
    escalate: list[Escalation] = []
    for e in r.tables("escalate"):
        level = Escalation(e.number("after_min", minimum=1, maximum=24 * 60) * 60, _channels(e, "to", channels))
        e.done()
        if level.after_s <= (escalate[-1].after_s if escalate else after_s):
            raise ConfigError(f"{e.path('after_min')}: each level of escalation must come later than the one before")
        escalate.append(level)
    if digest is not None and escalate:
        raise ConfigError(f"{r.path('digest')}: a digest rule cannot escalate (its messages wait for the digest)")
    r.done()
    return Rule(name, kinds, severity, to, after_s, every_s, quiet, digest, tuple(escalate))


def _channels(r: _Reader, key: str, channels: dict[str, Channel]) -> tuple[str, ...]:
    names = r.strings(key)
    if not names:
        raise ConfigError(f"{r.path(key)}: name at least one channel")
    for i, name in enumerate(names):
        if name not in channels:
            raise ConfigError(f"{r.path(key)}[{i}]: there is no channel {name!r} in alerts.channels")
    return tuple(names)


def _time(text: str, where: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise ConfigError(f'{where}: {text!r} is not a time of day like "22:00"') from None


# --- the secrets file ------------------------------------------------------------------------


def load_secrets(path: str | Path, alerts: Alerts) -> dict[str, str]:
    """{channel name: apprise URL} from the secrets file; ConfigError (one sentence, never the
    secret itself) if the file is readable by others, malformed, or does not match the channels."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigError(f"alert secrets file {path} does not exist") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"alert secrets file {path} can be read by others than its owner: chmod 600 {path}")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        raise ConfigError(f"alert secrets file {path} is not valid UTF-8 TOML") from None
    table = raw.get("channels")
    if set(raw) - {"channels"} or not isinstance(table, dict):
        raise ConfigError(f'alert secrets file {path}: expected one [channels] table of name = "URL"')
    channels = alerts.channels
    urls: dict[str, str] = {}
    for name, url in table.items():
        if name not in channels:
            raise ConfigError(f"alert secrets file {path}: channels.{name} is not a channel of the hall file")
        scheme = url.split("://", 1)[0].lower() if isinstance(url, str) and "://" in url else None
        if scheme not in CHANNEL_SCHEMES[channels[name].kind]:
            allowed = ", ".join(s + "://" for s in CHANNEL_SCHEMES[channels[name].kind])
            raise ConfigError(f"alert secrets file {path}: channels.{name} must be a URL starting with {allowed}")
        urls[name] = url
    missing = [name for name in channels if name not in urls]
    if missing:
        raise ConfigError(f"alert secrets file {path}: no URL for channel {missing[0]!r}")
    return urls
