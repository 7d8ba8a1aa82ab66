"""The kiosk's leased offline numbers, kept on disk, so it can issue while the controller is away.

While the controller is reachable the kiosk borrows a block of numbers for each of its services
(`offline.lease`: the controller lends them from the top of the day's range, e.g. A950-A999, and
never gives those numbers to anyone else that day). When the controller or the broker is away,
the kiosk issues from these blocks alone; each ticket it prints is later backfilled and joins the
queue by its real arrival time. So no number is ever given twice:

- a number is marked used on disk (written atomically, fsynced) *before* its ticket is printed,
  so a crash or power cut can lose a number but never reuse one;
- a block is for one service day: a block whose day has passed is discarded (its numbers belong
  to a numbering that is over), and a block for a day not yet begun is kept but not used;
- a block that overlaps one already held (a reply read twice) is not added twice.

Each offline ticket's arrival time is the kiosk's clock, made strictly increasing (at least 1 ms
after the previous one) so tickets issued in the same millisecond keep their print order in the
queue. The file is JSON: small, readable by a technician, and replaced whole on every change.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hall.config import Hall, Service

FORMAT_VERSION = 1
_DAY = re.compile(r"\d{8}")


class OfflineStoreError(RuntimeError):
    """The offline number file cannot be read or written; the message says which and why."""


class BadLease(ValueError):
    """A lease reply the kiosk cannot use (wrong service, numbers outside the range, …)."""


@dataclass
class Block:
    """Numbers first..last of one service, lent for one service day; `next` is the next to issue."""

    service: str
    day: str  # the service day, "20261123"
    first: int
    last: int
    next: int

    @property
    def left(self) -> int:
        return max(0, self.last - self.next + 1)


@dataclass(frozen=True)
class OfflineTicket:
    """One number issued offline, as it is printed and backfilled."""

    service: str
    number: int
    issued_at: float  # epoch seconds, whole milliseconds
    day: str


def service_day(now: float, service: Service, hall: Hall) -> str | None:
    """The service day running at `now` (the local date of the last reset), or None for a service
    that never resets (its numbering has no days). The controller names days the same way."""
    if service.reset_time is None:
        return None
    local = dt.datetime.fromtimestamp(now, hall.tz)
    if local.time() < service.reset_time:
        local -= dt.timedelta(days=1)
    return local.strftime("%Y%m%d")


class OfflineNumbers:
    """The blocks of one kiosk, in one file. Used from the kiosk program's thread only."""

    def __init__(self, path: Path | str, hall: Hall, kiosk_id: str) -> None:
        if kiosk_id not in hall.kiosks:
            raise OfflineStoreError(f"{kiosk_id} is not a kiosk of hall {hall.id}")
        self.path = Path(path)
        self.hall = hall
        self.kiosk = hall.kiosks[kiosk_id]
        self.low_water = max(1, hall.dispatch.offline_block_size // 4)
        self.blocks: list[Block] = []
        self._last_ms = 0
        self._load()

    # -- reading and writing ---------------------------------------------------------------------

    def _load(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except OSError as e:
            raise OfflineStoreError(f"cannot read the offline numbers in {self.path}: {e.strerror}") from None
        try:
            raw = json.loads(text)
            if raw.get("version") != FORMAT_VERSION or raw.get("kiosk") != self.kiosk.id:
                raise ValueError(f"it is not a version-{FORMAT_VERSION} file of kiosk {self.kiosk.id}")
            blocks = [Block(**b) for b in raw["blocks"]]
            last_ms = int(raw["last_issued_ms"])
            for b in blocks:
                self._check(b.service, b.day, b.first, b.last)
                if not b.first <= b.next <= b.last + 1:
                    raise ValueError(f"block {b.first}-{b.last} of {b.service} has next number {b.next}")
        except (ValueError, TypeError, KeyError, AttributeError, BadLease) as e:
            raise OfflineStoreError(
                f"the offline number file {self.path} is damaged ({e}); move it away "
                "to start with no leased numbers (the controller lends new ones)"
            ) from None
        self.blocks, self._last_ms = blocks, last_ms

    def _save(self) -> None:
        data = {
            "version": FORMAT_VERSION,
            "kiosk": self.kiosk.id,
            "last_issued_ms": self._last_ms,
            "blocks": [asdict(b) for b in self.blocks],
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as out:
                os.fchmod(out.fileno(), 0o600)  # leased numbers: the kiosk's own
                json.dump(data, out, indent=1)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
            directory = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except OSError as e:
            raise OfflineStoreError(f"cannot write the offline numbers to {self.path}: {e.strerror}") from None

    # -- leases ----------------------------------------------------------------------------------

    def _check(self, service: str, day: str, first: int, last: int) -> Service:
        if service not in self.kiosk.services:
            raise BadLease(f"kiosk {self.kiosk.id} does not issue {service!r} tickets")
        if not isinstance(day, str) or not _DAY.fullmatch(day):
            raise BadLease(f"lease day {day!r} is not a date like 20261123")
        s = self.hall.services[service]
        for n in (first, last):
            if isinstance(n, bool) or not isinstance(n, int):
                raise BadLease(f"lease numbers must be whole numbers, not {n!r}")
        if not s.first_number <= first <= last <= s.last_number:
            raise BadLease(f"numbers {first}-{last} are not within {service}'s {s.first_number}-{s.last_number}")
        return s

    def add(self, service: str, day: str, first: int, last: int) -> bool:
        """Keep a block the controller lent (from an `offline.lease` reply). False if this very block
        is already held; BadLease if it does not fit this kiosk or overlaps a block it holds."""
        self._check(service, day, first, last)
        for b in self.blocks:
            if b.service == service and b.day == day and b.first <= last and first <= b.last:
                if (b.first, b.last) == (first, last):
                    return False
                raise BadLease(f"block {first}-{last} of {service} overlaps the block {b.first}-{b.last} held already")
        self.blocks.append(Block(service, day, first, last, first))
        self._save()
        return True

    def drop_stale(self, now: float) -> list[Block]:
        """Discard the blocks whose service day has passed; the discarded ones."""
        stale = [b for b in self.blocks if self._day_passed(b, now)]
        if stale:
            self.blocks = [b for b in self.blocks if b not in stale]
            self._save()
        return stale

    def _day_passed(self, block: Block, now: float) -> bool:
        today = service_day(now, self.hall.services[block.service], self.hall)
        return today is not None and block.day < today

    def _usable(self, block: Block, now: float) -> bool:
        today = service_day(now, self.hall.services[block.service], self.hall)
        return block.left > 0 and (today is None or block.day == today)

    def left(self, service: str, now: float) -> int:
        """Numbers this kiosk may still issue offline for `service` today."""
        return sum(b.left for b in self.blocks if b.service == service and self._usable(b, now))

    def wants_lease(self, service: str, now: float) -> bool:
        """True when `service`'s numbers are running low (fewer than a quarter of a block)."""
        return self.left(service, now) < self.low_water

    # -- issuing ---------------------------------------------------------------------------------

    def take(self, service: str, now: float) -> OfflineTicket | None:
        """The next number of `service` (smallest first), marked used on disk before it is
        returned; None when no block of today has a number left."""
        self.drop_stale(now)
        usable = [b for b in self.blocks if b.service == service and self._usable(b, now)]
        if not usable:
            return None
        block = min(usable, key=lambda b: b.next)
        number = block.next
        block.next += 1
        ms = max(int(now * 1000), self._last_ms + 1)
        self._last_ms = ms
        self._save()  # a used-up block stays until its day passes: a late copy of its lease is no new block
        return OfflineTicket(service, number, ms / 1000, block.day)

    def summary(self, now: float) -> dict[str, Any]:
        """Numbers left per service (for the simulator's status line and the technician)."""
        return {s: self.left(s, now) for s in self.kiosk.services}
