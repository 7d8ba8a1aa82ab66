"""What the test folders share besides fixtures: how long to wait, the example hall, the hall's time.

A plain module (not a conftest) so that every folder imports it by one unambiguous name: several
folders have a conftest of their own, and `from conftest import` may find any of them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from hall import clock, config

WAIT_S = 10.0  # how long a test waits for something that should happen (never a timing assertion)
EXAMPLE_HALL = Path(__file__).parents[1] / "examples" / "hall.toml"
TEST_NOW = "HALL_TEST_NOW"


class ManualClock:
    """Seconds that move only when the test says (`advance`): a monotonic clock for a device's
    presses, or the hall's epoch time for the in-memory hall."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def set_hall_time(text: str, monkeypatch) -> clock.HallClock:
    """Start the hall's clock at `text` (ISO 8601 with its offset) for the rest of this test."""
    start = dt.datetime.fromisoformat(text)
    if start.tzinfo is None:
        raise ValueError(f"{TEST_NOW}={text!r} needs its UTC offset, e.g. 2026-12-04T23:50:00+08:00")
    hall_time = clock.starting_at(start)
    monkeypatch.setenv(clock.ENV, hall_time.spec())
    return hall_time


def hall_now(hall: config.Hall) -> dt.datetime:
    """The hall's local time now, on the test's hall clock."""
    return dt.datetime.fromtimestamp(clock.now(), hall.tz)


def no_show_wait(hall: config.Hall, seconds: float = 0) -> config.Hall:
    """`hall` with another minimum wait between a call heard and a no-show."""
    return dataclasses.replace(hall, dispatch=dataclasses.replace(hall.dispatch, no_show_wait_s=seconds))
