"""The reply link of an alert message (hall_controller/alerts/links.py): the alert and a button,
no login. Opening the link changes nothing; pressing the button acknowledges the alert in the
journal as "NAME (channel)", which stops its escalation like the live page's button does. A link
whose token does not match is "no such page", and every request spends the client address's
budget, as on the ticket pages.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from hall_controller.alerts import links
from hall_controller.engine import commands as c
from hall_controller.web.feed import ask, carry_out
from hall_controller.web.guard import BadForm, TooMany, client_address, read_form, site_of

NAME_MAX = 40


def alert_view(alert: int):
    """A query: what the page shows of one alert (None if there is no such alert)."""

    def read(engine) -> dict | None:
        a = engine.state.alerts.get(alert)
        if a is None:
            return None
        return {
            "id": a.id,
            "kind": a.kind,
            "message": a.message,
            "raised_at": a.raised_at,
            "cleared_at": a.cleared_at,
            "acked_by": a.acked_by,
            "acked_at": a.acked_at,
        }

    return read


async def _alert(request: Request) -> tuple[dict | None, str]:
    site = site_of(request)
    address = client_address(request)
    if not site.ticket_budget.take(address):
        raise TooMany(
            "请求过于频繁，请稍后再试。Too many requests; please try again in a minute.",
            site.ticket_budget.retry_after_s(address),
        )
    alert, channel = request.path_params["alert"], request.path_params["channel"]
    if not links.token_ok(site.port.secret, alert, channel, request.path_params["token"]):
        return None, channel
    return await ask(site.port, alert_view(alert)), channel


def _page(
    request: Request,
    alert: dict | None,
    channel: str,
    *,
    error: str | None = None,
    done: str | None = None,
    status: int = 200,
) -> Response:
    site = site_of(request)
    if alert is None:
        html = site.pages.render(
            "error.html", title="未找到 Not found", status=404, sentence="没有这个页面。There is no such page."
        )
        return HTMLResponse(html, status_code=404)
    return HTMLResponse(
        site.pages.render(
            "alert_link.html", hall=site.hall, a=alert, channel=channel, error=error, done=done, name_max=NAME_MAX
        ),
        status_code=status,
    )


async def show(request: Request) -> Response:
    alert, channel = await _alert(request)
    return _page(request, alert, channel)


async def acknowledge(request: Request) -> Response:
    alert, channel = await _alert(request)
    if alert is None:
        return _page(request, None, channel)
    try:
        form = await read_form(request)
    except BadForm:
        form = {}
    name = form.get("name", "").strip()
    if not name or len(name) > NAME_MAX:
        return _page(
            request,
            alert,
            channel,
            status=400,
            error=f"请写下您的姓名（1 至 {NAME_MAX} 个字）。Write your name (1 to {NAME_MAX} characters).",
        )
    result = await carry_out(site_of(request).port, c.AcknowledgeAlert(alert["id"], by=f"{name} ({channel})"))
    alert = await ask(site_of(request).port, alert_view(alert["id"]))
    if not result.ok:
        return _page(request, alert, channel, status=409, error=result.refused.message)
    return _page(request, alert, channel, done="已确认，谢谢。Acknowledged; thank you.")


routes = [
    Route("/alerts/{alert:int}/ack/{channel}/{token}", show, methods=["GET"]),
    Route("/alerts/{alert:int}/ack/{channel}/{token}", acknowledge, methods=["POST"]),
]
