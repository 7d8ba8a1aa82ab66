"""Reports: satisfaction, waiting and staffing figures of any period, from the journal's events.

    from hall_controller import reports
    r = reports.report_from_journal("var/journal.db", hall, start, end)   # read-only, never blocks
    r.overall.satisfaction_rate, r.by_clerk["S103"].wait_p95_s, r.arrivals_by_hour, r.follow_ups
    reports.ranking(r, "clerk")           # the monthly ranking
    reports.to_csv(r, "service"), reports.to_json(r), reports.to_text(r)

Modules: `tally` (one pass over events: the running sums, shared with `hall simulate`),
`figures` (the frozen `Figures` and `Report`, and `report()` over any events), `reading`
(the journal, read-only), `ranking`, `export` (CSV, JSON, text). docs/reports.md defines every
figure.
"""

from hall_controller.reports.export import TABLES, to_csv, to_json, to_text
from hall_controller.reports.figures import (
    LEVEL_NAMES,
    SCORE_5,
    Figures,
    FollowUpRow,
    Report,
    figures,
    from_tally,
    report,
)
from hall_controller.reports.ranking import MIN_RATED, RankRow, ranking
from hall_controller.reports.reading import ReadOnlyJournal, report_from_journal
from hall_controller.reports.tally import Counts, Tally

__all__ = [
    "Counts",
    "Figures",
    "FollowUpRow",
    "LEVEL_NAMES",
    "MIN_RATED",
    "RankRow",
    "ReadOnlyJournal",
    "Report",
    "SCORE_5",
    "TABLES",
    "Tally",
    "figures",
    "from_tally",
    "ranking",
    "report",
    "report_from_journal",
    "to_csv",
    "to_json",
    "to_text",
]
