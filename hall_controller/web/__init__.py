"""The management web: the live hall, reports, alerts, follow-up, notices, users, and the
citizen's ticket page, served by the hall controller's own process (`hall controller --web`).

How it meets the controller: the gateway's loop thread owns the engine; the web runs on a
thread of its own (uvicorn, asyncio) and never touches the engine. It sends staff commands
through `gateway.submit` (journalled with who did it), reads through `gateway.query`, and
follows the hall through the gateway's live snapshot (`snapshots.live_hall`, rebuilt on the
loop thread when something changed) with server-sent events. docs/web.md is the manual.

    site.py        what the pages share (hall, gateway, users, sessions, clock)
    app.py         the Starlette app: routes, static files, the font, security headers
    server.py      uvicorn on a thread, started and stopped cleanly
    snapshots.py   engine -> plain data, run on the controller's loop thread
    feed.py        the live snapshots and queries, for asyncio code
    guard.py       login, roles, CSRF, forms; access.py sessions and login throttle; users.py the users store
    live.py, reports_page.py, office.py, login.py, ticket_page.py   the pages
    render.py, charts.py, templates/, static/                       pure rendering
"""
