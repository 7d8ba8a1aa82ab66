"""The reports page: any period's satisfaction, waiting and staffing figures, as tables and charts,
with CSV export and a print view. Periods are whole local days (the end day included), or from
and to a local time of day ("09:00 on the 4th to 11:30 on the 4th").

The figures come from `hall_controller.reports` reading the journal read-only (it never blocks
the controller's writes); the reading runs on a worker thread, and the last few reports are kept
for a minute, so exporting the tables of the report just shown costs nothing. Periods are whole
local days of the hall, the end day included, unless a start or end time is given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from hall_controller import reports
from hall_controller.journal import JournalError
from hall_controller.web import charts, guard
from hall_controller.web.charts import Series
from hall_controller.web.guard import site_of
from hall_controller.web.render import duration, pct

MAX_DAYS = 400
CACHE_S = 60.0
CACHE_SIZE = 8
CSV_TABLES = (
    "overall",
    "service",
    "counter",
    "clerk",
    "day",
    "class",
    "hour",
    "follow-ups",
    "rank-clerk",
    "rank-counter",
)


class BadPeriod(ValueError):
    """The period asked for cannot be reported; the message says why."""


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date  # included, unless `last_time` is given
    first_time: dt.time | None = None  # from this time of `first` (default: its start)
    last_time: dt.time | None = None  # up to this time of `last`, excluded (default: the day's end)

    def bounds(self, tz) -> tuple[float, float]:
        start = dt.datetime.combine(self.first, self.first_time or dt.time(), tzinfo=tz)
        if self.last_time is not None:
            end = dt.datetime.combine(self.last, self.last_time, tzinfo=tz)
        else:
            end = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), tzinfo=tz)
        return start.timestamp(), end.timestamp()

    def query(self) -> str:
        times = "".join(
            f"&{k}={t.strftime('%H:%M')}"
            for k, t in (("start_time", self.first_time), ("end_time", self.last_time))
            if t
        )
        return f"start={self.first.isoformat()}&end={self.last.isoformat()}{times}"

    def words(self) -> str:
        """ "2026-12-04 09:00 — 2026-12-04 11:30", or whole days "2026-12-01 — 2026-12-04"."""

        def one(day: dt.date, t: dt.time | None) -> str:
            return day.isoformat() + (f" {t.strftime('%H:%M')}" if t else "")

        return f"{one(self.first, self.first_time)} — {one(self.last, self.last_time)}"


def period_from(params, today: dt.date) -> Period:
    """The period of the query string (`start`, `end`, as YYYY-MM-DD, and optionally `start_time`,
    `end_time` as HH:MM); this month so far by default."""
    try:
        first = dt.date.fromisoformat(params["start"]) if params.get("start") else today.replace(day=1)
        last = dt.date.fromisoformat(params["end"]) if params.get("end") else today
    except ValueError:
        raise BadPeriod("dates are written YYYY-MM-DD, e.g. 2026-11-01") from None
    try:
        first_time, last_time = (
            dt.time.fromisoformat(params[k]) if params.get(k) else None for k in ("start_time", "end_time")
        )
        if any(t is not None and (t.second or t.microsecond or t.tzinfo) for t in (first_time, last_time)):
            raise ValueError
    except ValueError:
        raise BadPeriod("times are written HH:MM, e.g. 09:00") from None
    period = Period(first, last, first_time, last_time)
    start, end = period.bounds(dt.UTC)
    if end <= start:
        raise BadPeriod("the period ends before it starts")
    if (last - first).days >= MAX_DAYS:
        raise BadPeriod(f"a report covers at most {MAX_DAYS} days")
    return period


def presets(today: dt.date) -> list[tuple[str, str, Period]]:
    first_this = today.replace(day=1)
    last_prev = first_this - dt.timedelta(days=1)
    return [
        ("今天", "Today", Period(today, today)),
        ("近7天", "Last 7 days", Period(today - dt.timedelta(days=6), today)),
        ("本月", "This month", Period(first_this, today)),
        ("上月", "Last month", Period(last_prev.replace(day=1), last_prev)),
    ]


async def report_for(site, period: Period) -> reports.Report:
    start, end = period.bounds(site.pages.tz)
    now = site.clock()
    key = (start, end)
    cached = site.report_cache.get(key)
    if cached is not None and now - cached[0] < CACHE_S:
        return cached[1]
    report = await run_in_threadpool(reports.report_from_journal, site.journal_path, site.hall, start, end, now)
    site.report_cache[key] = (now, report)
    while len(site.report_cache) > CACHE_SIZE:
        site.report_cache.pop(min(site.report_cache, key=lambda k: site.report_cache[k][0]))
    return report


async def reports_page(request: Request) -> Response:
    staff = await guard.viewer(request)
    site = site_of(request)
    today = site.pages.local(site.clock()).date()
    context = {
        "page": "reports",
        "hall": site.hall,
        "staff": staff,
        "flash": staff.session.take_flash(),
        "presets": presets(today),
        "report": None,
        "error": None,
        "period": None,
        "csv_tables": CSV_TABLES,
    }
    status = 200
    try:
        period = period_from(request.query_params, today)
        context["period"] = period
        report = await report_for(site, period)
    except (BadPeriod, JournalError, ValueError) as e:
        context["error"] = str(e)
        status = 400
    else:
        context.update(
            report=report,
            charts=report_charts(report),
            ranks={"clerk": reports.ranking(report, "clerk"), "counter": reports.ranking(report, "counter")},
            min_rated=reports.MIN_RATED,
        )
    return HTMLResponse(site.pages.render("reports.html", **context), status_code=status)


async def reports_csv(request: Request) -> Response:
    await guard.viewer(request)
    site = site_of(request)
    table = request.query_params.get("table", "service")
    if table not in CSV_TABLES:
        return Response(f"table is one of {', '.join(CSV_TABLES)}\n", status_code=400, media_type="text/plain")
    try:
        period = period_from(request.query_params, site.pages.local(site.clock()).date())
        report = await report_for(site, period)
    except (BadPeriod, JournalError, ValueError) as e:
        return Response(f"{e}\n", status_code=400, media_type="text/plain; charset=utf-8")
    name = f"hall-{site.hall.id}-{period.first.isoformat()}--{period.last.isoformat()}-{table}.csv"
    # the byte-order mark lets a spreadsheet on Windows read the Chinese names as UTF-8
    return Response(
        "\ufeff" + reports.to_csv(report, table),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


def report_charts(r: reports.Report) -> dict[str, str]:
    """The report's charts as SVG markup."""
    out = {}
    counters = list(r.by_counter.items())
    out["counter"] = charts.horizontal_bars(
        [r.counter_names.get(n, (f"{n}号窗口", ""))[0] for n, _ in counters],
        [
            Series("满意率 satisfaction", "bar-a", [f.satisfaction_rate for _, f in counters]),
            Series("参评率 participation", "bar-b", [f.participation for _, f in counters]),
        ],
        scale_max=1.0,
        fmt=lambda v: pct(v, 0),
        title="窗口 Counters",
    )
    clerks = list(r.by_clerk.items())
    if clerks:
        out["clerk"] = charts.horizontal_bars(
            [k for k, _ in clerks],
            [
                Series("满意率 satisfaction", "bar-a", [f.satisfaction_rate for _, f in clerks]),
                Series(
                    "均分 mean score (of 5)",
                    "bar-c",
                    [None if f.mean_score_5 is None else f.mean_score_5 / 5 for _, f in clerks],
                    fmt=lambda v: f"{v * 5:.2f}",
                ),
            ],
            scale_max=1.0,
            fmt=lambda v: pct(v, 0),
            title="柜员 Clerks",
        )
    services = list(r.by_service.items())
    longest = max([f.wait_p95_s or 0 for _, f in services] + [0])
    out["wait"] = charts.horizontal_bars(
        [r.service_names.get(s, (s, s))[0] for s, _ in services],
        [
            Series("等候中位 wait p50", "bar-b", [f.wait_p50_s for _, f in services]),
            Series("等候P95 wait p95", "bar-d", [f.wait_p95_s for _, f in services]),
        ],
        fmt=duration,
        scale_max=charts.nice_duration_max(longest),
        title="等候时间 Waiting",
    )
    days = list(r.by_day.items())
    if days:
        out["day"] = charts.columns(
            [d[5:] for d, _ in days],
            Series("满意率 satisfaction", "bar-a", [f.satisfaction_rate for _, f in days]),
            line=Series("办结 served", "line-a", [float(f.served) for _, f in days]),
            fmt=lambda v: pct(v, 0),
            line_fmt=lambda v: f"{v:.0f}",
            scale_max=1.0,
            title="按日 By day",
        )
    hours = [h for h in r.arrivals_by_hour if h[1] or h[2]]
    if hours:
        first, last = hours[0][0], hours[-1][0]
        shown = [h for h in r.arrivals_by_hour if first <= h[0] <= last]
        out["hour"] = charts.columns(
            [f"{h:02d}" for h, _, _ in shown],
            Series("每日取号 tickets per day", "bar-b", [t for _, t, _ in shown]),
            line=Series("开放窗口 counters open", "line-a", [c for _, _, c in shown]),
            fmt=lambda v: f"{v:.0f}",
            line_fmt=lambda v: f"{v:.1f}",
            title="按小时 By hour",
        )
    return out


routes = [
    Route("/reports", reports_page, methods=["GET"]),
    Route("/reports.csv", reports_csv, methods=["GET"]),
]
