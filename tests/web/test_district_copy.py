"""The hall web shows how far `hall ship` has copied the journal to the district, from the status
file the shipper writes beside the journal (the web never talks to the district itself)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from district.ship import Status, status_path, write_status
from hall_controller.web.district_copy import DistrictCopyReader, describe, status_file

from .conftest import Client

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 12, 4, 10, 50, tzinfo=SHANGHAI).timestamp()
UP = Status(
    hall="xinhua",
    link="up",
    journal_seq=900,
    district_seq=560,
    waiting=340,
    behind_s=12.0,
    down_since=None,
    error=None,
    updated=NOW - 2,
    text="",
)


def as_dict(status: Status) -> dict:
    return dataclasses.asdict(status)


def test_the_web_reads_the_file_the_shipper_writes(tmp_path):
    assert status_file(tmp_path / "journal.db") == status_path(tmp_path / "journal.db")


def test_each_state_of_the_copy_in_one_line():
    assert describe(as_dict(UP), NOW, SHANGHAI).en == "district copy: 12 s behind (340 events waiting)"
    assert describe(as_dict(dataclasses.replace(UP, waiting=0, behind_s=0)), NOW, SHANGHAI).state == "ok"
    far = describe(as_dict(dataclasses.replace(UP, behind_s=900)), NOW, SHANGHAI)
    assert far.state == "warn"
    down = dataclasses.replace(UP, link="down", waiting=3210, down_since=NOW - 8 * 60)
    line = describe(as_dict(down), NOW, SHANGHAI)
    assert (line.state, line.en) == ("bad", "link down since 10:42, 3,210 events waiting")
    stopped = describe(as_dict(dataclasses.replace(UP, link="stopped", error="another hall's journal")), NOW, SHANGHAI)
    assert stopped.state == "bad" and "another hall's journal" in stopped.en
    silent = describe(as_dict(dataclasses.replace(UP, updated=NOW - 600)), NOW, SHANGHAI)
    assert silent.en.startswith("district copy: no word from hall ship since 10:40")
    assert describe({"link": "up"}, NOW, SHANGHAI).en == "district copy: status unreadable"


def test_no_file_no_line_and_a_damaged_file_is_not_a_crash(tmp_path):
    reader = DistrictCopyReader(tmp_path / "journal.db", SHANGHAI)
    assert reader.read(NOW) is None
    status_file(tmp_path / "journal.db").write_text("{half")
    assert reader.read(NOW) is None


def test_the_live_page_shows_the_copy_and_follows_it(hall_web):
    web = hall_web()
    web.add_user("zhou", "viewer")
    client = Client(web.url)
    client.login("zhou")
    assert 'id="district-copy"' not in client.get("/")[2]  # not in a district: nothing said
    now = web.clock()
    write_status(status_path(web.journal_path), dataclasses.replace(UP, updated=now))
    assert "district copy: 12 s behind (340 events waiting)" in client.get("/")[2]
    down = dataclasses.replace(UP, link="down", waiting=3210, down_since=now - 60, updated=now + 1)
    write_status(status_path(web.journal_path), down)
    since = dt.datetime.fromtimestamp(now - 60, web.hall.tz).strftime("%H:%M")
    assert f"link down since {since}, 3,210 events waiting" in client.get("/")[2]
