"""The hall file's [alerts] and the alert secrets file: checked completely, one sentence per mistake,
naming the field; the secrets file must be its owner's alone, and its secrets never appear in an error."""

import copy
import datetime as dt
import os
import tomllib
from pathlib import Path

import pytest

from hall import config
from hall.alerting import load_secrets
from hall.config import ConfigError

EXAMPLE = Path(__file__).parents[2] / "examples" / "hall.toml"


@pytest.fixture
def raw():
    return tomllib.loads(EXAMPLE.read_text())


def test_the_example_routes_ratings_waits_and_devices_to_their_people(raw):
    alerts = config.parse(raw).alerts
    assert set(alerts.channels) == {"supervisors", "duty-manager", "technicians"}
    assert alerts.channels["supervisors"].kind == "wecom"
    rules = {r.name: r for r in alerts.rules}
    assert rules["unsatisfied"].takes("negative_rating", "critical")
    assert not rules["unsatisfied"].takes("negative_rating", "warning")
    assert rules["unsatisfied"].escalate[0].after_s == 15 * 60 and rules["unsatisfied"].escalate[0].to == (
        "duty-manager",
    )
    assert rules["long-wait"].after_s == 10 * 60
    assert rules["devices"].quiet == (dt.time(20, 0), dt.time(7, 30))
    assert rules["daily"].digest == dt.time(18, 0) and rules["daily"].takes("long_service", "info")
    assert alerts.web_url == "http://hall.local:8080/"


def test_a_hall_without_alerts_has_none_and_changing_alerts_keeps_the_hall_the_same_for_the_journal(raw):
    bare = copy.deepcopy(raw)
    del bare["alerts"]
    assert not config.parse(bare).alerts.enabled
    assert repr(config.parse(bare)) == repr(config.parse(raw))  # the journal's snapshot fingerprint


def edit(raw, path, value):
    """Set raw[path] = value where path is like 'alerts.rules.0.to'; value None deletes."""
    raw = copy.deepcopy(raw)
    *parents, last = path.split(".")
    node = raw
    for p in parents:
        node = node[int(p)] if p.isdigit() else node[p]
    if value is None:
        del node[int(last) if last.isdigit() else last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return raw


@pytest.mark.parametrize(
    "path, value, message",
    [
        ("alerts.web_url", "hall.local", r"^alerts\.web_url: 'hall\.local' must start with http:// or https://$"),
        ("alerts.colour", "red", r"^alerts\.colour: unknown field$"),
        ("alerts.channels.0.name", "Supervisors!", r"^alerts\.channels\[0\]\.name: 'Supervisors!' must be lower-case"),
        (
            "alerts.channels.1.name",
            "supervisors",
            r"^alerts\.channels\[1\]\.name: channel 'supervisors' appears twice$",
        ),
        (
            "alerts.channels.0.kind",
            "sms",
            r"^alerts\.channels\[0\]\.kind: 'sms' is not one of dingtalk, email, webhook, wecom$",
        ),
        ("alerts.channels.0.kind", None, r"^alerts\.channels\[0\]\.kind: missing$"),
        ("alerts.channels.0.url", "wecombot://k", r"^alerts\.channels\[0\]\.url: unknown field$"),
        (
            "alerts.rules.0.to",
            ["nobody"],
            r"^alerts\.rules\[0\]\.to\[0\]: there is no channel 'nobody' in alerts\.channels$",
        ),
        ("alerts.rules.0.to", [], r"^alerts\.rules\[0\]\.to: name at least one channel$"),
        ("alerts.rules.0.to", None, r"^alerts\.rules\[0\]\.to: missing$"),
        ("alerts.rules.0.kinds", ["bad_mood"], r"^alerts\.rules\[0\]\.kinds\[0\]: 'bad_mood' is not one of "),
        (
            "alerts.rules.0.severity",
            "urgent",
            r"^alerts\.rules\[0\]\.severity: 'urgent' is not one of critical, info, warning$",
        ),
        ("alerts.rules.0.every_min", -1, r"^alerts\.rules\[0\]\.every_min: -1 is below the minimum 0$"),
        ("alerts.rules.0.every_min", "5", r"^alerts\.rules\[0\]\.every_min: expected a number, got '5'$"),
        ("alerts.rules.1.after_min", 2000, r"^alerts\.rules\[1\]\.after_min: 2000 is above the maximum 1440$"),
        ("alerts.rules.2.quiet_hours", ["22:00"], r"^alerts\.rules\[2\]\.quiet_hours: expected a start and an end"),
        (
            "alerts.rules.2.quiet_hours",
            ["22:00", "25:00"],
            r"^alerts\.rules\[2\]\.quiet_hours: '25:00' is not a time of day",
        ),
        (
            "alerts.rules.2.quiet_hours",
            ["22:00", "22:00"],
            r"^alerts\.rules\[2\]\.quiet_hours: the start and the end are the same time$",
        ),
        ("alerts.rules.3.digest", "evening", r"^alerts\.rules\[3\]\.digest: 'evening' is not a time of day"),
        ("alerts.rules.1.name", "unsatisfied", r"^alerts\.rules: rule name 'unsatisfied' appears twice$"),
        (
            "alerts.rules.0.escalate.0.after_min",
            0,
            r"^alerts\.rules\[0\]\.escalate\[0\]\.after_min: 0 is below the minimum 1$",
        ),
        (
            "alerts.rules.0.escalate.0.to",
            ["nobody"],
            r"^alerts\.rules\[0\]\.escalate\[0\]\.to\[0\]: there is no channel 'nobody'",
        ),
        ("alerts.rules.0.escalate.0.when", 3, r"^alerts\.rules\[0\]\.escalate\[0\]\.when: unknown field$"),
        (
            "alerts.rules.1.escalate",
            [{"after_min": 5, "to": ["supervisors"]}],
            r"^alerts\.rules\[1\]\.escalate\[0\]\.after_min: each level of escalation must come later than the one before$",
        ),
        (
            "alerts.rules.3.escalate",
            [{"after_min": 5, "to": ["supervisors"]}],
            r"^alerts\.rules\[3\]\.digest: a digest rule cannot escalate",
        ),
        ("alerts.rules", {"to": ["supervisors"]}, r"^alerts\.rules: expected a list of tables \(\[\[rules\]\]\)$"),
    ],
)
def test_each_mistake_is_one_sentence_naming_the_field(raw, path, value, message):
    with pytest.raises(ConfigError, match=message):
        config.parse(edit(raw, path, value))


def write_secrets(tmp_path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "alert-secrets.toml"
    path.write_text(text)
    os.chmod(path, mode)
    return path


GOOD = """
[channels]
supervisors = "wecombot://s3cretkey"
duty-manager = "mailtos://duty:pa55word@smtp.example.org?to=duty@example.org"
technicians = "dingtalk://s1gn@t0ken/"
"""


def test_the_secrets_file_gives_each_channel_its_url(raw, tmp_path):
    urls = load_secrets(write_secrets(tmp_path, GOOD), config.parse(raw).alerts)
    assert urls["supervisors"] == "wecombot://s3cretkey" and set(urls) == {"supervisors", "duty-manager", "technicians"}


@pytest.mark.parametrize(
    "text, mode, message",
    [
        (GOOD, 0o644, r"can be read by others than its owner: chmod 600 "),
        (GOOD, 0o640, r"can be read by others than its owner: chmod 600 "),
        ("[channels\n", 0o600, r"is not valid UTF-8 TOML$"),
        ('supervisors = "wecombot://s3cretkey"', 0o600, r"expected one \[channels\] table of name = \"URL\"$"),
        (GOOD + 'extra = "json://x"', 0o600, r": channels\.extra is not a channel of the hall file$"),
        (
            GOOD.replace("wecombot://s3cretkey", "dingtalk://s3cretkey"),
            0o600,
            r": channels\.supervisors must be a URL starting with wecombot://$",
        ),
        (GOOD.replace('"wecombot://s3cretkey"', "5"), 0o600, r": channels\.supervisors must be a URL starting with"),
        (GOOD.replace('technicians = "dingtalk://s1gn@t0ken/"', ""), 0o600, r": no URL for channel 'technicians'$"),
    ],
)
def test_a_bad_secrets_file_is_one_sentence_without_its_secrets(raw, tmp_path, text, mode, message):
    path = write_secrets(tmp_path, text, mode)
    with pytest.raises(ConfigError, match=message) as caught:
        load_secrets(path, config.parse(raw).alerts)
    for secret in ("s3cret", "pa55word", "t0ken"):
        assert secret not in str(caught.value)
    assert str(caught.value).startswith(f"alert secrets file {path}")


def test_a_missing_secrets_file_is_one_sentence(raw, tmp_path):
    with pytest.raises(ConfigError, match=r"^alert secrets file .*nowhere\.toml does not exist$"):
        load_secrets(tmp_path / "nowhere.toml", config.parse(raw).alerts)
