"""The district web as one Starlette app, with the hall web's headers, static files and font.

    app = create_app(Site(dsn, Accounts(dsn), LiveFeed(broker_url)))
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from district.web import login, pages, reports_page, users_page
from district.web.site import Site
from hall_controller.web import guard
from hall_controller.web.headers import STATIC, SecurityHeaders, font

DISTRICT_STATIC = Path(__file__).parent / "static"


def create_app(site: Site) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app):
        site.feed.start()
        try:
            yield
        finally:
            site.feed.close()

    async def not_found(request: Request, exc) -> Response:
        html = site.pages.render("error.html", title="未找到 Not found", status=404,
                                 sentence="没有这个页面。There is no such page.")
        return HTMLResponse(html, status_code=404)

    async def no_such_hall(request: Request, exc: pages.NoSuchHall) -> Response:
        html = site.pages.render("error.html", title="未找到 Not found", status=404,
                                 sentence="没有这个大厅，或您无权查看。There is no such hall, or it is not yours to see.")
        return HTMLResponse(html, status_code=404)

    routes = [*pages.routes, *login.routes, *reports_page.routes, *users_page.routes,
              Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
              Mount("/district-static", app=StaticFiles(directory=DISTRICT_STATIC), name="district-static"),
              Route("/fonts/{name}", font, methods=["GET"])]
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={**guard.handlers(lambda request: site.pages), 404: not_found,
                                        pages.NoSuchHall: no_such_hall})
    app.state.site = site
    app.add_middleware(SecurityHeaders)
    return app
