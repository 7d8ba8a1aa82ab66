"""Logging in and out.

The login form carries a CSRF token of its own (in a short-lived cookie and the form), since
there is no session yet to hold one. A successful login opens a new session (a new id: nothing
from before the login is reused) and records it in the users' audit table; a failure records
that too, and counts toward the throttle. Checking a password costs an argon2 hash, so it runs
on a worker thread, never on the event loop.

The district web logs in the same way: each site names its own login template (`login_template`).
"""

from __future__ import annotations

import hmac

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from hall_controller.web import guard
from hall_controller.web.guard import COOKIE, LOGIN_COOKIE, BadForm, client_address, site_of


def _cookie_args(request: Request) -> dict:
    return {"httponly": True, "samesite": "strict", "secure": request.url.scheme == "https", "path": "/"}


def _login_page(request: Request, status: int = 200, error: str | None = None, name: str = "") -> Response:
    site = site_of(request)
    token = guard.new_token()
    html = site.pages.render(
        site.login_template,
        csrf=token,
        error=error,
        name=name,
        next=guard.safe_next(request.query_params.get("next")),
        no_users=site.users.count() == 0,
    )
    response = HTMLResponse(html, status_code=status)
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, **_cookie_args(request))
    return response


async def login_form(request: Request) -> Response:
    return _login_page(request)


async def login(request: Request) -> Response:
    site = site_of(request)
    try:
        form = await guard.read_form(request)
    except BadForm:
        form = {}
    expected = request.cookies.get(LOGIN_COOKIE)
    if not expected or not hmac.compare_digest(form.get("csrf", "").encode(), expected.encode()):
        raise guard.Forbidden("the login form has expired; reload the page and try again")
    name, password = form.get("name", "").strip(), form.get("password", "")
    address = client_address(request)
    wait = site.throttle.wait_s(name, address)
    if wait > 0:
        site.users.audit(name, "login_blocked", name, address)
        raise guard.TooMany(
            f"登录失败次数过多。Too many failed logins; try again in {max(1, round(wait / 60))} min.", wait
        )
    user = await run_in_threadpool(site.users.verify, name, password) if name and password else None
    if user is None:
        site.throttle.failed(name, address)
        site.users.audit(name or "-", "login_failed", name, address)
        return _login_page(request, 401, "用户名或密码错误。Wrong name or password.", name)
    site.throttle.succeeded(name, address)
    session = site.sessions.open(user.name)
    site.users.audit(user.name, "login", user.name, address)
    response = RedirectResponse(guard.safe_next(form.get("next")), status_code=303)
    response.set_cookie(COOKIE, session.id, **_cookie_args(request))
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


async def logout(request: Request) -> Response:
    site = site_of(request)
    staff, _ = await guard.posted(request, "viewer")
    site.sessions.close(staff.session.id)
    site.users.audit(staff.user.name, "logout", staff.user.name, client_address(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


routes = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
