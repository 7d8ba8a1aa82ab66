"""The live hall page: counters, queues, devices and alerts as they happen, and acknowledging alerts.

The page is rendered whole once; then a server-sent event stream (`/events`) sends the same
fragment again, rendered from each new live snapshot, and a few lines of script swap it in.
Nothing is computed in the browser but the running clocks ("serving for 4 min"), which count
from times the fragment carries. The stream ends when the user's session does (idle time is
not restarted by the stream: only the user's own requests count), and tells the page to go
to the login.
"""

from __future__ import annotations

from sse_starlette import EventSourceResponse
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from hall_controller.engine import commands as c
from hall_controller.web import guard
from hall_controller.web.feed import Counted, StreamRefused, carry_out
from hall_controller.web.guard import Staff, site_of

PING_S = 15


def fragment(site, staff: Staff, live) -> str:
    now = site.clock()
    return site.pages.render(
        "_hall.html",
        view=live.view,
        broker=live.broker,
        staff=staff,
        now=now,
        hall=site.hall,
        district=site.district_copy.read(now),
    )


async def hall_page(request: Request) -> Response:
    staff = await guard.viewer(request)
    site = site_of(request)
    live = site.feed.current
    return HTMLResponse(
        site.pages.render(
            "hall.html",
            page="hall",
            hall=site.hall,
            staff=staff,
            flash=staff.session.take_flash(),
            body=fragment(site, staff, live),
        )
    )


async def hall_events(request: Request) -> Response:
    staff = await guard.viewer(request, touch=False)
    site = site_of(request)
    try:
        release = site.streams.open("session:" + staff.session.id)
    except StreamRefused as e:
        return e.response()

    async def stream():
        version = -1
        while not site.feed.closed:
            session = site.sessions.get(staff.session.id, touch=False)
            user = site.users.get(staff.user.name) if session is not None else None
            if user is None:
                yield {"event": "expired", "data": "/login"}
                return
            live = await site.feed.next(version, timeout=site.stream_check_s)
            if live is None:
                continue
            version = live.version
            yield {"event": "hall", "id": str(version), "data": fragment(site, Staff(session, user), live)}

    return Counted(
        EventSourceResponse(stream(), ping=PING_S, headers={"Cache-Control": "no-store"}, send_timeout=30), release
    )


async def acknowledge(request: Request) -> Response:
    staff, form = await guard.posted(request, "supervisor")
    site = site_of(request)
    alert = request.path_params["alert"]
    result = await carry_out(site.port, c.AcknowledgeAlert(alert, by=staff.user.name))
    guard.tell(staff, result, f"告警 {alert} 已确认。Alert {alert} acknowledged.")
    return guard.back_to(guard.safe_next(form.get("back")))


routes = [
    Route("/", hall_page, methods=["GET"]),
    Route("/events", hall_events, methods=["GET"]),
    Route("/alerts/{alert:int}/ack", acknowledge, methods=["POST"]),
]
