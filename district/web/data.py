"""What the district web reads from (and the one thing it writes to) the district's PostgreSQL,
outside the report queries of district/reports.py: the registry of halls, the current day's
satisfaction per hall for the live page, and closing a follow-up from the district. Short connections, plain SQL over the tables
of migration 0001; the web connects as the district's own role, which row-level security does
not restrict — scoping a hall's user to its hall is the web's job (accounts.DistrictUser.sees).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from district import pg


@dataclass(frozen=True)
class HallInfo:
    id: str
    name_zh: str
    name_en: str
    timezone: str
    services: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def targets(self) -> dict[str, float]:
        return {sid: float(s.get("target_s") or 0) for sid, s in self.services.items() if s.get("target_s")}


def registry(dsn: str) -> dict[str, HallInfo]:
    with pg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute("SELECT hall_id, name_zh, name_en, timezone, services FROM district.halls ORDER BY hall_id")
        return {r[0]: HallInfo(r[0], r[1] or r[0], r[2] or r[0], r[3] or "UTC", r[4] or {}) for r in rows}


def satisfaction_current(dsn: str) -> dict[str, dict[str, Any]]:
    """{hall: {"day", "rated", "satisfied", "rate", "served"}} on each hall's current day: the local
    day of the newest event it has shipped (today, for a hall that is open and linked; the day it
    last worked, for a hall cut off or closed; the simulated day, in a demo)."""
    with pg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT r.hall_id, r.day, sum(r1 + r2 + r3 + r4), sum(r3 + r4), sum(served) "
            "FROM district.rollups_daily r JOIN district.shipped s ON s.hall_id = r.hall_id "
            "JOIN district.halls h ON h.hall_id = r.hall_id "
            "WHERE s.last_at IS NOT NULL AND r.day = (to_timestamp(s.last_at) AT TIME ZONE h.timezone)::date "
            "GROUP BY r.hall_id, r.day"
        ).fetchall()
    out = {}
    for hall, day, rated, satisfied, served in rows:
        rated, satisfied = int(rated or 0), int(satisfied or 0)
        out[hall] = {
            "day": day,
            "rated": rated,
            "satisfied": satisfied,
            "served": int(served or 0),
            "rate": satisfied / rated if rated else None,
        }
    return out


def close_followup(dsn: str, hall: str, ticket: str, by: str, note: str, now: float) -> bool:
    """Close an open follow-up from the district (False: no such open follow-up). The hall's own
    closing, shipped from its journal, fills the same columns; the first one to close wins."""
    with pg.connect(dsn, autocommit=True) as conn:
        return (
            conn.execute(
                "UPDATE district.followups SET closed_at = to_timestamp(%s), closed_by = %s, close_note = %s "
                "WHERE hall_id = %s AND ticket = %s AND closed_at IS NULL",
                (now, by, note, hall, ticket),
            ).rowcount
            == 1
        )


__all__ = ["HallInfo", "close_followup", "registry", "satisfaction_current"]
