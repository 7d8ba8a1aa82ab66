"""Cross-hall reports, CSV, ranking and follow-ups on the district web, over journals of simulated
days shipped into a real PostgreSQL: a hall's supervisor gets only its hall; a viewer cannot
close a follow-up; a supervisor can, and the page says who closed it and when."""

from __future__ import annotations

import dataclasses
import re

import psycopg
import pytest
from district_support import DAY, role_dsn, ship_all  # tests/district/district_support.py
from district_web_support import Client


@pytest.fixture
def shipped(district_web, district_dsn, day_journal, example_hall, tmp_path):
    web = district_web()
    for hall_id, seed in (("xinhua", 11), ("beihai", 12)):
        hall = dataclasses.replace(example_hall, id=hall_id)
        journal = tmp_path / f"{hall_id}.db"
        day_journal(journal, DAY, seed=seed, hall=hall)
        dsn, password = role_dsn(district_dsn, hall)
        ship_all(journal, dsn, password)
    return web


def period(by: str = "hall", fmt: str = "") -> str:
    return f"/reports?start={DAY}&end={DAY}&by={by}" + (f"&format={fmt}" if fmt else "")


def test_a_cross_hall_report_and_its_csv(shipped, district_page, tmp_path):
    viewer = Client(shipped.url)
    viewer.login("viewer")
    status, _, html = viewer.get(period())
    assert status == 200
    assert "新华区政务服务中心 xinhua" in html and "新华区政务服务中心 beihai" in html  # same name: the id tells
    status, headers, text = viewer.get(period(fmt="csv"))
    assert status == 200 and headers["content-type"].startswith("text/csv")
    lines = text.lstrip("\ufeff").strip().splitlines()
    assert lines[0].startswith("hall,tickets,served") and {line.split(",")[0] for line in lines[1:]} == {
        "xinhua",
        "beihai",
    }
    for by in ("service", "counter", "clerk", "hour", "day", "month"):
        assert viewer.get(period(by))[0] == 200, by
    status, _, html = viewer.get(f"/ranking?month={DAY:%Y-%m}&level=hall")
    assert status == 200 and "新华区政务服务中心 xinhua" in html
    status, _, html = viewer.get("/reports?start=not-a-date")
    assert status == 200 and "is not a date" in html

    status, _, html = viewer.get("/")  # the live page: satisfaction on each hall's current day
    row = re.search(r'data-hall="xinhua".*?</tr>', html, re.S).group(0)
    assert re.search(r"\d+\.\d %", row), "no satisfaction figure for the hall's current day"

    page = district_page(shipped, "viewer")
    page.goto(shipped.url + period())
    assert page.locator("svg.chart").count() == 1
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)


def test_a_hall_supervisor_gets_only_its_hall_in_reports_and_csv(shipped):
    sup = Client(shipped.url)
    sup.login("sup_x")
    status, _, text = sup.get(period("counter", "csv"))
    assert status == 200
    halls = {line.split(",")[0] for line in text.lstrip("\ufeff").strip().splitlines()[1:]}
    assert halls == {"xinhua"}
    status, _, html = sup.get(period())
    assert "beihai" not in html
    status, _, html = sup.get(f"/followups?start={DAY}&end={DAY}")
    assert status == 200 and "beihai/" not in html and "xinhua/" in html
    status, _, html = sup.get(f"/ranking?month={DAY:%Y-%m}&level=clerk")
    assert "beihai" not in html


def open_followup(web, dsn: str, hall: str) -> str:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT ticket FROM district.followups WHERE hall_id = %s AND closed_at IS NULL ORDER BY ticket LIMIT 1",
            (hall,),
        ).fetchone()
    assert row, f"the simulated day of {hall} left no open follow-up"
    return row[0]


def closed_by(dsn: str, hall: str, ticket: str):
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT closed_by, close_note FROM district.followups WHERE hall_id = %s AND ticket = %s", (hall, ticket)
        ).fetchone()


def test_a_viewer_cannot_close_a_follow_up_and_a_supervisor_can(shipped, district_dsn):
    ticket = open_followup(shipped, district_dsn, "xinhua")
    path = f"/followups/xinhua/{ticket}/close"
    viewer = Client(shipped.url)
    viewer.login("viewer")
    status, _, html = viewer.get(f"/followups?start={DAY}&end={DAY}")
    assert status == 200 and f'action="{path}"' not in html
    assert viewer.post(path, {"csrf": viewer.csrf("/followups"), "note": "x"})[0] == 403
    assert closed_by(district_dsn, "xinhua", ticket) == (None, None)

    sup = Client(shipped.url)
    sup.login("sup_x")
    other = open_followup(shipped, district_dsn, "beihai")
    assert sup.post(f"/followups/beihai/{other}/close", {"csrf": sup.csrf("/followups"), "note": "x"})[0] == 403
    assert closed_by(district_dsn, "beihai", other) == (None, None)
    assert sup.post(path, {"note": "called back"})[0] == 403, "no CSRF token"
    assert sup.post(path, {"csrf": sup.csrf("/followups"), "note": "called back"})[0] == 303
    assert closed_by(district_dsn, "xinhua", ticket) == ("district:sup_x", "called back")
    status, _, html = sup.get(f"/followups?start={DAY}&end={DAY}&status=closed")
    assert re.search(r"district:sup_x · \d{4}-\d\d-\d\d \d\d:\d\d · called back", html)
