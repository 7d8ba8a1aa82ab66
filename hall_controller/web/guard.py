"""Who may see and change what: the checks every staff page and every form goes through.

    staff = await viewer(request)                     # a GET: logged in, any role
    staff, form = await posted(request, "supervisor")  # a POST: logged in, CSRF token, role

Refusals are exceptions, turned into responses in one place (`handlers`): no login -> the login
page (a POST gets 403, since replaying it after a login would surprise); a missing or wrong CSRF
token, or too low a role -> 403; too many requests -> 429. Forms are parsed here too (URL-encoded
only, at most 64 KiB, so a huge body is refused before it is read whole).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from hall_controller.web.access import Session
from hall_controller.web.users import User

COOKIE = "hall_session"
LOGIN_COOKIE = "hall_login"  # carries the login form's CSRF token before there is a session
FORM_LIMIT = 64 * 1024


class LoginNeeded(Exception):
    """No live session: log in (again)."""


class Forbidden(Exception):
    """Logged in, but this is not allowed (role, CSRF token); the message says which."""


class TooMany(Exception):
    """Too many requests from this client; try again after `retry_after_s`."""

    def __init__(self, message: str, retry_after_s: float):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class BadForm(Exception):
    """The body is not a form we can read."""


@dataclass
class Staff:
    session: Session
    user: User

    def may(self, role: str) -> bool:
        return self.user.may(role)


def site_of(request: Request):
    return request.app.state.site


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


async def viewer(request: Request, role: str = "viewer", *, touch: bool = True) -> Staff:
    """The logged-in user behind this request, if they have at least `role`."""
    site = site_of(request)
    session = site.sessions.get(request.cookies.get(COOKIE), touch=touch)
    if session is None:
        raise LoginNeeded()
    user = site.users.get(session.user)
    if user is None:  # removed since they logged in
        site.sessions.close(session.id)
        raise LoginNeeded()
    if not user.may(role):
        raise Forbidden(f"this needs the {role} role; {user.name} is {user.role}")
    return Staff(session, user)


async def posted(request: Request, role: str) -> tuple[Staff, dict[str, str]]:
    """A form sent by a logged-in user with their session's CSRF token and at least `role`."""
    site = site_of(request)
    try:
        form = await read_form(request)
    except BadForm:
        form = {}
    session = site.sessions.get(request.cookies.get(COOKIE))
    if session is None:
        raise LoginNeeded()
    if not session.csrf_ok(form.get("csrf") or request.headers.get("x-csrf-token")):
        raise Forbidden("the form's security token is missing or out of date; reload the page and try again")
    staff = await viewer(request, role)
    return staff, form


async def read_form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise BadForm("send the form URL-encoded")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_LIMIT:
            raise BadForm("the form is too large")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=64)
    except (UnicodeDecodeError, ValueError):
        raise BadForm("the form is not readable") from None
    return dict(pairs)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def tell(staff: Staff, result, done: str) -> None:
    """What the engine said about a staff command, for the next page: done, or refused and why."""
    if result.refused is None:
        staff.session.say("ok", done)
    else:
        staff.session.say("error", result.refused.message)


def back_to(path: str) -> RedirectResponse:
    """After a form: show the page again (303, so a reload does not post twice)."""
    return RedirectResponse(path, status_code=303)


def safe_next(path: str | None) -> str:
    """Only a local path may follow a login (never another site)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def handlers(pages_of):
    """Exception handlers for the app: `pages_of(request)` gives the templates."""

    async def login_needed(request: Request, exc: LoginNeeded) -> Response:
        if request.method == "GET" and not request.url.path.endswith("/events"):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
        return _page(
            request,
            pages_of,
            403,
            "请重新登录 Please log in again",
            "您的登录已过期。Your session has ended; log in again.",
        )

    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return _page(request, pages_of, 403, "不允许 Not allowed", str(exc))

    async def too_many(request: Request, exc: TooMany) -> Response:
        response = _page(request, pages_of, 429, "请稍候 Please wait", str(exc))
        response.headers["Retry-After"] = str(max(1, round(exc.retry_after_s)))
        return response

    async def bad_form(request: Request, exc: BadForm) -> Response:
        return _page(request, pages_of, 400, "无法读取 Bad request", str(exc))

    return {LoginNeeded: login_needed, Forbidden: forbidden, TooMany: too_many, BadForm: bad_form}


def _page(request: Request, pages_of, status: int, title: str, sentence: str) -> HTMLResponse:
    html = pages_of(request).render("error.html", title=title, sentence=sentence, status=status)
    return HTMLResponse(html, status_code=status)


__all__ = [
    "COOKIE",
    "LOGIN_COOKIE",
    "LoginNeeded",
    "Forbidden",
    "TooMany",
    "BadForm",
    "Staff",
    "viewer",
    "posted",
    "read_form",
    "tell",
    "back_to",
    "safe_next",
    "handlers",
    "client_address",
    "new_token",
]
