"""Topic names: built exactly as the contract says, parsed back, strangers refused."""

import pytest

from protocol import topics
from protocol.topics import Kind, Route, TopicError


def test_builders_give_the_contract_names():
    assert topics.device_up("xinhua", "K1") == "hall/xinhua/dev/K1/up"
    assert topics.device_down("xinhua", "K1") == "hall/xinhua/dev/K1/down"
    assert topics.device_state("xinhua", "K1") == "hall/xinhua/dev/K1/state"
    assert topics.board("xinhua") == "hall/xinhua/board"
    assert topics.calls("xinhua") == "hall/xinhua/calls"
    assert topics.alerts("xinhua") == "hall/xinhua/alerts"
    assert topics.controller_state("xinhua") == "hall/xinhua/controller/state"
    assert topics.every_device("xinhua", "up") == "hall/xinhua/dev/+/up"
    assert topics.hall_topic("xinhua", "controller/state") == "hall/xinhua/controller/state"


@pytest.mark.parametrize(
    "topic, route",
    [
        ("hall/xinhua/dev/K1/up", (Kind.UP, "K1")),
        ("hall/xinhua/dev/E-3_b/down", (Kind.DOWN, "E-3_b")),
        ("hall/xinhua/dev/D1/state", (Kind.STATE, "D1")),
        ("hall/xinhua/board", (Kind.BOARD, None)),
        ("hall/xinhua/calls", (Kind.CALLS, None)),
        ("hall/xinhua/alerts", (Kind.ALERTS, None)),
        ("hall/xinhua/controller/state", (Kind.CONTROLLER_STATE, None)),
    ],
)
def test_parse_names_kind_and_device(topic, route):
    parsed = topics.parse(topic)
    assert parsed == Route(*route)
    kind, device = parsed  # unpacks as (kind, device)
    assert (kind, device) == route
    assert topics.parse(topic, hall="xinhua") == parsed


def test_every_builder_parses_back():
    for kind in topics.DEVICE_KINDS:
        built = {Kind.UP: topics.device_up, Kind.DOWN: topics.device_down, Kind.STATE: topics.device_state}[kind](
            "h1", "C10"
        )
        assert topics.parse(built, "h1") == (kind, "C10")
    for kind in topics.HALL_KINDS:
        assert topics.parse(topics.hall_topic("h1", kind), "h1") == (kind, None)


@pytest.mark.parametrize(
    "topic",
    [
        "",
        "hall",
        "hall/xinhua",
        "hall/xinhua/",
        "halls/xinhua/board",
        "/hall/xinhua/board",
        "hall/xinhua/board/",
        "hall/xinhua/board/extra",
        "hall/xinhua/dev/K1",
        "hall/xinhua/dev/K1/sideways",
        "hall/xinhua/dev/K1/up/more",
        "hall/xinhua/dev//up",
        "hall/xinhua/dev/+/up",
        "hall/+/board",
        "hall/#",
        "hall/xinhua/controller",
        "hall/xinhua/controller/up",
        "hall/xinhua/dev/K/1/up",
        "$SYS/broker/uptime",
        "hall/xinhua/dev/K1/UP",
    ],
)
def test_parse_refuses_topics_that_are_not_ours(topic):
    with pytest.raises(TopicError, match="is not a hall topic"):
        topics.parse(topic)


def test_parse_refuses_another_hall():
    with pytest.raises(TopicError, match="belongs to hall 'other', not 'xinhua'"):
        topics.parse("hall/other/board", hall="xinhua")


@pytest.mark.parametrize("bad", ["", "a/b", "+", "#", "K#1", "-K1", "K 1", "k" * 65, "$SYS", None])
def test_builders_refuse_ids_that_would_break_the_topic(bad):
    with pytest.raises(TopicError, match="cannot be part of a topic"):
        topics.device_up("xinhua", bad)
    with pytest.raises(TopicError, match="cannot be part of a topic"):
        topics.board(bad)


def test_kind_helpers_refuse_the_wrong_family():
    with pytest.raises(TopicError, match="not a device topic"):
        topics.every_device("h", "board")
    with pytest.raises(TopicError, match="not a hall-wide topic"):
        topics.hall_topic("h", "up")
    with pytest.raises(ValueError):
        topics.hall_topic("h", "sideways")
