"""The staffing plan on the reports page: counters to open, hour by hour, for a weekday, planned
from the hall's own journal by `hall plan`'s planner (simulators/plan.py).

The one place the controller's code reaches into simulators/: the planner plays days on the
engine, which is what the simulators do, and the page only shows its answer. The import is made
when a plan is asked for, so the controller never loads the simulators otherwise. A plan takes
seconds (many simulated days), so it runs on a worker thread and is kept for ten minutes.
"""

from __future__ import annotations

import datetime as dt

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from hall_controller.journal import JournalError
from hall_controller.web import guard
from hall_controller.web.guard import site_of

WEEKDAYS = (("mon", "周一", "Monday"), ("tue", "周二", "Tuesday"), ("wed", "周三", "Wednesday"),
            ("thu", "周四", "Thursday"), ("fri", "周五", "Friday"), ("sat", "周六", "Saturday"),
            ("sun", "周日", "Sunday"))
CACHE_S = 600.0
SEEDS = (1,)               # one simulated day per staffing tried: seconds, not a minute (hall plan: --seeds)
WITHIN = 0.8
P95_MULTIPLE = 2.0


class BadPlan(ValueError):
    """The plan asked for cannot be made; the message says why."""


def choice(params, today: dt.date) -> tuple[str, int]:
    """The weekday (default: tomorrow's) and the weeks of journal to plan it from (default 4)."""
    weekday = params.get("weekday") or WEEKDAYS[(today.weekday() + 1) % 7][0]
    if weekday not in [w[0] for w in WEEKDAYS]:
        raise BadPlan("the weekday is one of mon, tue, wed, thu, fri, sat, sun")
    try:
        weeks = int(params.get("weeks") or 4)
    except ValueError:
        raise BadPlan("weeks is a whole number from 1 to 12") from None
    if not 1 <= weeks <= 12:
        raise BadPlan("weeks is a whole number from 1 to 12")
    return weekday, weeks


async def plan_for(site, weekday: str, weeks: int) -> dict:
    now = site.clock()
    key = ("plan", weekday, weeks)
    cached = site.report_cache.get(key)
    if cached is not None and now - cached[0] < CACHE_S:
        return cached[1]
    result = await run_in_threadpool(_plan, site, weekday, weeks, now)
    site.report_cache[key] = (now, result)
    return result


def _plan(site, weekday: str, weeks: int, now: float) -> dict:
    from simulators import plan, plan_journal
    day = plan_journal.scenario_from_journal(site.journal_path, site.hall, weeks, weekday, now)
    return plan.by_hour(site.hall, day, WITHIN, P95_MULTIPLE, SEEDS)


async def plan_page(request: Request) -> Response:
    staff = await guard.viewer(request)
    site = site_of(request)
    today = site.pages.local(site.clock()).date()
    context = {"page": "reports", "hall": site.hall, "staff": staff, "flash": staff.session.take_flash(),
               "weekdays": WEEKDAYS, "plan": None, "error": None, "weekday": None, "weeks": 4,
               "within": WITHIN, "p95_multiple": P95_MULTIPLE}
    status = 200
    try:
        weekday, weeks = choice(request.query_params, today)
        context.update(weekday=weekday, weeks=weeks)
        if request.query_params.get("weekday"):          # the form asks; the bare page only offers it
            context["plan"] = await plan_for(site, weekday, weeks)
    except (BadPlan, JournalError) as e:
        context["error"] = str(e)
        status = 400
    return HTMLResponse(site.pages.render("plan.html", **context), status_code=status)


async def plan_png(request: Request) -> Response:
    await guard.viewer(request)
    site = site_of(request)
    try:
        weekday, weeks = choice(request.query_params, site.pages.local(site.clock()).date())
        result = await plan_for(site, weekday, weeks)
    except (BadPlan, JournalError) as e:
        return Response(f"{e}\n", status_code=400, media_type="text/plain; charset=utf-8")
    from io import BytesIO

    from simulators import plan_chart
    out = BytesIO()
    plan_chart.render(result).save(out, format="PNG")
    return Response(out.getvalue(), media_type="image/png", headers={"Cache-Control": "no-store"})


routes = [
    Route("/reports/plan", plan_page, methods=["GET"]),
    Route("/reports/plan.png", plan_png, methods=["GET"]),
]
