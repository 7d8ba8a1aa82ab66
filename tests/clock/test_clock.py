"""The hall's clock: one setting (HALL_CLOCK, or --clock) that every program and its children follow."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys

import pytest

from hall import clock
from protocol import envelope

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NIGHT = dt.datetime(2026, 12, 4, 23, 50, tzinfo=SHANGHAI)


def test_a_clock_starts_at_its_instant_and_runs_at_its_speed():
    pinned = clock.parse(f"{NIGHT.isoformat()} x60 @1000.0")
    assert (pinned.start, pinned.anchor, pinned.speed) == (NIGHT.timestamp(), 1000.0, 60.0)
    assert pinned.real_seconds(600) == 10
    assert clock.parse(pinned.spec()) == pinned  # the text a child process receives


def test_an_unpinned_clock_starts_now():
    started = clock.parse(NIGHT.isoformat())
    assert started.speed == 1 and abs(started() - NIGHT.timestamp()) < 60


@pytest.mark.parametrize(
    "text, says",
    [
        ("tomorrow", "does not start with an ISO 8601 time"),
        ("2026-12-04T23:50:00+08:00 fast", "is neither a speed"),
        ("2026-12-04T23:50:00+08:00 x0", "speed must be above 0"),
        ("2026-12-04T23:50:00", "with its UTC offset"),
    ],
)
def test_a_bad_setting_is_one_sentence(text, says):
    with pytest.raises(clock.ClockError, match=says):
        clock.parse(text)


def test_the_command_line_option_reports_a_bad_clock_as_a_usage_error(capsys):
    parser = argparse.ArgumentParser(prog="hall x")
    clock.add_argument(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["--clock", "noon"])
    assert "does not start with an ISO 8601 time" in capsys.readouterr().err


def test_the_setting_reaches_messages_and_child_processes(monkeypatch):
    monkeypatch.setenv(clock.ENV, clock.starting_at(NIGHT).spec())
    stamped = envelope.parse_ts(envelope.make_message("board.snapshot", {}).ts)
    assert abs(stamped.timestamp() - NIGHT.timestamp()) < 60
    child = subprocess.run(
        [sys.executable, "-c", "from hall import clock; print(clock.now())"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        check=True,
    )
    assert abs(float(child.stdout) - NIGHT.timestamp()) < 60
    monkeypatch.delenv(clock.ENV)
    assert clock.current() is clock.REAL
