"""Cross-hall reports for the district web, read from the rollups only (never from raw events).

Every function takes a psycopg connection, a period and an optional set of hall ids (None: every
hall the connection may see) and returns plain lists of dicts, ready for a template or CSV.

The period is half-open, `start <= t < end`, like `hall report`'s:
- two `datetime.date`s: whole local days of each hall (`rollups_daily` by hall, service, day and
  month, 40 times fewer rows than the hourly rollups; `rollups_desk` by counter and clerk, 10 times
  fewer; the hourly `rollups` by hour);
- two tz-aware `datetime`s: the local hours of each hall whose start falls inside (hourly rollups).

The figures are those of docs/reports.md, computed from the same sums as the hall's own report:
satisfaction rate = (levels 4 + 3) / rated; mean score on the 5-point scale (4→5, 3→4, 2→3, 1→1);
participation = rated / served; waits from taking a ticket to its first call, p50/p95 from the
wait histogram (exact to within its bucket, see district/rollup.py), share within the service's
target (the targets of each hall's file, kept in the halls registry).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

import psycopg

from district.rollup import HIST, percentile

SCORE_5 = {4: 5, 3: 4, 2: 3, 1: 1}
BY = ("hall", "service", "counter", "clerk", "hour", "day", "month")
RANK_LEVELS = ("hall", "counter", "clerk")
MIN_RATED = 30  # as the hall's ranking: fewer ratings than this get no rank

_KEYS = {  # by -> (SQL of the group's key columns, their names in the result)
    "hall": ("r.hall_id", ("hall",)),
    "service": ("r.service", ("service",)),
    "counter": ("r.hall_id, r.counter", ("hall", "counter")),
    "clerk": ("r.hall_id, r.clerk", ("hall", "clerk")),
    "hour": ("r.hour", ("hour",)),
    "day": ("r.day", ("day",)),
    "month": ("to_char(r.day, 'YYYY-MM')", ("month",)),
}
_SUMS = (
    "sum(tickets), sum(voided), sum(served), sum(no_shows), sum(transfers), sum(r1), sum(r2), sum(r3), sum(r4), "
    "sum(wait_n), sum(wait_s), sum(within), sum(service_s), " + ", ".join(f"sum({h})" for h in HIST)
)


class PeriodError(ValueError):
    """A period the reports cannot read (one sentence)."""


def report(
    conn: psycopg.Connection,
    start: dt.date | dt.datetime,
    end: dt.date | dt.datetime,
    halls: Iterable[str] | None = None,
    by: str = "hall",
) -> list[dict[str, Any]]:
    """One dict per group (hall, service, (hall, counter), (hall, clerk), local hour, local day or
    month), ordered by the group's key; see `figures` for the fields."""
    if by not in BY:
        raise PeriodError(f"a report is by {', '.join(BY)}, not {by!r}")
    keys, names = _KEYS[by]
    where, params, table = _period(start, end, by)
    if halls is not None:
        where += " AND r.hall_id = ANY(%(halls)s)"
        params["halls"] = list(halls)
    if by in ("counter", "clerk"):
        where += f" AND r.{by} <> %(none)s"  # tickets taken at a kiosk have no counter or clerk
        params["none"] = 0 if by == "counter" else ""
    query = (
        f"SELECT {keys}, {_SUMS} FROM district.{table} r "
        + ("JOIN district.halls h ON h.hall_id = r.hall_id " if table == "rollups" and _is_datetime(start) else "")
        + f"WHERE {where} GROUP BY {keys} ORDER BY {keys}"
    )
    out = []
    for row in conn.execute(query, params):
        key = row[: len(names)]
        out.append(
            {
                **dict(zip(names, (k.isoformat() if isinstance(k, dt.date) else k for k in key))),
                **figures(row[len(names) :]),
            }
        )
    return out


def figures(sums) -> dict[str, Any]:
    """The figures of one group from its summed columns (in district.rollup.SUMS order)."""
    tickets, voided, served, no_shows, transfers, r1, r2, r3, r4, wait_n, wait_s, within, service_s = sums[:13]
    histogram = [int(v) for v in sums[13:]]
    levels = {4: int(r4), 3: int(r3), 2: int(r2), 1: int(r1)}
    rated = sum(levels.values())
    return {
        "tickets": int(tickets),
        "served": int(served),
        "no_shows": int(no_shows),
        "transfers": int(transfers),
        "voided": int(voided),
        "rated": rated,
        "levels": levels,
        "satisfaction_rate": (levels[4] + levels[3]) / rated if rated else None,
        "mean_score_5": sum(SCORE_5[k] * v for k, v in levels.items()) / rated if rated else None,
        "participation": rated / served if served else None,
        "waits": int(wait_n),
        "wait_mean_s": wait_s / wait_n if wait_n else None,
        "wait_p50_s": percentile(histogram, 0.50),
        "wait_p95_s": percentile(histogram, 0.95),
        "within_target": within / wait_n if wait_n else None,
        "service_mean_s": service_s / served if served else None,
    }


def _is_datetime(value) -> bool:
    return isinstance(value, dt.datetime)


def _period(start, end, by: str) -> tuple[str, dict, str]:
    if _is_datetime(start) != _is_datetime(end):
        raise PeriodError("a period is two dates or two date-times, not one of each")
    if _is_datetime(start):
        if start.tzinfo is None or end.tzinfo is None:
            raise PeriodError("a report's date-times must carry their time zone")
        if not end > start:
            raise PeriodError("a report's period must end after it starts")
        # the hour's start in the hall's own zone; days bound the search so the day index is used
        where = (
            "r.day >= %(day0)s AND r.day <= %(day1)s "
            "AND ((r.day + make_interval(hours => r.hour)) AT TIME ZONE h.timezone) >= %(start)s "
            "AND ((r.day + make_interval(hours => r.hour)) AT TIME ZONE h.timezone) < %(end)s"
        )
        params = {
            "start": start,
            "end": end,
            "day0": start.date() - dt.timedelta(days=1),
            "day1": end.date() + dt.timedelta(days=1),
        }
        return where, params, "rollups"
    if not end > start:
        raise PeriodError("a report's period must end after it starts")
    table = (
        "rollups_daily"
        if by in ("hall", "service", "day", "month")
        else "rollups_desk"
        if by in ("counter", "clerk")
        else "rollups"
    )
    return "r.day >= %(start)s AND r.day < %(end)s", {"start": start, "end": end}, table


def ranking(
    conn: psycopg.Connection,
    month: dt.date | str,
    level: str = "hall",
    halls: Iterable[str] | None = None,
    min_rated: int = MIN_RATED,
) -> list[dict[str, Any]]:
    """The month's ranking of halls, counters or clerks (服务质量月度评比), ordered as the hall's own:
    satisfaction rate (higher first), then served (more first), then mean wait (shorter first).
    Rows with fewer than `min_rated` ratings get `rank: None` and come after the ranked ones;
    equal figures share a rank (1, 2, 2, 4). `month`: any date in it, or "2026-11"."""
    if level not in RANK_LEVELS:
        raise PeriodError(f"a ranking is of {', '.join(RANK_LEVELS)}, not {level!r}")
    if isinstance(month, str):
        try:
            month = dt.date.fromisoformat(month + "-01")
        except ValueError:
            raise PeriodError(f"{month!r} is not a month (write 2026-11)") from None
    first = month.replace(day=1)
    after = (first + dt.timedelta(days=32)).replace(day=1)
    rows = [r for r in report(conn, first, after, halls, by=level) if r["served"] or r["rated"]]

    def order(r):
        return (
            -(r["satisfaction_rate"] or 0.0),
            -r["served"],
            math.inf if r["wait_mean_s"] is None else r["wait_mean_s"],
        )

    rows.sort(key=lambda r: (order(r), str(r.get("hall")), str(r.get(level, ""))))
    ranked = [r for r in rows if r["rated"] >= min_rated]
    rank, previous = 0, None
    for position, r in enumerate(ranked, start=1):
        if order(r) != previous:
            rank, previous = position, order(r)
        r["rank"] = rank
    rest = [r | {"rank": None} for r in rows if r["rated"] < min_rated]
    return ranked + rest


def followups(
    conn: psycopg.Connection,
    start: dt.date | dt.datetime,
    end: dt.date | dt.datetime,
    halls: Iterable[str] | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    """Ratings of 2 一般 and 1 不满意 opened in the period, oldest first, with their notes and who
    closed them when. `status`: None (all), "open" or "closed". Dates are read in each hall's zone."""
    if status not in (None, "open", "closed"):
        raise PeriodError(f"a follow-up's status is open or closed, not {status!r}")
    if _is_datetime(start):
        period = "f.opened_at >= %(start)s AND f.opened_at < %(end)s"
    else:
        period = (
            "(f.opened_at AT TIME ZONE h.timezone)::date >= %(start)s "
            "AND (f.opened_at AT TIME ZONE h.timezone)::date < %(end)s"
        )
    where = [period]
    params: dict[str, Any] = {"start": start, "end": end}
    if halls is not None:
        where.append("f.hall_id = ANY(%(halls)s)")
        params["halls"] = list(halls)
    if status == "open":
        where.append("f.closed_at IS NULL")
    elif status == "closed":
        where.append("f.closed_at IS NOT NULL")
    cur = conn.execute(
        "SELECT f.hall_id, f.ticket, f.label, f.counter, f.clerk, f.service, f.level, f.opened_at, f.notes, "
        "f.closed_at, f.closed_by, f.close_note FROM district.followups f "
        "JOIN district.halls h ON h.hall_id = f.hall_id "
        f"WHERE {' AND '.join(where)} ORDER BY f.opened_at, f.hall_id, f.ticket",
        params,
    )
    names = (
        "hall",
        "ticket",
        "label",
        "counter",
        "clerk",
        "service",
        "level",
        "opened_at",
        "notes",
        "closed_at",
        "closed_by",
        "close_note",
    )
    return [dict(zip(names, row)) | {"status": "open" if row[9] is None else "closed"} for row in cur]


def live_summary(conn: psycopg.Connection, halls: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Each hall's shipping state: the district's high-water mark, when it last shipped, and the
    time of its newest event shipped (the live board itself comes over the bridged broker)."""
    where, params = "", {}
    if halls is not None:
        where, params = "WHERE h.hall_id = ANY(%(halls)s)", {"halls": list(halls)}
    cur = conn.execute(
        "SELECT h.hall_id, h.name_zh, h.name_en, s.seq, s.events, s.shipped_at, to_timestamp(s.last_at) "
        f"FROM district.halls h LEFT JOIN district.shipped s ON s.hall_id = h.hall_id {where} ORDER BY h.hall_id",
        params,
    )
    names = ("hall", "name_zh", "name_en", "seq", "events", "shipped_at", "last_event_at")
    return [dict(zip(names, row)) for row in cur]
