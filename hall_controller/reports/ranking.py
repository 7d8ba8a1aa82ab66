"""The monthly service-quality ranking of clerks and counters (服务质量月度评比).

Order: satisfaction rate (higher first), then citizens served (more first), then the mean wait
of the tickets they called (shorter first). A satisfaction rate over a handful of ratings says
little (two ratings out of two is 100 %), so only rows with at least `min_rated` ratings in the
period get a rank; the others are listed after them without one, so nobody disappears.
Equal figures share a rank (1, 2, 2, 4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hall_controller.reports.figures import Figures, Report

MIN_RATED = 30  # ratings needed to be ranked: about two weeks of one clerk at a quiet counter
DIMENSIONS = ("clerk", "counter")


@dataclass(frozen=True)
class RankRow:
    rank: int | None  # None: fewer than the minimum of rated services
    key: str | int  # the clerk's staff number or the counter's number
    served: int
    rated: int
    satisfaction_rate: float | None
    mean_score_5: float | None
    wait_mean_s: float | None


def ranking(report: Report, by: str = "clerk", min_rated: int = MIN_RATED) -> list[RankRow]:
    """Every clerk (or counter) that served or was rated in the period: ranked ones first."""
    if by not in DIMENSIONS:
        raise ValueError(f"a ranking is by clerk or by counter, not {by!r}")
    rows: dict = report.by_clerk if by == "clerk" else report.by_counter
    present = [(key, f) for key, f in rows.items() if f.served or f.rated]
    present.sort(key=lambda kf: (_order(kf[1]), str(kf[0])))
    out: list[RankRow] = []
    rank, previous = 0, None
    for position, (key, f) in enumerate((kf for kf in present if kf[1].rated >= min_rated), start=1):
        if _order(f) != previous:
            rank, previous = position, _order(f)
        out.append(_row(rank, key, f))
    out += [_row(None, key, f) for key, f in present if f.rated < min_rated]
    return out


def _order(f: Figures) -> tuple:
    return (-(f.satisfaction_rate or 0.0), -f.served, math.inf if f.wait_mean_s is None else f.wait_mean_s)


def _row(rank: int | None, key, f: Figures) -> RankRow:
    return RankRow(rank, key, f.served, f.rated, f.satisfaction_rate, f.mean_score_5, f.wait_mean_s)
