"""The district's live row of a hall, from its bridged board: the longest wait against its target."""

from __future__ import annotations

from district.web.live import Hall, summary
from protocol.envelope import format_epoch

NOW = 1_796_400_000.0


def board(*services) -> dict:
    return {"services": list(services), "counters": [], "calls": []}


def test_the_longest_wait_is_measured_from_when_it_began_and_held_against_the_target():
    social = {"id": "social", "waiting": 12, "estimated_wait_s": 600, "longest_wait_since": format_epoch(NOW - 1500)}
    tax = {"id": "tax", "waiting": 3, "estimated_wait_s": 900, "longest_wait_since": format_epoch(NOW - 300)}
    row = summary(Hall("xinhua", board=board(social, tax)), {"social": 1200, "tax": 1200}, NOW)
    assert row["worst"]["id"] == "social" and row["worst"]["longest_wait_s"] == 1500
    assert row["worst"]["over"] and not row["services"][1]["over"]


def test_a_board_without_it_falls_back_to_the_estimate_and_garbage_is_no_wait():
    old = {"id": "social", "waiting": 4, "estimated_wait_s": 1500}
    bad = {"id": "tax", "waiting": 2, "estimated_wait_s": 60, "longest_wait_since": "yesterday"}
    row = summary(Hall("xinhua", board=board(old, bad)), {"social": 1200, "tax": 1200}, NOW)
    assert row["worst"]["id"] == "social" and row["worst"]["longest_wait_s"] is None
    assert row["services"][1]["longest_wait_s"] is None and not row["services"][0]["over"]


def test_the_wait_is_counted_on_the_halls_clock_not_the_districts():
    """A hall whose clock runs 40 minutes behind the district's (or a demo hall on a sped-up clock)
    published its board at its own 10:00; 30 s later the district shows the wait as of 10:00:30 there."""
    hall_clock_at_board = NOW - 2400
    social = {
        "id": "social",
        "waiting": 5,
        "estimated_wait_s": 300,
        "longest_wait_since": format_epoch(hall_clock_at_board - 600),
    }
    hall = Hall("xinhua", board=board(social), board_at=NOW - 30, board_ts=hall_clock_at_board)
    row = summary(hall, {"social": 1200}, NOW)
    assert row["worst"]["longest_wait_s"] == 630 and not row["worst"]["over"]


def test_a_service_nobody_waits_for_is_never_the_tightest():
    """Its estimate says what a new ticket would wait, not what anyone is waiting."""
    empty = {"id": "property", "waiting": 0, "estimated_wait_s": 1500}
    social = {"id": "social", "waiting": 2, "estimated_wait_s": 60, "longest_wait_since": format_epoch(NOW - 120)}
    row = summary(Hall("xinhua", board=board(empty, social)), {"property": 1800, "social": 1200}, NOW)
    assert row["worst"]["id"] == "social"
    assert summary(Hall("xinhua", board=board(empty)), {"property": 1800}, NOW)["worst"] is None
