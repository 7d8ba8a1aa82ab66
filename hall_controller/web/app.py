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
import hashlib
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from drivers import fonts
from hall_controller.web import appointments, guard, live, login, office, reports_page, ticket_page
from hall_controller.web.feed import ControllerBusy
from hall_controller.web.site import Site

STATIC = Path(__file__).parent / "static"
FONTS = {"NotoSansSC-Regular.otf": fonts.REGULAR, "NotoSansSC-Bold.otf": fonts.BOLD}
HEADERS = [
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                 b"font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
                                 b"base-uri 'none'"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Adds HEADERS to every HTTP response (a plain ASGI wrapper: streams pass through untouched)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _etag(path: Path) -> str:
    stat = path.stat()
    return '"' + hashlib.sha1(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16] + '"'


async def font(request: Request) -> Response:
    path = FONTS.get(request.path_params["name"])
    if path is None:
        return Response(status_code=404)
    etag = _etag(path)
    headers = {"Cache-Control": "public, max-age=604800", "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type="font/otf", headers=headers)


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
        html = site.pages.render("error.html", title="控制器忙 Controller busy", status=503,
                                 sentence=f"请稍后再试。{exc}; try again in a moment.")
        return HTMLResponse(html, status_code=503, headers={"Retry-After": "5"})

    async def not_found(request: Request, exc) -> Response:
        html = site.pages.render("error.html", title="未找到 Not found", status=404,
                                 sentence="没有这个页面。There is no such page.")
        return HTMLResponse(html, status_code=404)

    routes = [*live.routes, *login.routes, *reports_page.routes, *office.routes, *appointments.routes,
              Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
              Route("/fonts/{name}", font, methods=["GET"])]
    # the ticket links come last: straight under "/" they must not shadow a page
    routes += ticket_page.routes(site.ticket_prefix)
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={**guard.handlers(lambda request: site.pages), ControllerBusy: busy,
                                        404: not_found})
    app.state.site = site
    app.add_middleware(SecurityHeaders)
    return app


def create_public_app(site: Site) -> Starlette:
    """The citizens' side alone, for its own listener (`hall controller --public-web`): the ticket
    pages and the files they load, and nothing else: no login, no staff page answers here, so the
    staff web need not be reachable from the guest network at all. It shares `site` (the live
    feed, the ticket index, the budgets) with the staff app, whose lifespan starts them."""

    async def not_found(request: Request, exc) -> Response:
        html = site.pages.render("error.html", title="未找到 Not found", status=404,
                                 sentence="没有这个页面。There is no such page.")
        return HTMLResponse(html, status_code=404)

    async def busy(request: Request, exc: ControllerBusy) -> Response:
        html = site.pages.render("error.html", title="控制器忙 Controller busy", status=503,
                                 sentence=f"请稍后再试。{exc}; try again in a moment.")
        return HTMLResponse(html, status_code=503, headers={"Retry-After": "5"})

    routes = [Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
              Route("/fonts/{name}", font, methods=["GET"]), *ticket_page.routes(site.ticket_prefix)]
    app = Starlette(routes=routes, exception_handlers={**guard.handlers(lambda request: site.pages),
                                                      ControllerBusy: busy, 404: not_found})
    app.state.site = site
    app.add_middleware(SecurityHeaders)
    return app
