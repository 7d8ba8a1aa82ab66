"""Every hall as the district broker shows it, as plain data: no MQTT, no I/O, the time an argument.

The bridges of the halls put on the district broker, under `hall/{hall}/…`, the retained board,
controller state and device states, the alerts as they happen, and the bridge's own presence.
`DistrictLive.apply(topic, payload, now)` takes one such message and keeps the latest of each;
`summary(hall)` is what the district's live page shows of a hall. A payload that is not a hall
message (not JSON, too big, an unknown topic) is refused with one log line and changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from protocol.envelope import MAX_BYTES, ProtocolError, decode, parse_ts

log = logging.getLogger("district.live")
SUBSCRIPTIONS = (
    "hall/+/board",
    "hall/+/controller/state",
    "hall/+/dev/+/state",
    "hall/+/alerts",
    "hall/+/bridge/state",
)
MAX_ALERTS = 200  # per hall: the newest open alerts kept (a flood cannot grow memory)


@dataclass
class Device:
    id: str
    online: bool = False
    paper: str | None = None
    cover_open: bool = False
    fault: str | None = None
    version: str | None = None
    since: float | None = None  # the device's own time of this state
    seen_at: float | None = None  # when the district got it


@dataclass
class Hall:
    id: str
    board: dict[str, Any] | None = None
    board_at: float | None = None
    board_ts: float | None = None  # the hall's own clock when it published the board
    controller_online: bool | None = None
    controller_since: float | None = None
    linked: bool | None = None  # the bridge's presence: True linked, False the link dropped
    linked_at: float | None = None
    devices: dict[str, Device] = field(default_factory=dict)
    alerts: dict[int, dict[str, Any]] = field(default_factory=dict)


def _epoch(ts: Any) -> float | None:
    try:
        return parse_ts(ts).timestamp()
    except (TypeError, ValueError, ProtocolError):
        return None


class DistrictLive:
    def __init__(self) -> None:
        self.halls: dict[str, Hall] = {}
        self.version = 0

    def apply(self, topic: str, payload: bytes, now: float) -> str | None:
        """Take one message from the district broker; the hall it changed, or None (refused)."""
        parts = topic.split("/")
        if len(parts) < 3 or parts[0] != "hall" or not parts[1]:
            log.warning("district live: ignored a message on %r, not a hall topic", topic[:120])
            return None
        hall_id, rest = parts[1], parts[2:]
        if len(payload) > MAX_BYTES:
            log.warning("district live: ignored %d bytes on %s, over the %d-byte limit", len(payload), topic, MAX_BYTES)
            return None
        if rest == ["bridge", "state"]:
            if payload not in (b"0", b"1"):
                log.warning("district live: ignored a bridge state %r of hall %s", payload[:20], hall_id)
                return None
            hall = self._hall(hall_id)
            hall.linked, hall.linked_at = payload == b"1", now
            return self._changed(hall_id)
        if not payload:  # a retained message cleared
            return None
        try:
            message = decode(payload)
        except ProtocolError as e:
            log.warning("district live: ignored a bad message on %s: %s", topic, e)
            return None
        body = dict(message.body)
        hall = self._hall(hall_id)
        if rest == ["board"] and message.type == "board.snapshot":
            hall.board, hall.board_at, hall.board_ts = body, now, _epoch(message.ts)
        elif rest == ["controller", "state"] and message.type == "controller.state":
            hall.controller_online = bool(body.get("online"))
            hall.controller_since = _epoch(body.get("since")) or _epoch(message.ts)
        elif len(rest) == 3 and rest[0] == "dev" and rest[2] == "state" and message.type == "device.state":
            device = hall.devices.setdefault(rest[1], Device(rest[1]))
            device.online = bool(body.get("online"))
            device.paper = body.get("paper") if isinstance(body.get("paper"), str) else None
            device.cover_open = bool(body.get("cover_open"))
            device.fault = body.get("fault") if isinstance(body.get("fault"), str) else None
            version = body.get("version") or body.get("software")
            device.version = str(version)[:40] if version else device.version
            device.since, device.seen_at = _epoch(message.ts), now
        elif rest == ["alerts"] and message.type == "alert.raised" and isinstance(body.get("alert"), int):
            hall.alerts[body["alert"]] = {
                "alert": body["alert"],
                "kind": str(body.get("kind", "")),
                "subject": str(body.get("subject", "")),
                "message": str(body.get("message", "")),
                "at": _epoch(body.get("at")),
                "by": None,
            }
            while len(hall.alerts) > MAX_ALERTS:
                del hall.alerts[min(hall.alerts)]
        elif rest == ["alerts"] and message.type == "alert.cleared":
            hall.alerts.pop(body.get("alert"), None)
        elif rest == ["alerts"] and message.type == "alert.acknowledged":
            if body.get("alert") in hall.alerts:
                hall.alerts[body["alert"]]["by"] = str(body.get("by", ""))
        else:
            log.warning("district live: ignored a %s on %s", message.type, topic)
            return None
        return self._changed(hall_id)

    def _hall(self, hall_id: str) -> Hall:
        hall = self.halls.get(hall_id)
        if hall is None:
            hall = self.halls[hall_id] = Hall(hall_id)
        return hall

    def _changed(self, hall_id: str) -> str:
        self.version += 1
        return hall_id


def _waited(since: Any, now: float) -> float | None:
    """Seconds since an RFC 3339 time on a board, or None when there is none (or it is garbage)."""
    at = _epoch(since)
    return None if at is None else max(0.0, now - at)


def summary(hall: Hall, targets: dict[str, float], now: float) -> dict[str, Any]:
    """What the live page shows of one hall. `targets` are its services' target waits (s)."""
    board = hall.board or {}
    # waits are counted on the hall's clock (its board's time, moved on by the time since it came):
    # a hall machine whose clock is off by minutes, or a demo hall on a sped-up clock, still shows
    # how long its longest wait really is
    hall_now = now if hall.board_ts is None or hall.board_at is None else hall.board_ts + (now - hall.board_at)
    services = []
    for service in board.get("services", []) or []:
        if not isinstance(service, dict):
            continue
        target = targets.get(service.get("id"))
        estimated = service.get("estimated_wait_s")
        longest = _waited(service.get("longest_wait_since"), hall_now)
        services.append(
            {
                "id": service.get("id"),
                "prefix": service.get("prefix", ""),
                "name": service.get("name") or {},
                "waiting": int(service.get("waiting") or 0),
                "estimated_wait_s": estimated,
                "longest_wait_s": longest,
                "target_s": target,
                "over": bool(target and longest is not None and longest > target),
            }
        )
    counters = [c for c in board.get("counters", []) or [] if isinstance(c, dict)]
    # the service whose longest wait is furthest along its target, among those with someone waiting
    # (a board from an older controller says no longest wait: its estimate stands in)
    worst = max(
        (
            s
            for s in services
            if s["target_s"] and s["waiting"] > 0 and (s["longest_wait_s"] or s["estimated_wait_s"]) is not None
        ),
        key=lambda s: (
            (s["longest_wait_s"] if s["longest_wait_s"] is not None else s["estimated_wait_s"]) / s["target_s"]
        ),
        default=None,
    )
    devices = sorted(hall.devices.values(), key=lambda d: d.id)
    return {
        "id": hall.id,
        "waiting": sum(s["waiting"] for s in services),
        "services": services,
        "worst": worst,
        "counters_open": sum(1 for c in counters if c.get("state") == "open"),
        "counters_paused": sum(1 for c in counters if c.get("state") == "paused"),
        "counters": counters,
        "calls": [c for c in board.get("calls", []) or [] if isinstance(c, dict)][:8],
        "incident": board.get("incident"),
        "alerts": sorted(hall.alerts.values(), key=lambda a: a["alert"], reverse=True),
        "offline": [d.id for d in devices if not d.online],
        "paper": [(d.id, d.paper) for d in devices if d.paper in ("low", "out")],
        "faults": [(d.id, d.fault) for d in devices if d.fault],
        "devices": devices,
        "controller_online": hall.controller_online,
        "linked": hall.linked,
        "linked_at": hall.linked_at,
        "board_at": hall.board_at,
        "has_board": hall.board is not None,
    }


__all__ = ["SUBSCRIPTIONS", "Device", "DistrictLive", "Hall", "summary"]
