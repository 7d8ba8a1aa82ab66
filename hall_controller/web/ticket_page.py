"""The citizen's ticket page: opened from the QR code on the ticket, no login, made for a phone.

It shows the ticket's service, how many are ahead and the estimated wait, and once called the
counter to go to, updating live by server-sent events. It shows nothing personal (the hall
knows nothing personal) and nothing of other tickets but their number ahead. The link's token
is an HMAC of the ticket id (`views.status_token`): unguessable, and every request to these
pages (found or not) spends the client address's budget, so trying tokens gets 429 quickly.
"""

from __future__ import annotations

import re

from sse_starlette import EventSourceResponse
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from hall_controller.web import snapshots
from hall_controller.web.feed import Counted, StreamRefused, ask
from hall_controller.web.guard import TooMany, client_address, site_of

TOKEN = re.compile(r"^[a-z2-7]{16}$")
PING_S = 15
FINISHED = ("done", "no_show", "voided", "expired")


def _spend(request: Request) -> None:
    site = site_of(request)
    address = client_address(request)
    if not site.ticket_budget.take(address):
        raise TooMany(
            "请求过于频繁，请稍后再试。Too many requests; please try again in a minute.",
            site.ticket_budget.retry_after_s(address),
        )


async def _ticket_id(request: Request) -> str | None:
    token = request.path_params["token"]
    if not TOKEN.match(token):
        return None
    return await site_of(request).index.ticket_for(token)


def fragment(site, status: dict | None) -> str:
    return site.pages.render("_ticket.html", t=status, now=site.clock())


async def ticket_page(request: Request) -> Response:
    _spend(request)
    site = site_of(request)
    ticket_id = await _ticket_id(request)
    status = await ask(site.port, lambda engine: snapshots.ticket_status(engine, ticket_id)) if ticket_id else None
    html = site.pages.render(
        "ticket.html",
        hall=site.hall,
        t=status,
        body=fragment(site, status),
        events=request.url.path + "/events" if status else None,
    )
    return HTMLResponse(html, status_code=200 if status else 404, headers={"Cache-Control": "no-store"})


async def ticket_events(request: Request) -> Response:
    _spend(request)
    site = site_of(request)
    ticket_id = await _ticket_id(request)
    if ticket_id is None:
        return Response(status_code=404)
    try:
        release = site.streams.open("address:" + client_address(request))
    except StreamRefused as e:
        return e.response()

    async def stream():
        site.watch.follow(ticket_id)
        try:
            status = await ask(site.port, lambda engine: snapshots.ticket_status(engine, ticket_id))
            yield {"event": "ticket", "data": fragment(site, status)}
            shown, round_ = status, site.watch.round
            while status is not None and status["state"] not in FINISHED:
                answered = await site.watch.next(round_, timeout=PING_S * 2)
                if answered is None:
                    if site.feed.closed:
                        return
                    continue
                round_ = answered
                status = site.watch.statuses.get(ticket_id, shown)
                if status != shown:
                    shown = status
                    yield {"event": "ticket", "data": fragment(site, status)}
        finally:
            site.watch.unfollow(ticket_id)

    return Counted(
        EventSourceResponse(stream(), ping=PING_S, headers={"Cache-Control": "no-store"}, send_timeout=30), release
    )


def routes(prefix: str) -> list[Route]:
    return [
        Route(prefix + "{token}", ticket_page, methods=["GET"]),
        Route(prefix + "{token}/events", ticket_events, methods=["GET"]),
    ]
