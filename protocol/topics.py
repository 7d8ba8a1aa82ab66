"""The MQTT topic names of a hall, built and parsed in one place.

Every program builds its topics here, so a typo cannot make a kiosk talk into the void, and the
controller turns an incoming topic back into what it means with `parse`. The names:

    hall/{hall}/dev/{device}/up       a device's requests and reports (to the controller)
    hall/{hall}/dev/{device}/down     the controller's replies and prompts (to that device)
    hall/{hall}/dev/{device}/state    the device's retained presence and health (last will: offline)
    hall/{hall}/board                 the retained snapshot the screens show
    hall/{hall}/calls                 every call, with a gap-free sequence number
    hall/{hall}/alerts                alerts for the management web and supervisors
    hall/{hall}/controller/state      the controller's retained presence (last will: offline)

Pure functions over strings; no MQTT library here.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import NamedTuple

# Hall and device ids are single topic levels: no "/", no MQTT wildcards, no "$" prefix.
# Wide enough for every id hall/config.py accepts (hall: lower-case; devices: a letter first).
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


class TopicError(ValueError):
    """A topic (or a hall or device id meant to become part of one) is not one of ours."""


class Kind(StrEnum):
    """What a hall topic carries. A `StrEnum`, so `Kind.UP == "up"`."""

    UP = "up"
    DOWN = "down"
    STATE = "state"
    BOARD = "board"
    CALLS = "calls"
    ALERTS = "alerts"
    CONTROLLER_STATE = "controller/state"


DEVICE_KINDS = frozenset({Kind.UP, Kind.DOWN, Kind.STATE})
HALL_KINDS = frozenset({Kind.BOARD, Kind.CALLS, Kind.ALERTS, Kind.CONTROLLER_STATE})


class Route(NamedTuple):
    """A parsed topic: what it carries and, for device topics, which device (else None)."""

    kind: Kind
    device: str | None


def _segment(value: str, what: str) -> str:
    if not isinstance(value, str) or not _SEGMENT.fullmatch(value):
        raise TopicError(
            f"{what} {value!r} cannot be part of a topic: use letters, digits, - or _ (a letter or digit first, at most 64)"
        )
    return value


def _hall(hall: str) -> str:
    return "hall/" + _segment(hall, "hall id")


def device_up(hall: str, device: str) -> str:
    return f"{_hall(hall)}/dev/{_segment(device, 'device id')}/up"


def device_down(hall: str, device: str) -> str:
    return f"{_hall(hall)}/dev/{_segment(device, 'device id')}/down"


def device_state(hall: str, device: str) -> str:
    return f"{_hall(hall)}/dev/{_segment(device, 'device id')}/state"


def board(hall: str) -> str:
    return f"{_hall(hall)}/board"


def calls(hall: str) -> str:
    return f"{_hall(hall)}/calls"


def alerts(hall: str) -> str:
    return f"{_hall(hall)}/alerts"


def controller_state(hall: str) -> str:
    return f"{_hall(hall)}/controller/state"


def every_device(hall: str, kind: Kind | str) -> str:
    """The subscription filter for one kind of device topic across all devices, e.g. `hall/x/dev/+/up`."""
    kind = Kind(kind)
    if kind not in DEVICE_KINDS:
        raise TopicError(f"{kind.value!r} is not a device topic; use one of up, down, state")
    return f"{_hall(hall)}/dev/+/{kind.value}"


def hall_topic(hall: str, kind: Kind | str) -> str:
    """The topic of a hall-wide kind (board, calls, alerts, controller/state) by name."""
    kind = Kind(kind)
    if kind not in HALL_KINDS:
        raise TopicError(f"{kind.value!r} is not a hall-wide topic; use one of board, calls, alerts, controller/state")
    return f"{_hall(hall)}/{kind.value}"


def parse(topic: str, hall: str | None = None) -> Route:
    """Say what `topic` carries: `Route(kind, device)`; device is None for hall-wide topics.

    With `hall`, a topic of another hall is refused too. Raises `TopicError` for anything that
    is not exactly one of the topics above.
    """
    parts = topic.split("/") if isinstance(topic, str) else []
    if len(parts) < 3 or parts[0] != "hall" or not _SEGMENT.fullmatch(parts[1]):
        raise TopicError(f"topic {topic!r} is not a hall topic")
    if hall is not None and parts[1] != hall:
        raise TopicError(f"topic {topic!r} belongs to hall {parts[1]!r}, not {hall!r}")
    rest = parts[2:]
    if len(rest) == 3 and rest[0] == "dev" and _SEGMENT.fullmatch(rest[1]) and rest[2] in DEVICE_KINDS:
        return Route(Kind(rest[2]), rest[1])
    joined = "/".join(rest)
    if joined in HALL_KINDS:
        return Route(Kind(joined), None)
    raise TopicError(f"topic {topic!r} is not a hall topic")
