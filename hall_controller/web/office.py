"""The back office: follow-ups of poor ratings, the screens' notice and incident mode, and users.

Every change to the hall goes to the engine as a command carrying the user's name (`by`), so the
journal records who did what and when; the engine refuses what is wrong (a closed follow-up, an
empty incident text) and its sentence is shown to the user. Changes to users go to the users
store, which keeps its own audit rows.
"""

from __future__ import annotations

import datetime as dt

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from hall_controller.engine import commands as c
from hall_controller.web import guard, snapshots
from hall_controller.web.feed import ask, carry_out
from hall_controller.web.guard import client_address, site_of
from hall_controller.web.users import ROLES, UserError

FOLLOW_UP_FILTERS = ("open", "closed", "all")


# --- follow-ups -------------------------------------------------------------------------------


async def follow_ups_page(request: Request) -> Response:
    staff = await guard.viewer(request)
    site = site_of(request)
    shown = request.query_params.get("show", "open")
    if shown not in FOLLOW_UP_FILTERS:
        shown = "open"
    items = await ask(site.port, snapshots.follow_ups)
    counts = {
        "open": sum(1 for f in items if f["closed_at"] is None),
        "closed": sum(1 for f in items if f["closed_at"] is not None),
        "all": len(items),
    }
    if shown != "all":
        items = [f for f in items if (f["closed_at"] is None) == (shown == "open")]
    items.sort(key=lambda f: f["opened_at"], reverse=shown != "open")  # open: oldest first
    return HTMLResponse(
        site.pages.render(
            "followups.html",
            page="followups",
            hall=site.hall,
            staff=staff,
            flash=staff.session.take_flash(),
            items=items,
            shown=shown,
            counts=counts,
        )
    )


async def note_follow_up(request: Request) -> Response:
    return await _follow_up(request, c.NoteFollowUp, "已记录。Note added.")


async def close_follow_up(request: Request) -> Response:
    return await _follow_up(request, c.CloseFollowUp, "已关闭。Follow-up closed.")


async def _follow_up(request: Request, command, done: str) -> Response:
    staff, form = await guard.posted(request, "supervisor")
    site = site_of(request)
    ticket = request.path_params["ticket"]
    result = await carry_out(site.port, command(ticket, form.get("note", "").strip(), staff.user.name))
    guard.tell(staff, result, f"{ticket.rsplit('-', 1)[-1]}: {done}")
    return guard.back_to(guard.safe_next(form.get("back") or "/followups"))


# --- notice and incident ----------------------------------------------------------------------


async def notices_page(request: Request) -> Response:
    staff = await guard.viewer(request)
    site = site_of(request)
    view = await ask(site.port, snapshots.notices)
    return HTMLResponse(
        site.pages.render(
            "notices.html",
            page="notices",
            hall=site.hall,
            staff=staff,
            flash=staff.session.take_flash(),
            notice=view["notice"],
            incident=view["incident"],
            now=site.clock(),
        )
    )


async def set_notice(request: Request) -> Response:
    staff, form = await guard.posted(request, "supervisor")
    site = site_of(request)
    result = await carry_out(
        site.port, c.SetNotice(form.get("zh", "").strip(), form.get("en", "").strip(), by=staff.user.name)
    )
    guard.tell(staff, result, "公告已更新，叫号屏随即显示。Notice saved; the screens show it now.")
    return guard.back_to("/notices")


async def set_incident(request: Request) -> Response:
    staff, form = await guard.posted(request, "supervisor")
    site = site_of(request)
    on = form.get("on") == "1"
    expected_back = None
    if on and form.get("expected_back"):
        try:
            local = dt.datetime.fromisoformat(form["expected_back"])
        except ValueError:
            staff.session.say("error", "预计恢复时间格式错误。Write the expected time as YYYY-MM-DD HH:MM.")
            return guard.back_to("/notices")
        expected_back = (local.replace(tzinfo=site.pages.tz) if local.tzinfo is None else local).timestamp()
    command = c.SetIncident(
        on,
        form.get("zh", "").strip() if on else "",
        form.get("en", "").strip() if on else "",
        expected_back,
        by=staff.user.name,
    )
    result = await carry_out(site.port, command)
    guard.tell(
        staff,
        result,
        "故障公告已开启。Incident notice is on the screens." if on else "故障公告已关闭。Incident notice is off.",
    )
    return guard.back_to("/notices")


# --- users (admin) ----------------------------------------------------------------------------


async def users_page(request: Request) -> Response:
    staff = await guard.viewer(request, "admin")
    site = site_of(request)
    return HTMLResponse(
        site.pages.render(
            "users.html",
            page="users",
            hall=site.hall,
            staff=staff,
            flash=staff.session.take_flash(),
            users=site.users.users(),
            audit=site.users.audit_rows(200),
            roles=ROLES,
        )
    )


async def add_user(request: Request) -> Response:
    staff, form = await guard.posted(request, "admin")
    site = site_of(request)
    name, role = form.get("name", "").strip(), form.get("role", "")
    if form.get("password", "") != form.get("password2", ""):
        staff.session.say("error", "两次输入的密码不一致。The two passwords differ.")
        return guard.back_to("/users")
    try:
        await run_in_threadpool(
            site.users.add, name, role, form.get("password", ""), by=staff.user.name, address=client_address(request)
        )
    except UserError as e:
        staff.session.say("error", str(e))
    else:
        staff.session.say("ok", f"已添加用户 {name}。User {name} added ({role}).")
    return guard.back_to("/users")


async def remove_user(request: Request) -> Response:
    staff, _ = await guard.posted(request, "admin")
    site = site_of(request)
    name = request.path_params["name"]
    if name == staff.user.name:
        staff.session.say("error", "不能删除自己。You cannot remove yourself; ask another admin.")
        return guard.back_to("/users")
    try:
        site.users.remove(name, by=staff.user.name, address=client_address(request))
    except UserError as e:
        staff.session.say("error", str(e))
    else:
        site.sessions.close_user(name)
        staff.session.say("ok", f"已删除用户 {name}。User {name} removed.")
    return guard.back_to("/users")


async def set_password(request: Request) -> Response:
    staff, form = await guard.posted(request, "admin")
    site = site_of(request)
    name = request.path_params["name"]
    if form.get("password", "") != form.get("password2", ""):
        staff.session.say("error", "两次输入的密码不一致。The two passwords differ.")
        return guard.back_to("/users")
    try:
        await run_in_threadpool(
            site.users.set_password, name, form.get("password", ""), by=staff.user.name, address=client_address(request)
        )
    except UserError as e:
        staff.session.say("error", str(e))
    else:
        if name != staff.user.name:
            site.sessions.close_user(name)
        staff.session.say("ok", f"已为 {name} 设置新密码。New password set for {name}.")
    return guard.back_to("/users")


routes = [
    Route("/followups", follow_ups_page, methods=["GET"]),
    Route("/followups/{ticket}/note", note_follow_up, methods=["POST"]),
    Route("/followups/{ticket}/close", close_follow_up, methods=["POST"]),
    Route("/notices", notices_page, methods=["GET"]),
    Route("/notices/notice", set_notice, methods=["POST"]),
    Route("/notices/incident", set_incident, methods=["POST"]),
    Route("/users", users_page, methods=["GET"]),
    Route("/users/add", add_user, methods=["POST"]),
    Route("/users/{name}/remove", remove_user, methods=["POST"]),
    Route("/users/{name}/password", set_password, methods=["POST"]),
]
