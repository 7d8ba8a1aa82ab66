"""Priority requests: a supervisor confirms or refuses the priority citizens asked for at a kiosk
where staff confirm it (`priority = "staff"` in the hall file).

Until someone decides, the ticket waits as normal; confirmed, it takes the priority head start
from then on. A clerk can decide from the counter's keypad too; whoever decides is journalled
(here: the supervisor's user name), and the reports count requests confirmed and refused.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from hall_controller.engine import commands as c
from hall_controller.web import guard, snapshots
from hall_controller.web.feed import ask, carry_out
from hall_controller.web.guard import site_of


async def priority_page(request: Request) -> Response:
    staff = await guard.viewer(request)
    site = site_of(request)
    items = await ask(site.port, snapshots.priority_requests)
    return HTMLResponse(
        site.pages.render(
            "priority.html", page="priority", hall=site.hall, staff=staff, flash=staff.session.take_flash(), items=items
        )
    )


async def decide(request: Request) -> Response:
    staff, form = await guard.posted(request, "supervisor")
    site = site_of(request)
    ticket = request.path_params["ticket"]
    confirm = form.get("decision") == "confirm"
    if form.get("decision") not in ("confirm", "refuse"):
        staff.session.say("error", "请选择确认或拒绝。Choose confirm or refuse.")
        return guard.back_to("/priority")
    label = ticket.rsplit("-", 1)[-1]
    result = await carry_out(site.port, c.DecidePriority(ticket, confirm, by=staff.user.name))
    guard.tell(
        staff,
        result,
        f"{label} 优先已确认。{label}: priority confirmed."
        if confirm
        else f"{label} 不予优先，照常排队。{label}: priority refused; it waits as normal.",
    )
    return guard.back_to("/priority")


routes = [
    Route("/priority", priority_page, methods=["GET"]),
    Route("/priority/{ticket}/decide", decide, methods=["POST"]),
]
