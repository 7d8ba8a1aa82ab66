"""Cross-hall reports, the monthly ranking and the follow-ups, from district/reports.py.

Every query is limited to the halls the user may see (a hall's user: its hall only; that is also
what its CSV holds). Reports: any period of whole days, by hall / service / counter / clerk /
hour / day / month, as a table, a chart drawn as the hall web draws its charts (inline SVG),
CSV, and a print view (the hall web's print style). Closing a follow-up needs a supervisor.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from district import pg, reports
from district.web import data
from hall_controller.web import charts, guard
from hall_controller.web.guard import site_of
from hall_controller.web.render import pct

COLUMNS = (
    "tickets",
    "served",
    "no_shows",
    "transfers",
    "rated",
    "satisfaction_rate",
    "mean_score_5",
    "participation",
    "wait_p50_s",
    "wait_p95_s",
    "within_target",
)


def _day(text: str | None, default: dt.date) -> dt.date:
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise reports.PeriodError(f"{text!r} is not a date (write 2026-11-23)") from None


def _scope(staff) -> list[str] | None:
    return None if staff.user.hall is None else [staff.user.hall]


def _query(site, fn, *args, **kwargs):
    with pg.connect(site.dsn, autocommit=True) as conn:
        return fn(conn, *args, **kwargs)


def _label(row: dict[str, Any], by: str, registry) -> str:
    if by == "hall":
        info = registry.get(row["hall"])
        if info is None:
            return row["hall"]
        shared = sum(1 for other in registry.values() if other.name_zh == info.name_zh) > 1
        return f"{info.name_zh} {row['hall']}" if shared else info.name_zh
    if by in ("counter", "clerk"):
        return f"{row['hall']} · {row[by]}"
    return str(row[by])


async def reports_page(request: Request) -> Response:
    staff = await guard.viewer(request)
    site = site_of(request)
    today = dt.datetime.fromtimestamp(site.clock(), site.pages.tz).date()
    q = request.query_params
    error, rows = None, []
    by = q.get("by", "hall")
    try:
        start = _day(q.get("start"), today.replace(day=1))
        end = _day(q.get("end"), today)
        rows = await run_in_threadpool(
            _query, site, reports.report, start, end + dt.timedelta(days=1), _scope(staff), by=by
        )
    except reports.PeriodError as e:
        error, start, end = str(e), today.replace(day=1), today
    registry = site.registry()
    if q.get("format") == "csv" and error is None:
        return _csv(rows, by, f"district-{by}-{start}-{end}.csv")
    labels = [_label(r, by, registry) for r in rows]
    chart = (
        charts.horizontal_bars(
            labels,
            [
                charts.Series("满意率 satisfied", "bar-a", [r["satisfaction_rate"] for r in rows], fmt=pct),
                charts.Series("目标内 within target", "bar-b", [r["within_target"] for r in rows], fmt=pct),
            ],
            scale_max=1.0,
            fmt=pct,
            title="satisfaction and waits within target",
        )
        if rows
        else ""
    )
    return HTMLResponse(
        site.pages.render(
            "district_reports.html",
            page="reports",
            site=site,
            staff=staff,
            flash=staff.session.take_flash(),
            rows=list(zip(labels, rows)),
            by=by,
            bys=reports.BY,
            start=start,
            end=end,
            error=error,
            chart=chart,
            print_view=q.get("print") is not None,
            query=request.url.query,
        )
    )


def _csv(rows: list[dict[str, Any]], by: str, name: str) -> Response:
    out = io.StringIO()
    keys = [k for k in ("hall", by) if rows and k in rows[0]] or [by]
    keys = list(dict.fromkeys(keys))
    writer = csv.writer(out)
    writer.writerow([*keys, *COLUMNS])
    for r in rows:
        writer.writerow([*(r.get(k) for k in keys), *("" if r[c] is None else r[c] for c in COLUMNS)])
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def ranking_page(request: Request) -> Response:
    staff = await guard.viewer(request)
    site = site_of(request)
    today = dt.datetime.fromtimestamp(site.clock(), site.pages.tz).date()
    month = request.query_params.get("month") or today.strftime("%Y-%m")
    level = request.query_params.get("level", "hall")
    error, rows = None, []
    try:
        rows = await run_in_threadpool(_query, site, reports.ranking, month, level, _scope(staff))
    except reports.PeriodError as e:
        error = str(e)
    registry = site.registry()
    return HTMLResponse(
        site.pages.render(
            "district_ranking.html",
            page="ranking",
            site=site,
            staff=staff,
            flash=staff.session.take_flash(),
            rows=[(_label(r, level, registry), r) for r in rows],
            month=month,
            level=level,
            levels=reports.RANK_LEVELS,
            error=error,
        )
    )


async def followups_page(request: Request) -> Response:
    staff = await guard.viewer(request)
    site = site_of(request)
    today = dt.datetime.fromtimestamp(site.clock(), site.pages.tz).date()
    q = request.query_params
    status = q.get("status") or None
    error, rows = None, []
    try:
        start = _day(q.get("start"), today - dt.timedelta(days=30))
        end = _day(q.get("end"), today)
        rows = await run_in_threadpool(
            _query, site, reports.followups, start, end + dt.timedelta(days=1), _scope(staff), status
        )
    except reports.PeriodError as e:
        error, start, end = str(e), today - dt.timedelta(days=30), today
    return HTMLResponse(
        site.pages.render(
            "district_followups.html",
            page="followups",
            site=site,
            staff=staff,
            flash=staff.session.take_flash(),
            rows=list(reversed(rows)),
            start=start,
            end=end,
            status=status or "",
            error=error,
        )
    )


async def close_followup(request: Request) -> Response:
    staff, form = await guard.posted(request, "supervisor")
    site = site_of(request)
    hall, ticket = request.path_params["hall"], request.path_params["ticket"]
    if not staff.user.sees(hall):
        raise guard.Forbidden("this follow-up belongs to a hall that is not yours")
    note = form.get("note", "").strip()[:500]
    closed = await run_in_threadpool(
        data.close_followup, site.dsn, hall, ticket, f"district:{staff.user.name}", note, site.clock()
    )
    if closed:
        staff.session.say("ok", f"回访已关闭。Follow-up {ticket} closed.")
    else:
        staff.session.say("error", f"没有待处理的回访 {ticket}。There is no open follow-up {ticket} in {hall}.")
    return guard.back_to("/followups")


routes = [
    Route("/reports", reports_page, methods=["GET"]),
    Route("/ranking", ranking_page, methods=["GET"]),
    Route("/followups", followups_page, methods=["GET"]),
    Route("/followups/{hall}/{ticket}/close", close_followup, methods=["POST"]),
]

__all__ = ["routes"]
