"""The management web as one Starlette app: the pages, the static files, the font, the headers.

    app = create_app(Site(hall, gateway, users, journal_path))

Everything the browser loads ships in the package: the templates, one style sheet, one small
script, and the hall's Chinese font (drivers/fonts, served as a web font), so a kiosk-like
machine without Chinese fonts shows the pages right and nothing is fetched from the internet.
Every response carries a strict Content-Security-Policy (only this server's own files, no inline
script), no-referrer (a ticket link never leaks to another site) and nosniff.
"""

from __future__ import annotations

import contextlib

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from hall_controller.web import (
    alert_link,
    appointments,
    guard,
    live,
    login,
    office,
    plan_page,
    priority,
    reports_page,
    ticket_page,
)
from hall_controller.web.feed import ControllerBusy
from hall_controller.web.headers import STATIC, SecurityHeaders, font
from hall_controller.web.site import Site


def create_app(site: Site) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app):
        site.feed.start()
        site.watch.start()
        try:
            yield
        finally:
            site.feed.close()
            await site.watch.close()

    async def busy(request: Request, exc: ControllerBusy) -> Response:
        html = site.pages.render(
            "error.html",
            title="控制器忙 Controller busy",
            status=503,
            sentence=f"请稍后再试。{exc}; try again in a moment.",
        )
        return HTMLResponse(html, status_code=503, headers={"Retry-After": "5"})

    async def not_found(request: Request, exc) -> Response:
        html = site.pages.render(
            "error.html", title="未找到 Not found", status=404, sentence="没有这个页面。There is no such page."
        )
        return HTMLResponse(html, status_code=404)

    routes = [
        *live.routes,
        *login.routes,
        *reports_page.routes,
        *plan_page.routes,
        *office.routes,
        *appointments.routes,
        *priority.routes,
        *alert_link.routes,
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
        Route("/fonts/{name}", font, methods=["GET"]),
    ]
    # the ticket links come last: straight under "/" they must not shadow a page
    routes += ticket_page.routes(site.ticket_prefix)
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={**guard.handlers(lambda request: site.pages), ControllerBusy: busy, 404: not_found},
    )
    app.state.site = site
    app.add_middleware(SecurityHeaders)
    return app


def create_public_app(site: Site) -> Starlette:
    """The citizens' side alone, for its own listener (`hall controller --public-web`): the ticket
    pages and the files they load, and nothing else: no login, no staff page answers here, so the
    staff web need not be reachable from the guest network at all. It shares `site` (the live
    feed, the ticket index, the budgets) with the staff app, whose lifespan starts them."""

    async def not_found(request: Request, exc) -> Response:
        html = site.pages.render(
            "error.html", title="未找到 Not found", status=404, sentence="没有这个页面。There is no such page."
        )
        return HTMLResponse(html, status_code=404)

    async def busy(request: Request, exc: ControllerBusy) -> Response:
        html = site.pages.render(
            "error.html",
            title="控制器忙 Controller busy",
            status=503,
            sentence=f"请稍后再试。{exc}; try again in a moment.",
        )
        return HTMLResponse(html, status_code=503, headers={"Retry-After": "5"})

    routes = [
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
        Route("/fonts/{name}", font, methods=["GET"]),
        *ticket_page.routes(site.ticket_prefix),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={**guard.handlers(lambda request: site.pages), ControllerBusy: busy, 404: not_found},
    )
    app.state.site = site
    app.add_middleware(SecurityHeaders)
    return app
