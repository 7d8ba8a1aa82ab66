"""The monthly ranking: satisfaction first, then served, then the mean wait; a minimum of ratings."""

from __future__ import annotations

import pytest

from hall_controller.reports import MIN_RATED, Figures, RankRow, Report, ranking, report

from .conftest import DAY, MIDNIGHT


def row(served: int, l4: int, l3: int, l2: int = 0, l1: int = 0, wait: float | None = 300.0) -> Figures:
    rated = l4 + l3 + l2 + l1
    return Figures(
        issued=0,
        served=served,
        no_shows=0,
        transfers=0,
        voided=0,
        rated=rated,
        levels={4: l4, 3: l3, 2: l2, 1: l1},
        satisfaction_rate=(l4 + l3) / rated if rated else None,
        mean_score_5=(5 * l4 + 4 * l3 + 3 * l2 + l1) / rated if rated else None,
        participation=rated / served if served else None,
        wait_mean_s=wait,
        wait_p50_s=wait,
        wait_p95_s=wait,
        within_target=None,
        service_mean_s=None,
    )


def month(clerks: dict[str, Figures], counters: dict[int, Figures] | None = None) -> Report:
    empty = row(0, 0, 0, wait=None)
    return Report(
        start=0.0,
        end=1.0,
        overall=empty,
        by_service={},
        by_counter=counters or {},
        by_clerk=clerks,
        by_day={},
        by_class={},
        arrivals_by_hour=[],
        follow_ups=[],
    )


def test_order_is_satisfaction_then_served_then_wait():
    r = month(
        {
            "S1": row(100, 40, 50, 10),  # 90 % satisfied
            "S2": row(120, 45, 45, 10),  # 90 %, more served: above S1
            "S3": row(120, 45, 45, 10, wait=200),  # 90 %, as many served, shorter wait: above S2
            "S4": row(80, 60, 35, 5),  # 95 %: first, though it served the fewest
        }
    )
    assert [(x.rank, x.key) for x in ranking(r, "clerk")] == [(1, "S4"), (2, "S3"), (3, "S2"), (4, "S1")]


def test_only_enough_ratings_get_a_rank_and_the_rest_follow_unranked():
    assert MIN_RATED == 30
    r = month(
        {
            "S1": row(200, 20, 10, 0),  # 30 rated, 100 %: ranked
            "S2": row(200, 29, 0, 0),  # 29 rated, 100 %: one short, not ranked
            "S3": row(200, 50, 40, 10),  # 100 rated, 90 %
            "S4": row(5, 0, 0, 0),  # served, never rated
        }
    )
    rows = ranking(r, "clerk")
    assert [(x.rank, x.key) for x in rows] == [(1, "S1"), (2, "S3"), (None, "S2"), (None, "S4")]
    assert rows[0] == RankRow(
        1, "S1", served=200, rated=30, satisfaction_rate=1.0, mean_score_5=(20 * 5 + 10 * 4) / 30, wait_mean_s=300.0
    )
    assert [x.key for x in ranking(r, "clerk", min_rated=29) if x.rank] == ["S1", "S2", "S3"]


def test_equal_figures_share_a_rank_and_idle_rows_are_left_out():
    r = month(
        {"S1": row(50, 30, 10), "S2": row(50, 30, 10), "S3": row(50, 20, 10, 10), "S9": row(0, 0, 0)},
        counters={1: row(50, 30, 10), 2: row(0, 0, 0, wait=None)},
    )
    assert [(x.rank, x.key) for x in ranking(r, "clerk")] == [(1, "S1"), (1, "S2"), (3, "S3")]
    assert [(x.rank, x.key) for x in ranking(r, "counter")] == [(1, 1)]


def test_the_hand_made_day_ranked_with_a_small_minimum(day_events, hall):
    r = report(day_events, hall, MIDNIGHT, MIDNIGHT + DAY)
    assert [(x.rank, x.key) for x in ranking(r, "clerk", min_rated=1)] == [(1, "S1"), (2, "S2")]  # 67 % vs 0 %
    assert [(x.rank, x.key) for x in ranking(r, "clerk", min_rated=2)] == [(1, "S1"), (None, "S2")]  # S2 rated once
    assert [(x.rank, x.key) for x in ranking(r, "counter", min_rated=1)] == [(1, 1), (2, 2), (None, 3)]
    with pytest.raises(ValueError):
        ranking(r, "service")
