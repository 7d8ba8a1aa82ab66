"""Every figure of the hand-made day (tests/reports/conftest.py), worked out by hand.

The waits, by first call: A003 2 min = 120 s (counter 1, S1, social, priority), B001 3 min = 180 s
(counter 2, S2, tax), A001 9 min = 540 s (counter 1, S1, social), A002 12 min = 720 s (counter 3,
S2, social), B002 10 min = 600 s (counter 3, S2, tax). A001's calls after its transfers and
A002's call after reinstatement are not new waits.

The services, by ticket done: A003 180 s (counter 1, social), B001 300 s (counter 2, tax),
A001 3+1+2 min = 360 s (counter 1, S1, as tax: its service when done), B002 180 s (counter 3,
S2, tax), A002 180 s (counter 1, S1, social).

The ratings: A003 4 (counter 1), B001 2 (counter 2), A001 3 (counter 1, tax), A002 1 (counter 1,
social); B002 unrated. The 5-point scores: 4 -> 5, 3 -> 4, 2 -> 3, 1 -> 1.
"""

from __future__ import annotations

import pytest

from hall_controller.reports import Figures, FollowUpRow, report

from .conftest import DAY, MIDNIGHT, m


def same(figures: Figures, **expected) -> None:
    """Assert the named figures (floats to 1e-9); `levels` as (l4, l3, l2, l1)."""
    for name, want in expected.items():
        got = getattr(figures, name)
        if name == "levels":
            assert got == dict(zip((4, 3, 2, 1), want)), name
        elif isinstance(want, float):
            assert got == pytest.approx(want, abs=1e-9), name
        else:
            assert got == want, name


@pytest.fixture(scope="module")
def whole_day(day_events, hall):
    return report(day_events, hall, MIDNIGHT, MIDNIGHT + DAY)


def test_the_whole_hall(whole_day):
    same(
        whole_day.overall,
        issued=6,  # A001 A002 B001 A003 A004 B002
        voided=1,  # A004: printout failed
        served=5,  # A003 B001 A001 B002 A002
        no_shows=1,  # A002 (later reinstated and served: still counted)
        transfers=1,  # A001, transferred twice: one ticket
        rated=4,
        levels=(1, 1, 1, 1),
        satisfaction_rate=(1 + 1) / 4,  # (levels 4 + 3) / rated = 0.5
        mean_score_5=(5 + 4 + 3 + 1) / 4,  # 3.25
        participation=4 / 5,  # rated / served
        wait_mean_s=(120 + 180 + 540 + 720 + 600) / 5,  # 432
        wait_p50_s=540.0,  # sorted 120 180 540 600 720: rank ceil(0.5*5) = 3
        wait_p95_s=720.0,  # rank ceil(0.95*5) = 5
        within_target=4 / 5,  # all but A002 (720 > 600)
        service_mean_s=(180 + 300 + 360 + 180 + 180) / 5,
    )  # 240


def test_by_service(whole_day):
    social, tax = whole_day.by_service["social"], whole_day.by_service["tax"]
    same(
        social,
        issued=4,
        voided=1,  # A001 A002 A003 A004
        served=2,  # A003, A002 (A001 finished as tax)
        no_shows=1,
        transfers=1,  # A001 left social at m12
        rated=2,
        levels=(1, 0, 0, 1),
        satisfaction_rate=1 / 2,
        mean_score_5=(5 + 1) / 2,
        participation=2 / 2,
        wait_mean_s=(120 + 540 + 720) / 3,
        wait_p50_s=540.0,
        wait_p95_s=720.0,
        within_target=2 / 3,  # 120 and 540 within 600; 720 not
        service_mean_s=(180 + 180) / 2,
    )
    same(
        tax,
        issued=2,
        voided=0,  # B001 B002
        served=3,  # B001, A001, B002
        no_shows=0,
        transfers=1,  # A001 left tax at m13 (to counter 1)
        rated=2,
        levels=(0, 1, 1, 0),
        satisfaction_rate=1 / 2,
        mean_score_5=(4 + 3) / 2,
        participation=2 / 3,
        wait_mean_s=(180 + 600) / 2,
        wait_p50_s=180.0,
        wait_p95_s=600.0,
        within_target=2 / 2,  # target 20 min = 1200 s
        service_mean_s=(300 + 360 + 180) / 3,
    )  # 280
    assert list(whole_day.by_service) == ["social", "tax"]


def test_by_counter(whole_day):
    one, two, three = (whole_day.by_counter[n] for n in (1, 2, 3))
    same(
        one,
        issued=0,
        voided=0,  # tickets are taken at kiosks, not counters
        served=3,
        no_shows=0,
        transfers=1,  # A003 A001 A002; A001 sent on at m12
        rated=3,
        levels=(1, 1, 0, 1),
        satisfaction_rate=2 / 3,
        mean_score_5=(5 + 4 + 1) / 3,
        participation=3 / 3,
        wait_mean_s=(120 + 540) / 2,
        wait_p50_s=120.0,
        wait_p95_s=540.0,
        within_target=2 / 2,
        service_mean_s=(180 + 360 + 180) / 3,
    )
    same(
        two,
        served=1,
        rated=1,
        levels=(0, 0, 1, 0),
        satisfaction_rate=0.0,
        mean_score_5=3.0,
        participation=1.0,
        wait_mean_s=180.0,
        within_target=1.0,
        service_mean_s=300.0,
        transfers=0,
    )
    same(
        three,
        served=1,
        no_shows=1,
        transfers=1,  # B002; A002 gone at m16; A001 sent on at m13
        rated=0,
        satisfaction_rate=None,
        mean_score_5=None,
        participation=0 / 1,
        wait_mean_s=(720 + 600) / 2,
        wait_p50_s=600.0,
        wait_p95_s=720.0,
        within_target=1 / 2,  # A002 720 > 600; B002 600 <= 1200
        service_mean_s=180.0,
    )


def test_a_clerk_who_served_at_two_counters_adds_up_both(whole_day):
    s1, s2 = whole_day.by_clerk["S1"], whole_day.by_clerk["S2"]
    assert list(whole_day.by_clerk) == ["S1", "S2"]
    same(s1, served=3, transfers=1, no_shows=0, rated=3, satisfaction_rate=2 / 3, wait_mean_s=330.0)  # = counter 1
    same(
        s2,  # counter 2 until m10, then counter 3
        served=1 + 1,  # B001 at counter 2, B002 at counter 3
        no_shows=1,
        transfers=1,  # both at counter 3
        rated=1,
        levels=(0, 0, 1, 0),
        satisfaction_rate=0 / 1,
        mean_score_5=3.0,
        participation=1 / 2,
        wait_mean_s=(180 + 720 + 600) / 3,  # B001 called at counter 2, A002 and B002 at 3
        wait_p50_s=600.0,
        wait_p95_s=720.0,
        within_target=2 / 3,
        service_mean_s=(300 + 180) / 2,
    )


def test_by_class_and_by_day(whole_day):
    normal, priority, appointment = (whole_day.by_class[k] for k in ("normal", "priority", "appointment"))
    same(priority, issued=1, served=1, rated=1, levels=(1, 0, 0, 0), wait_mean_s=120.0, within_target=1.0)
    same(
        normal,
        issued=5,
        voided=1,
        served=4,
        no_shows=1,
        transfers=1,
        rated=3,
        levels=(0, 1, 1, 1),
        wait_mean_s=(180 + 540 + 720 + 600) / 4,
        within_target=3 / 4,
        service_mean_s=(300 + 360 + 180 + 180) / 4,
    )
    same(appointment, issued=0, served=0, rated=0, wait_mean_s=None, satisfaction_rate=None, participation=None)
    assert list(whole_day.by_day) == ["2026-03-17"]
    assert whole_day.by_day["2026-03-17"] == whole_day.overall


def test_arrivals_by_hour_against_open_counters(whole_day):
    assert whole_day.days == 1
    assert len(whole_day.arrivals_by_hour) == 24
    hour, tickets, counters = whole_day.arrivals_by_hour[9]
    assert (hour, tickets) == (9, 6.0)  # all six taken between 9:00 and 9:06
    # open and not paused: counter 1 m0-m21 and m25-m30 (26 min), counter 2 m0-m10, counter 3 m11-m30
    assert counters == pytest.approx((26 + 10 + 19) / 60)
    assert all(t == 0 and c == 0 for h, t, c in whole_day.arrivals_by_hour if h != 9)


def test_ratings_of_2_and_1_are_follow_ups(whole_day):
    assert whole_day.follow_ups == [
        FollowUpRow("20260317-B001", "B001", counter=2, clerk="S2", service="tax", level=2, at=m(10)),
        FollowUpRow("20260317-A002", "A002", counter=1, clerk="S1", service="social", level=1, at=m(20)),
    ]


def test_a_period_cutting_the_morning_knows_what_came_before(day_events, hall):
    """9:10 to 9:20: the tickets were all taken before it and counter 1 opened before it; the
    report still knows their waits and S1 at counter 1. A002 finishes at 9:20 itself: not in it."""
    r = report(day_events, hall, m(10), m(20))
    same(
        r.overall,
        issued=0,
        voided=0,
        served=3,  # B001 (m10), A001 (m15), B002 (m19)
        no_shows=1,
        transfers=1,  # A002 at m16; A001 at m12 and m13
        rated=2,
        levels=(0, 1, 1, 0),  # B001 2 at m10, A001 3 at m15
        satisfaction_rate=1 / 2,
        participation=2 / 3,
        wait_mean_s=(720 + 600) / 2,  # first calls inside: A002 (taken m1), B002 (taken m6)
        within_target=1 / 2,
        service_mean_s=(300 + 360 + 180) / 3,
    )
    same(r.by_clerk["S1"], transfers=1, served=1)  # counter 1's clerk, signed in before 9:10
    assert [f.label for f in r.follow_ups] == ["B001"]
    _, tickets, counters = r.arrivals_by_hour[9]
    # inside the period: counter 1 m10-m20 (10 min), counter 2 closed at m10, counter 3 m11-m20 (9)
    assert (tickets, counters) == (0.0, pytest.approx((10 + 9) / 60))


def test_consecutive_periods_add_up_to_the_whole(day_events, hall, whole_day):
    parts = [report(day_events, hall, a, b) for a, b in ((MIDNIGHT, m(10)), (m(10), m(20)), (m(20), MIDNIGHT + DAY))]
    for name in ("issued", "served", "no_shows", "voided", "rated"):
        assert sum(getattr(p.overall, name) for p in parts) == getattr(whole_day.overall, name), name
    assert sum(len(p.follow_ups) for p in parts) == len(whole_day.follow_ups)


def test_counters_still_open_count_up_to_now(day_events, hall):
    """A report of a day still running: the counters open at 9:15 are open until 9:15, not midnight."""
    before_close = [e for e in day_events if e.at <= m(15)]
    r = report(before_close, hall, MIDNIGHT, MIDNIGHT + DAY, now=m(15))
    _, _, counters = r.arrivals_by_hour[9]
    assert counters == pytest.approx((15 + 10 + 4) / 60)  # counter 1 m0-15, 2 m0-10, 3 m11-15
    endless = report(before_close, hall, MIDNIGHT, MIDNIGHT + DAY)
    # without `now`, counters 1 and 3 stay open to the end of the period: m0-60 + m0-10 + m11-60
    assert endless.arrivals_by_hour[9][2] == pytest.approx((60 + 10 + 49) / 60)
    assert endless.arrivals_by_hour[23][2] == pytest.approx(2.0)


def test_a_period_must_end_after_it_starts(day_events, hall):
    with pytest.raises(ValueError):
        report(day_events, hall, m(10), m(10))
