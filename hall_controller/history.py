"""The hall's history marker: a small file beside the journal that says the hall has a past.

Why: SQLite cannot tell a journal that was never there from one that was deleted, emptied or
swapped for another, and a controller that opened such a file would start a fresh day — A001
again, over tickets already in citizens' hands. So once a journal holds events, the controller
keeps this marker (written atomically: a temporary file, fsync, rename; mode 0600) with what a
technician needs to recognise the lost history:

    {"journal_id": "9c1f…", "hall": "xinhua", "last_seq": 48211,
     "days": {"social": "20261204", …}, "next_numbers": {"social": 87, …}, "written_at": "…"}

At start (see `check`): a missing or empty journal while the marker exists is refused with one
sentence; so is a journal with another journal id. A journal restored from the district copy
(`hall restore`) carries the same journal id in its `meta` table (and the same `token_secret`,
so the restored tickets' QR pages still open), so it passes; if it ends
before the marker's last event, the controller says how many events were lost and goes on.
`--new-journal` is the one way to start a genuinely new hall where a marker exists: the journal
must then be missing or empty, and the marker is replaced by the new journal's.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("hall.journal")


class HistoryError(RuntimeError):
    """The journal does not match the hall's history; the message is one sentence saying what to do."""


@dataclass(frozen=True)
class Marker:
    journal_id: str
    hall: str
    last_seq: int
    days: dict
    next_numbers: dict

    def summary(self) -> str:
        numbers = ", ".join(
            f"{service} {number - 1}" for service, number in sorted(self.next_numbers.items()) if number > 1
        )
        days = sorted(set(self.days.values()))
        return (
            f"journal {self.journal_id[:8]}, {self.last_seq} events"
            + (f", last day {days[-1]}" if days else "")
            + (f", last numbers {numbers}" if numbers else "")
        )


def marker_path(journal: Path) -> Path:
    """Where the marker of `journal` lives by default: beside it, `journal.db.history`."""
    return journal.with_name(journal.name + ".history")


def read(path: Path) -> Marker | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Marker(
            str(raw["journal_id"]),
            str(raw["hall"]),
            int(raw["last_seq"]),
            dict(raw.get("days", {})),
            {k: int(v) for k, v in dict(raw.get("next_numbers", {})).items()},
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise HistoryError(
            f"the history marker {path} is unreadable; if the journal beside it is the hall's "
            f"own, move the marker away and start again (a new one is written)"
        ) from None


def write(path: Path, marker: Marker, written_at: str) -> None:
    body = json.dumps(
        {
            "journal_id": marker.journal_id,
            "hall": marker.hall,
            "last_seq": marker.last_seq,
            "days": marker.days,
            "next_numbers": marker.next_numbers,
            "written_at": written_at,
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, body.encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def refusal_for_fresh(journal: Path, path: Path, marker: Marker) -> str:
    """The sentence for a missing or empty journal where the hall has a history."""
    return (
        f"the journal {journal} is missing or empty, but this hall has a history ({marker.summary()}, "
        f"recorded in {path}): restore the journal with `hall restore` or from a backup; only to start a "
        f"genuinely new hall, start once with --new-journal"
    )


def check(journal: Path, path: Path, marker: Marker | None, journal_id: str, last_seq: int) -> None:
    """Refuse a journal that is not the one the marker names; warn about events a restore lacks."""
    if marker is None:
        return
    if marker.journal_id != journal_id:
        raise HistoryError(
            f"the journal {journal} is journal {journal_id[:8]}, but this hall's history "
            f"({marker.summary()}, recorded in {path}) is another: put the hall's own journal "
            f"back (or `hall restore` it); only to start a genuinely new hall, move {journal} "
            f"away and start once with --new-journal"
        )
    if last_seq < marker.last_seq:
        log.warning(
            "the journal %s ends at event %d, but the hall had reached event %d: %d events are missing "
            "(a restore from a copy that was behind)",
            journal,
            last_seq,
            marker.last_seq,
            marker.last_seq - last_seq,
        )
