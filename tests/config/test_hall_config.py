"""The hall file is checked completely on load: a mistake is one sentence naming the field."""

import copy
import tomllib
from pathlib import Path

import pytest

from hall import config
from hall.config import ConfigError

EXAMPLE = Path(__file__).parents[2] / "examples" / "hall.toml"


@pytest.fixture
def raw():
    return tomllib.loads(EXAMPLE.read_text())


def test_the_example_hall_is_a_real_hall(raw):
    hall = config.parse(raw)
    assert len(hall.services) == 5
    assert len(hall.counters) == 10
    assert {s.prefix for s in hall.services.values()} == set("ABCDE")
    assert all(s.names.zh and s.names.en for s in hall.services.values())
    assert any(c.backup for c in hall.counters.values()), "the A/B post rule needs backup skills"
    elderly = hall.counters[10]
    assert elderly.classes == ("priority", "appointment") and elderly.class_mode == "first"
    assert hall.kiosks and hall.evaluators and hall.callers and hall.displays
    assert {e.counter for e in hall.evaluators.values()} == set(hall.counters)
    assert hall.device_role("K1") == "kiosk" and hall.device_role("E3") == "evaluator"
    assert hall.device_role("nobody") is None


def test_a_kiosk_offers_priority_confirmed_by_staff_unless_told(raw):
    assert config.parse(raw).kiosks["K2"].priority == "staff"  # not set: the default
    raw = edit(edit(raw, "kiosks.1.priority", "self"), "kiosks.0.priority_button", None)
    hall = config.parse(edit(raw, "kiosks.0.priority", "off"))
    assert (hall.kiosks["K1"].priority, hall.kiosks["K2"].priority) == ("off", "self")
    assert config.parse(edit(raw, "kiosks.0.priority", None)).kiosks["K1"].priority == "staff"


def test_ticket_numbers_are_zero_padded_to_the_range():
    hall = config.load(EXAMPLE)
    assert hall.services["social"].display_number(7) == "A007"


def edit(raw, path, value):
    """Set raw[path] = value where path is like 'services.0.prefix'; value None deletes."""
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
        ("services.0.prefx", "A", r"^services\[0\]\.prefx: unknown field$"),
        ("services.0.prefix", "a1", r"^services\[0\]\.prefix: 'a1' must be one to three capital letters$"),
        ("services.1.prefix", "A", r"^services: prefix 'A' is the start of another prefix|two services share"),
        ("services.0.name", None, r"^services\[0\]\.name: missing$"),
        ("services.0.target_wait_min", "twenty", r"^services\[0\]\.target_wait_min: expected a number, got 'twenty'$"),
        ("services.0.numbers", [999, 1], r"^services\[0\]\.numbers: the second number must not be smaller"),
        (
            "services.0.numbers",
            [1, 9_999_999],
            r"^services\[0\]\.numbers: ticket numbers go up to 999,999 \(six digits\)",
        ),
        ("services.0.reset", "25:00", r"^services\[0\]\.reset: '25:00' is not a time of day"),
        ("counters.1.number", 1, r"^counters: number 1 appears twice$"),
        ("counters.0.primary", ["socal"], r"^counters\[0\]\.primary\[0\]: 'socal' is not one of"),
        ("counters.0.backup", ["social"], r"^counters\[0\]\.backup: 'social' is already a primary skill of counter 1$"),
        ("counters.9.classes", ["vip"], r"^counters\[9\]\.classes\[0\]: 'vip' is not one of"),
        ("hall.timezone", "Mars/Olympus", r"^hall\.timezone: 'Mars/Olympus' is not a known time zone"),
        ("hall.id", "Xin Hua", r"^hall\.id: 'Xin Hua' must be lower-case letters"),
        ("dispatch.recall_limit", -1, r"^dispatch\.recall_limit: -1 is below the minimum 0$"),
        ("dispatch.no_show_wait_s", -5, r"^dispatch\.no_show_wait_s: -5 is below the minimum 0$"),
        ("dispatch.announce_within_s", "soon", r"^dispatch\.announce_within_s: expected a number, got 'soon'$"),
        ("dispatch.display_behind_s", 1, r"^dispatch\.display_behind_s: 1 is below the minimum 5$"),
        ("classes.priority", True, r"^classes\.priority: expected a number, got True$"),
        (
            "counters.0.interleave",
            "2-1",
            r"^counters\[0\]\.interleave: '2-1' is not NORMAL:PRIORITY such as \"2:1\", or \"off\"$",
        ),
        ("counters.0.interleave", "0:1", r"^counters\[0\]\.interleave: '0:1' is not NORMAL:PRIORITY"),
        ("counters.9.interleave", "2:1", r"^counters\[9\]\.interleave: a counter restricted to classes serves them"),
        ("classes.normal", 5, r"^classes\.normal: normal tickets have no head start; name the priority classes$"),
        ("classes.Elderly", 5, r"^classes\.Elderly: 'Elderly' must be lower-case letters, digits or _$"),
        ("classes.elderly", 300, r"^classes\.elderly: 300 is above the maximum 240$"),
        ("classes.elderly", "ten", r"^classes\.elderly: expected a number, got 'ten'$"),
        ("kiosks.0.buttons", {"social": 17, "tax": 17}, r"^kiosks\[0\]: GPIO pin 17 is used twice$"),
        ("kiosks.0.buttons", {"parking": 5}, r"^kiosks\[0\]\.buttons\.parking: not one of this kiosk's services$"),
        ("kiosks.0.paper_mm", 60, r"^kiosks\[0\]\.paper_mm: 60 is not one of \[58, 80\]$"),
        ("kiosks.0.priority", "maybe", r"^kiosks\[0\]\.priority: 'maybe' is not one of off, self, staff$"),
        ("kiosks.0.priority", True, r"^kiosks\[0\]\.priority: "),
        ("kiosks.0.priority", "off", r"^kiosks\[0\]\.priority_button: this kiosk offers no priority"),
        ("evaluators.0.counter", 42, r"^evaluators\[0\]\.counter: 42 is not one of"),
        ("evaluators.0.buttons", [5, 6], r"^evaluators\[0\]\.buttons: expected a list of 4 GPIO pin numbers$"),
        ("displays.2.counter", None, r"^displays\[2\]\.counter: a display in counter mode needs the counter"),
        ("displays.0.voice", "siri", r"^displays\[0\]\.voice: 'siri' is not espeak, chime, none or clips:FOLDER$"),
        ("displays.0.repeats", 9, r"^displays\[0\]\.repeats: 9 is above the maximum 5$"),
        ("callers.0.id", "K1", r"^callers: device id 'K1' is also used in kiosks$"),
    ],
)
def test_a_mistake_is_one_sentence_naming_the_field(raw, path, value, message):
    with pytest.raises(ConfigError, match=message) as err:
        config.parse(edit(raw, path, value))
    assert "\n" not in str(err.value)


def test_a_service_no_counter_serves_is_refused(raw):
    raw = edit(raw, "counters", [{"number": 1, "primary": ["social", "property", "fund", "tax"]}])
    raw = edit(raw, "evaluators", [])
    raw = edit(raw, "callers", [])
    raw = edit(raw, "displays", [])
    with pytest.raises(ConfigError, match=r"^services\.business: no counter has it as a primary skill"):
        config.parse(raw)


def test_files_that_are_not_toml_or_missing(tmp_path):
    bad = tmp_path / "hall.toml"
    bad.write_text("[hall\nid = 1")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        config.load(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        config.load(tmp_path / "nowhere.toml")


def test_a_hall_may_name_several_priority_classes(raw):
    """elderly, disabled, pregnant: each a priority class with its own head start; a counter for
    "priority" tickets serves them all; reports tell them apart (tests/engine/test_priority_classes.py)."""
    raw = edit(raw, "classes", {"priority": 10, "appointment": 15, "elderly": 10, "disabled": 12, "pregnant": 8})
    hall = config.parse(raw)
    assert hall.ticket_classes == ("normal", "priority", "appointment", "elderly", "disabled", "pregnant")
    assert hall.dispatch.priority_classes == ("priority", "elderly", "disabled", "pregnant")
    assert hall.dispatch.head_start_s["disabled"] == 12 * 60 and hall.dispatch.head_start_s["pregnant"] == 8 * 60
    assert hall.counters[10].classes == ("priority", "appointment", "elderly", "disabled", "pregnant")
    only_elderly = config.parse(edit(raw, "counters.9.classes", ["elderly"]))
    assert only_elderly.counters[10].classes == ("elderly",)


def test_too_many_priority_classes_are_refused(raw):
    many = {f"class{i}": 5 for i in range(config.MAX_PRIORITY_CLASSES + 1)}
    with pytest.raises(ConfigError, match=r"^classes: at most 8 priority classes besides priority and appointment"):
        config.parse(edit(raw, "classes", many))


def test_interleave_is_normal_then_priority_calls(raw):
    hall = config.parse(edit(raw, "counters.0.interleave", "3:2"))
    assert hall.counters[1].interleave == (3, 2) and hall.counters[2].interleave is None
    assert config.parse(edit(raw, "counters.0.interleave", "off")).counters[1].interleave is None
