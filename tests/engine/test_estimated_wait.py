"""Estimated wait per service: tickets ahead, open counters serving it, the running mean."""

from __future__ import annotations

import pytest

from hall_controller.engine import commands as cmd

from .conftest import MINUTE

SOCIAL_MEAN = 6 * MINUTE


def test_first_in_line_at_an_idle_open_counter_waits_nothing(shift):
    shift.open(2)
    assert shift.engine.estimate_wait("social", 0) == 0
    assert shift.issue("social").promised_wait_s == 0


def test_tickets_ahead_share_the_open_counters(shift):
    shift.open(1, 2)
    assert shift.engine.estimate_wait("social", 5) == pytest.approx((5 + 1 - 2) * SOCIAL_MEAN / 2)


def test_busy_counters_are_not_idle(shift):
    shift.issue("social")
    shift.open(2)
    shift.serve(2)
    assert shift.engine.estimate_wait("social", 0) == pytest.approx(SOCIAL_MEAN)


def test_counter_with_two_primary_services_gives_each_half_its_time(shift):
    shift.open(5)                                  # social and fund
    assert shift.engine.estimate_wait("social", 2) == pytest.approx((2 + 1 - 1) * SOCIAL_MEAN / 0.5)


def test_backup_counters_count_as_half_a_counter_shared_among_their_backups(shift):
    # counter 1 backs up fund and property: a quarter of a counter for fund; no primary is open yet,
    # so fund's primaries (counter 4, and half of counter 5) are assumed to open
    shift.open(1)
    assert shift.engine.estimate_wait("fund", 3) == pytest.approx((3 + 1) * 8 * MINUTE / (1.5 + 0.25))
    shift.open(4)
    assert shift.engine.estimate_wait("fund", 3) == pytest.approx((3 + 1 - 1) * 8 * MINUTE / (1 + 0.25))


def test_before_any_counter_opens_the_estimate_assumes_they_will(shift):
    # property: only counter 3 has it as primary
    assert shift.engine.estimate_wait("property", 1) == pytest.approx(2 * 15 * MINUTE)


def test_paused_counters_do_not_serve_the_queue(shift):
    shift.open(1, 2)
    shift.do(cmd.PauseCounter(1, "meal"))
    assert shift.engine.estimate_wait("social", 3) == pytest.approx((3 + 1 - 1) * SOCIAL_MEAN / 1)


def test_estimate_follows_real_service_times(shift):
    shift.issue("social")
    shift.open(2)
    shift.serve(2)
    shift.later(16 * MINUTE)
    shift.finish(2)
    learned = SOCIAL_MEAN + 0.1 * (16 * MINUTE - SOCIAL_MEAN)
    shift.open(1)
    assert shift.engine.estimate_wait("social", 3) == pytest.approx((3 + 1 - 2) * learned / 2)


def test_ticket_shows_the_estimate_for_the_people_ahead_of_it(shift):
    shift.open(2)
    for _ in range(3):
        shift.issue("social")
    t = shift.reserve("social")
    assert t.ahead_at_issue == 3
    assert t.promised_wait_s == pytest.approx(round((3 + 1 - 1) * SOCIAL_MEAN, 1))
