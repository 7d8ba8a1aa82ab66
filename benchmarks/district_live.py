"""The district's live page with 200 halls: how long the district web takes to answer it.

One run, on this machine: a scratch database on the machine's PostgreSQL (or a private cluster
when none answers), migrated and holding 200 registered halls; the real district web (Starlette
under uvicorn, on a thread) with its live state fed the retained messages 200 halls' bridges put
on the district broker (a board with 4 services and 12 counters, 8 device states, 2 alerts per
hall), fed straight into the web's live state as the MQTT seam would; then a logged-in district
viewer asks for the live page (all 200 halls, rendered whole, the same fragment every live
stream sends after a change) again and again over HTTP on loopback, one hall's board changing
before each request so that each answer is rendered afresh. The figure is the p95 of
those answers, in ms. No target in DESIGN.md; it is the budget every live update costs per
open district page.
"""

from __future__ import annotations

import dataclasses
import http.client
import re
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.figures import Figure
from benchmarks.mqtt import percentile

HALLS = 200
REQUESTS = 200
WARM_UP = 10
PASSWORD = "bench password 42"
MACHINE_DSNS = (
    "host=127.0.0.1 port=5432 user=postgres dbname=postgres",
    "host=/var/run/postgresql user=postgres dbname=postgres",
)


def run(halls: int = HALLS, requests: int = REQUESTS) -> list[Figure]:
    import psycopg
    from psycopg import sql

    with _server() as server:
        name = f"district_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            dsn = psycopg.conninfo.make_conninfo(server, dbname=name)
            times = live_page_times(dsn, halls, requests)
        finally:
            with psycopg.connect(server, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
                for (role,) in admin.execute(
                    "SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (name + "\\_%",)
                ).fetchall():
                    admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
    return [
        Figure("district", f"district live page {halls} halls p95 ms", percentile(times, 95) * 1000, "ms"),
        Figure("district", f"district live page {halls} halls p50 ms", percentile(times, 50) * 1000, "ms"),
    ]


class _server:
    """The DSN of a PostgreSQL server's maintenance database: the machine's, or a private cluster."""

    def __enter__(self) -> str:
        import psycopg

        self.cluster = None
        for dsn in MACHINE_DSNS:
            try:
                psycopg.connect(dsn, connect_timeout=2).close()
                return dsn
            except psycopg.Error:
                continue
        from district.cluster import PrivateCluster, wait_until_ready

        self.cluster = PrivateCluster(Path(tempfile.mkdtemp(prefix="hall-bench-pg-")))
        self.cluster.start()
        wait_until_ready(self.cluster.dsn())
        return self.cluster.dsn()

    def __exit__(self, *exc) -> None:
        if self.cluster is not None:
            self.cluster.stop()


def live_page_times(dsn: str, halls: int, requests: int) -> list[float]:
    import psycopg

    from district import pg
    from district.web.accounts import Accounts
    from district.web.app import create_app
    from district.web.follow import LiveFeed
    from district.web.site import Site
    from hall import config
    from hall_controller.web.server import WebServer

    example = config.load(Path(__file__).parents[1] / "examples" / "hall.toml")
    with psycopg.connect(dsn, autocommit=True) as conn:
        pg.migrate(conn)
        for n in range(halls):
            pg.add_hall(conn, f"h{n:04d}", dataclasses.replace(example, id=f"h{n:04d}"))
    accounts = Accounts(dsn)
    accounts.add("bench", "viewer", PASSWORD, by="bench")
    feed = LiveFeed(None)
    for n in range(halls):
        for topic, payload in hall_messages(f"h{n:04d}", n):
            feed.take(topic, payload)
    site = Site(dsn, accounts, feed)
    server = WebServer(create_app(site), "127.0.0.1", 0, on_stop=feed.close)
    server.start()
    try:
        cookie = _login(server.port)
        times = []
        for i in range(WARM_UP + requests):
            # one hall's board changes before each request: the page is rendered afresh each
            # time (an unchanged district is served from the shared rendering, which is cheaper)
            topic, payload = hall_messages(f"h{i % halls:04d}", i)[0]
            feed.take(topic, payload)
            start = time.perf_counter()
            status, body = _get(server.port, "/", cookie)
            elapsed = time.perf_counter() - start
            if status != 200 or body.count(b"data-hall=") != halls:
                raise RuntimeError(f"the live page answered {status} without the {halls} halls")
            if i >= WARM_UP:
                times.append(elapsed)
        return times
    finally:
        server.stop()


def hall_messages(hall: str, n: int) -> list[tuple[str, bytes]]:
    from protocol.envelope import encode, make_message

    services = [
        {
            "id": sid,
            "prefix": p,
            "name": {"zh": f"业务{p}", "en": f"Service {p}"},
            "waiting": (n * 7 + i) % 30,
            "estimated_wait_s": 300 + 60 * i,
        }
        for i, (sid, p) in enumerate([("social", "A"), ("tax", "B"), ("property", "C"), ("vehicle", "D")])
    ]
    counters = [
        {"number": c, "state": "open" if c % 4 else "paused", "clerk": f"S{c:03d}", "ticket": f"A{c:03d}"}
        for c in range(1, 13)
    ]
    calls = [
        {"seq": k, "label": f"A{k:03d}", "counter": k % 12 + 1, "recall": False, "at": "2026-11-23T01:30:00.000Z"}
        for k in range(1, 9)
    ]
    out = [
        (
            f"hall/{hall}/board",
            encode(
                make_message(
                    "board.snapshot",
                    {
                        "call_seq": 8,
                        "calls": calls,
                        "services": services,
                        "counters": counters,
                        "notice": {"zh": "", "en": ""},
                        "incident": None,
                    },
                )
            ),
        ),
        (
            f"hall/{hall}/controller/state",
            encode(make_message("controller.state", {"online": True, "since": "2026-11-23T00:00:00.000Z"})),
        ),
        (f"hall/{hall}/bridge/state", b"1"),
    ]
    for d in range(8):
        body = {"online": d != 7 or n % 5 != 0, "fault": None}
        if d < 2:
            body["paper"] = "low" if n % 9 == 0 else "ok"
        out.append((f"hall/{hall}/dev/D{d}/state", encode(make_message("device.state", body))))
    for a in (1, 2):
        out.append(
            (
                f"hall/{hall}/alerts",
                encode(
                    make_message(
                        "alert.raised",
                        {
                            "alert": a,
                            "kind": "wait_over_target",
                            "subject": "social",
                            "message": "the longest wait is past its target",
                            "at": "2026-11-23T02:10:00.000Z",
                        },
                    )
                ),
            )
        )
    return out


def _get(port: int, path: str, cookie: str = "", body: bytes | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(
        "POST" if body is not None else "GET",
        path,
        body=body,
        headers={**({"Cookie": cookie} if cookie else {}), **(headers or {})},
    )
    response = conn.getresponse()
    data = response.read()
    cookies = [v.split(";")[0] for k, v in response.getheaders() if k.lower() == "set-cookie"]
    conn.close()
    if body is not None:
        return response.status, cookies
    return (response.status, data) if not cookies else (response.status, data, cookies)


def _login(port: int) -> str:
    status, page, cookies = _get(port, "/login")
    token = re.search(rb'name="csrf" value="([^"]+)"', page).group(1).decode()
    form = urlencode({"csrf": token, "name": "bench", "password": PASSWORD, "next": "/"}).encode()
    status, session = _get(port, "/login", cookies[0], form, {"Content-Type": "application/x-www-form-urlencoded"})
    if status != 303:
        raise RuntimeError(f"the bench user could not log in ({status})")
    return "; ".join(session)
