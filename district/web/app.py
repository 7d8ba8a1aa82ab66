"""The district web as one Starlette app, with the hall web's headers, static files and font.

app = create_app(Site(dsn, Accounts(dsn), LiveFeed(broker_url)))
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import psycopg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from district import pg
from district.web import pages, reports_page, users_page
from district.web.accounts import AccountsUnavailable
from district.web.site import Site
from hall_controller.web import guard, login
from hall_controller.web.headers import STATIC, SecurityHeaders, font

DISTRICT_STATIC = Path(__file__).parent / "static"
log = logging.getLogger("district.web")


def create_app(site: Site) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app):
        site.feed.start()
        try:
            yield
        finally:
            site.feed.close()

    async def not_found(request: Request, exc) -> Response:
        html = site.pages.render(
            "error.html", title="未找到 Not found", status=404, sentence="没有这个页面。There is no such page."
        )
        return HTMLResponse(html, status_code=404)

    async def no_such_hall(request: Request, exc: pages.NoSuchHall) -> Response:
        html = site.pages.render(
            "error.html",
            title="未找到 Not found",
            status=404,
            sentence="没有这个大厅，或您无权查看。There is no such hall, or it is not yours to see.",
        )
        return HTMLResponse(html, status_code=404)

    async def database_down(request: Request, exc: Exception) -> Response:
        log.warning("district web: the database did not answer: %s", pg.first_line(exc))
        html = site.pages.render(
            "error.html",
            title="数据库不可用 Database unavailable",
            status=503,
            sentence="区域数据库暂时无法访问，请稍后再试。The district database does not answer; "
            "try again in a moment.",
        )
        return HTMLResponse(html, status_code=503, headers={"Retry-After": "10"})

    routes = [
        *pages.routes,
        *login.routes,
        *reports_page.routes,
        *users_page.routes,
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
        Mount("/district-static", app=StaticFiles(directory=DISTRICT_STATIC), name="district-static"),
        Route("/fonts/{name}", font, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            **guard.handlers(lambda request: site.pages),
            404: not_found,
            pages.NoSuchHall: no_such_hall,
            pg.DistrictError: database_down,
            psycopg.Error: database_down,
            AccountsUnavailable: database_down,
        },
    )
    app.state.site = site
    app.add_middleware(SecurityHeaders)
    return app
