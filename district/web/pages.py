"""The live pages: every hall at once, one hall drilled into, and the fleet of devices.

Each page is rendered whole once; a server-sent event stream then sends the same fragment again
after each change on the district broker, and the hall web's script (static/hall.js) swaps it
in. Every page, fragment and stream shows only the halls the user may see: a hall's supervisor
gets that hall and nothing of another, not even its name; asking for another hall is a 404, as
for a hall that does not exist.
"""

from __future__ import annotations

import asyncio

from sse_starlette import EventSourceResponse
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from district.web.live import Hall, summary
from hall_controller.web import guard
from hall_controller.web.guard import Staff, site_of

PING_S = 15


class NoSuchHall(Exception):
    """Not a hall this user may see (or none at all): the same answer for both."""


def visible_summaries(site, staff: Staff) -> list[dict]:
    registry = site.registry()
    satisfaction = site.satisfaction_current()
    now = site.clock()
    out = []
    with site.feed.lock:
        for hall_id in staff.user.visible(site.hall_ids()):
            hall = site.feed.live.halls.get(hall_id)
            info = registry.get(hall_id)
            row = summary(hall or Hall(hall_id), info.targets if info else {}, now)
            row["name"] = (info.name_zh, info.name_en) if info else (hall_id, hall_id)
            row["satisfaction"] = satisfaction.get(hall_id)
            out.append(row)
    return out


def _shared(site, key: tuple, render) -> str:
    """One rendering per (fragment, scope, live version), shared by every page stream that shows
    the same: a hundred district viewers cost one rendering per change, not a hundred. The key
    also holds the time to 5 s, so a page opened in a quiet hour does not show an old clock."""
    key = (*key, site.feed.version, int(site.clock() // 5))
    html = site.fragments.get(key)
    if html is None:
        html = render()
        if len(site.fragments) > 64:
            site.fragments.clear()
        site.fragments[key] = html
    return html


def district_fragment(site, staff: Staff) -> str:
    return _shared(
        site,
        ("district", staff.user.hall),
        lambda: site.pages.render("_district.html", halls=visible_summaries(site, staff), now=site.clock()),
    )


def hall_fragment(site, staff: Staff, hall_id: str) -> str:
    if not staff.user.sees(hall_id) or hall_id not in site.hall_ids():
        raise NoSuchHall(hall_id)

    def render() -> str:
        rows = [r for r in visible_summaries(site, staff) if r["id"] == hall_id]
        return site.pages.render("_hall_live.html", h=rows[0], now=site.clock())

    return _shared(site, ("hall", hall_id), render)


def fleet_fragment(site, staff: Staff) -> str:
    return _shared(
        site,
        ("fleet", staff.user.hall),
        lambda: site.pages.render("_fleet.html", halls=visible_summaries(site, staff), now=site.clock()),
    )


def _page(site, staff: Staff, page: str, template: str, **context) -> HTMLResponse:
    return HTMLResponse(
        site.pages.render(template, page=page, site=site, staff=staff, flash=staff.session.take_flash(), **context)
    )


async def district_page(request: Request) -> Response:
    staff = await guard.viewer(request)
    site = site_of(request)
    return _page(site, staff, "live", "district.html", body=district_fragment(site, staff))


async def hall_page(request: Request) -> Response:
    staff = await guard.viewer(request)
    site = site_of(request)
    hall_id = request.path_params["hall"]
    return _page(site, staff, "live", "hall_live.html", hall_id=hall_id, body=hall_fragment(site, staff, hall_id))


async def fleet_page(request: Request) -> Response:
    staff = await guard.viewer(request)
    site = site_of(request)
    return _page(site, staff, "fleet", "fleet.html", body=fleet_fragment(site, staff))


def _stream(request: Request, staff: Staff, event: str, render) -> Response:
    site = site_of(request)

    async def stream():
        version = -1
        while not site.feed.closed:
            session = site.sessions.get(staff.session.id, touch=False)
            user = site.users.get(staff.user.name) if session is not None else None
            if user is None:
                yield {"event": "expired", "data": "/login"}
                return
            current = await site.feed.next(version, timeout=site.stream_check_s)
            if current is None:
                continue
            version = current
            try:
                html = render(Staff(session, user))
            except NoSuchHall:  # the user's scope changed under the stream
                yield {"event": "expired", "data": "/login"}
                return
            yield {"event": event, "id": str(version), "data": html}
            # at most one update a second per page: a district of halls changes many times a second
            await asyncio.sleep(site.stream_min_interval_s)

    return EventSourceResponse(stream(), ping=PING_S, headers={"Cache-Control": "no-store"}, send_timeout=30)


async def district_events(request: Request) -> Response:
    staff = await guard.viewer(request, touch=False)
    site = site_of(request)
    return _stream(request, staff, "district", lambda s: district_fragment(site, s))


async def hall_events(request: Request) -> Response:
    staff = await guard.viewer(request, touch=False)
    site = site_of(request)
    hall_id = request.path_params["hall"]
    hall_fragment(site, staff, hall_id)  # refused before the stream opens
    return _stream(request, staff, "hall", lambda s: hall_fragment(site, s, hall_id))


async def fleet_events(request: Request) -> Response:
    staff = await guard.viewer(request, touch=False)
    site = site_of(request)
    return _stream(request, staff, "fleet", lambda s: fleet_fragment(site, s))


routes = [
    Route("/", district_page, methods=["GET"]),
    Route("/events", district_events, methods=["GET"]),
    Route("/halls/{hall}", hall_page, methods=["GET"]),
    Route("/halls/{hall}/events", hall_events, methods=["GET"]),
    Route("/fleet", fleet_page, methods=["GET"]),
    Route("/fleet/events", fleet_events, methods=["GET"]),
]
