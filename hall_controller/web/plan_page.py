"""The staffing plan on the reports page: counters to open, hour by hour, for a weekday, planned
from the hall's own journal by `hall plan`.

The page runs `hall plan --json --chart` as a program of its own and shows its answer: the planner
plays many simulated days on the engine (simulators/), which the controller never imports, and
seconds of planning in another process never hold up the controller's own work (its MQTT replies
share this process). A plan is kept for ten minutes, its chart with it.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from hall_controller.web import guard
from hall_controller.web.guard import site_of

WEEKDAYS = (
    ("mon", "周一", "Monday"),
    ("tue", "周二", "Tuesday"),
    ("wed", "周三", "Wednesday"),
    ("thu", "周四", "Thursday"),
    ("fri", "周五", "Friday"),
    ("sat", "周六", "Saturday"),
    ("sun", "周日", "Sunday"),
)
CACHE_S = 600.0
PLAN_TIMEOUT_S = 600.0  # a plan of the example hall takes seconds; a stuck one is given up
SEEDS = (1,)  # one simulated day per staffing tried: seconds, not a minute (hall plan: --seeds)
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


async def plan_for(site, weekday: str, weeks: int) -> tuple[dict, bytes]:
    """The plan and its chart (PNG), from the cache when it is less than CACHE_S old."""
    now = site.clock()
    key = ("plan", weekday, weeks)
    cached = site.report_cache.get(key)
    if cached is not None and now - cached[0] < CACHE_S:
        return cached[1]
    answer = await run_in_threadpool(_plan, site, weekday, weeks, now)
    site.report_cache[key] = (now, answer)
    return answer


def _plan(site, weekday: str, weeks: int, now: float) -> tuple[dict, bytes]:
    """`hall plan` on the controller's hall file and journal (read only), on the hall's clock."""
    if site.hall_file is None:
        raise BadPlan("the staffing plan needs the controller's hall file (hall controller --config)")
    clock = dt.datetime.fromtimestamp(now, site.hall.tz).isoformat()
    with tempfile.TemporaryDirectory(prefix="hall-plan-") as folder:
        chart = Path(folder) / "plan.png"
        command = [
            sys.executable,
            "-m",
            "hall",
            "plan",
            "--config",
            str(site.hall_file),
            "--journal",
            str(site.journal_path),
            "--weekday",
            weekday,
            "--weeks",
            str(weeks),
            "--within",
            str(WITHIN),
            "--p95-multiple",
            str(P95_MULTIPLE),
            "--seeds",
            str(len(SEEDS)),
            "--json",
            "--chart",
            str(chart),
            "--clock",
            clock,
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=PLAN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise BadPlan(f"the plan took longer than {PLAN_TIMEOUT_S / 60:.0f} minutes; try fewer weeks") from None
        if done.returncode != 0:
            said = done.stderr.strip().splitlines()
            raise BadPlan(said[-1].removeprefix("hall plan: ") if said else f"hall plan failed ({done.returncode})")
        return json.loads(done.stdout), chart.read_bytes()


async def plan_page(request: Request) -> Response:
    staff = await guard.viewer(request)
    site = site_of(request)
    today = site.pages.local(site.clock()).date()
    context = {
        "page": "reports",
        "hall": site.hall,
        "staff": staff,
        "flash": staff.session.take_flash(),
        "weekdays": WEEKDAYS,
        "plan": None,
        "error": None,
        "weekday": None,
        "weeks": 4,
        "within": WITHIN,
        "p95_multiple": P95_MULTIPLE,
    }
    status = 200
    try:
        weekday, weeks = choice(request.query_params, today)
        context.update(weekday=weekday, weeks=weeks)
        if request.query_params.get("weekday"):  # the form asks; the bare page only offers it
            context["plan"] = (await plan_for(site, weekday, weeks))[0]
    except BadPlan as e:
        context["error"] = str(e)
        status = 400
    return HTMLResponse(site.pages.render("plan.html", **context), status_code=status)


async def plan_png(request: Request) -> Response:
    await guard.viewer(request)
    site = site_of(request)
    try:
        weekday, weeks = choice(request.query_params, site.pages.local(site.clock()).date())
        _, chart = await plan_for(site, weekday, weeks)
    except BadPlan as e:
        return Response(f"{e}\n", status_code=400, media_type="text/plain; charset=utf-8")
    return Response(chart, media_type="image/png", headers={"Cache-Control": "no-store"})


routes = [
    Route("/reports/plan", plan_page, methods=["GET"]),
    Route("/reports/plan.png", plan_png, methods=["GET"]),
]
