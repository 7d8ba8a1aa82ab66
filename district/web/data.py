"""What the district web reads from (and the one thing it writes to) the district's PostgreSQL,
outside the report queries of district/reports.py: the registry of halls, today's satisfaction
per hall for the live page, and closing a follow-up from the district. Short connections, plain SQL over the tables
of migration 0001; the web connects as the district's own role, which row-level security does
not restrict — scoping a hall's user to its hall is the web's job (accounts.DistrictUser.sees).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
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

    def today(self, now: float) -> dt.date:
        try:
            zone = zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = dt.timezone.utc
        return dt.datetime.fromtimestamp(now, zone).date()


def registry(dsn: str) -> dict[str, HallInfo]:
    with pg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute("SELECT hall_id, name_zh, name_en, timezone, services FROM district.halls ORDER BY hall_id")
        return {r[0]: HallInfo(r[0], r[1] or r[0], r[2] or r[0], r[3] or "UTC", r[4] or {}) for r in rows}


def satisfaction_on(dsn: str, days: dict[str, dt.date]) -> dict[str, dict[str, Any]]:
    """{hall: {"rated", "satisfied", "rate", "served"}} for each hall's own `days[hall]`."""
    if not days:
        return {}
    with pg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT r.hall_id, sum(r1 + r2 + r3 + r4), sum(r3 + r4), sum(served) FROM district.rollups_daily r "
            "JOIN unnest(%s::text[], %s::date[]) AS d(hall_id, day) ON d.hall_id = r.hall_id AND d.day = r.day "
            "GROUP BY r.hall_id", (list(days), list(days.values()))).fetchall()
    out = {}
    for hall, rated, satisfied, served in rows:
        rated, satisfied = int(rated or 0), int(satisfied or 0)
        out[hall] = {"rated": rated, "satisfied": satisfied, "served": int(served or 0),
                     "rate": satisfied / rated if rated else None}
    return out


def close_followup(dsn: str, hall: str, ticket: str, by: str, note: str, now: float) -> bool:
    """Close an open follow-up from the district (False: no such open follow-up). The hall's own
    closing, shipped from its journal, fills the same columns; the first one to close wins."""
    with pg.connect(dsn, autocommit=True) as conn:
        return conn.execute(
            "UPDATE district.followups SET closed_at = to_timestamp(%s), closed_by = %s, close_note = %s "
            "WHERE hall_id = %s AND ticket = %s AND closed_at IS NULL", (now, by, note, hall, ticket)).rowcount == 1


__all__ = ["HallInfo", "close_followup", "registry", "satisfaction_on"]
