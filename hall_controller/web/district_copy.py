"""The district copy on the hall web: how far `hall ship` has copied this hall's journal.

`hall ship` (district/ship.py) writes `<journal stem>.district.json` beside the journal after each
batch and each failure. The web reads that small file, only when it changed, and never talks to
the district itself: the district is never on the hall's critical path, and a manager still sees
"link down since 10:42, 3,210 events waiting" while the hall works on alone. A hall that is not
part of a district has no such file and the page says nothing about it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

STALE_S = 120.0  # no word from the shipper for this long: it is not running
BEHIND_WARN_S = 300  # the copy this far behind while the link is up: worth a look


@dataclass(frozen=True)
class DistrictCopy:
    """One line for the status strip: `state` is ok, warn or bad."""

    state: str
    zh: str
    en: str


def status_file(journal: Path) -> Path:
    """Where `hall ship` writes its status for the journal at `journal` (the name district/ship.py uses)."""
    return journal.with_name(journal.stem + ".district.json")


class DistrictCopyReader:
    def __init__(self, journal: Path, tz: dt.tzinfo) -> None:
        self.path = status_file(Path(journal))
        self.tz = tz
        self._seen: tuple[tuple[int, int] | None, dict | None] = (None, None)

    def read(self, now: float) -> DistrictCopy | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None  # not in a district (or not yet shipped)
        version = (stat.st_ino, stat.st_mtime_ns)  # the shipper replaces the file whole
        if version != self._seen[0]:
            try:
                status = json.loads(self.path.read_text(encoding="utf-8"))
                status = status if isinstance(status, dict) else None
            except (OSError, ValueError):
                status = None  # half-replaced: the next look reads it whole
            self._seen = (version, status)
        status = self._seen[1]
        return None if status is None else describe(status, now, self.tz)


def describe(status: dict, now: float, tz: dt.tzinfo) -> DistrictCopy:
    """The line for a status as `hall ship` wrote it (see district/ship.py `Status`)."""

    def hhmm(at) -> str:
        return dt.datetime.fromtimestamp(float(at), tz).strftime("%H:%M")

    try:
        link, waiting, updated = status["link"], int(status["waiting"]), float(status["updated"])
        behind = float(status.get("behind_s") or 0.0)
    except (KeyError, TypeError, ValueError):
        return DistrictCopy("bad", "区级备份状态无法读取", "district copy: status unreadable")
    if now - updated > STALE_S:
        return DistrictCopy(
            "bad",
            f"区级备份程序自 {hhmm(updated)} 无响应",
            f"district copy: no word from hall ship since {hhmm(updated)}, {waiting:,} events waiting",
        )
    if link == "stopped":
        error = str(status.get("error") or "refused by the district")
        return DistrictCopy("bad", "区级备份已停止", f"district copy stopped: {error}")
    if link == "down":
        since = hhmm(status.get("down_since") or updated)
        return DistrictCopy(
            "bad", f"与区级中心断开（{since} 起）", f"link down since {since}, {waiting:,} events waiting"
        )
    if waiting == 0:
        return DistrictCopy("ok", "区级备份已同步", "district copy: up to date")
    return DistrictCopy(
        "warn" if behind > BEHIND_WARN_S else "ok",
        "区级备份同步中",
        f"district copy: {behind:.0f} s behind ({waiting:,} events waiting)",
    )
