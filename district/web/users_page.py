"""The district's users, for a district admin: list with scope, add (district-wide or one hall),
new password, remove, and the web's audit trail. Same forms and checks as the hall web's; a
hall-scoped user is never admin, so only district admins reach these pages."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from district.web.accounts import UserError
from hall_controller.web import guard
from hall_controller.web.guard import client_address, site_of
from hall_controller.web.users import ROLES


async def users_page(request: Request) -> Response:
    staff = await guard.viewer(request, "admin")
    site = site_of(request)
    return HTMLResponse(
        site.pages.render(
            "district_users.html",
            page="users",
            site=site,
            staff=staff,
            flash=staff.session.take_flash(),
            users=site.users.users(),
            audit=site.users.audit_rows(),
            roles=ROLES,
            halls=site.registry(),
        )
    )


async def add_user(request: Request) -> Response:
    staff, form = await guard.posted(request, "admin")
    site = site_of(request)
    name, hall = form.get("name", "").strip(), form.get("hall", "") or None
    try:
        if form.get("password", "") != form.get("password2", ""):
            raise UserError("the two passwords differ")
        user = await run_in_threadpool(
            site.users.add,
            name,
            form.get("role", ""),
            form.get("password", ""),
            hall=hall,
            by=staff.user.name,
            address=client_address(request),
        )
        staff.session.say("ok", f"已添加用户 {user.name}。User {user.name} added ({user.role} of {user.scope}).")
    except UserError as e:
        staff.session.say("error", str(e))
    return guard.back_to("/users")


async def set_password(request: Request) -> Response:
    staff, form = await guard.posted(request, "admin")
    site = site_of(request)
    name = request.path_params["name"]
    try:
        if form.get("password", "") != form.get("password2", ""):
            raise UserError("the two passwords differ")
        await run_in_threadpool(
            site.users.set_password, name, form.get("password", ""), by=staff.user.name, address=client_address(request)
        )
        site.sessions.close_user(name)
        staff.session.say("ok", f"已为 {name} 设置新密码。New password set for {name}.")
    except UserError as e:
        staff.session.say("error", str(e))
    return guard.back_to("/users")


async def remove_user(request: Request) -> Response:
    staff, _ = await guard.posted(request, "admin")
    site = site_of(request)
    name = request.path_params["name"]
    try:
        if name == staff.user.name:
            raise UserError("you cannot remove yourself; another admin can")
        site.users.remove(name, by=staff.user.name, address=client_address(request))
        site.sessions.close_user(name)
        staff.session.say("ok", f"已删除用户 {name}。User {name} removed.")
    except UserError as e:
        staff.session.say("error", str(e))
    return guard.back_to("/users")


routes = [
    Route("/users", users_page, methods=["GET"]),
    Route("/users/add", add_user, methods=["POST"]),
    Route("/users/{name}/password", set_password, methods=["POST"]),
    Route("/users/{name}/remove", remove_user, methods=["POST"]),
]
