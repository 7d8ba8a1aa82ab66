"""A report as CSV tables, as JSON and as text for a person: pure functions, no files, no I/O.

Shares are written as fractions with four decimals (0.9231), seconds with one, the 5-point mean
with two; a figure with nothing to measure is an empty CSV cell or JSON null. Times of day are
local to the hall. The CSV is UTF-8 without a byte-order mark; a spreadsheet on Windows wants one
(`"\\ufeff" + to_csv(...)`), which whoever writes the file adds.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from dataclasses import fields

from hall_controller.reports.figures import LEVEL_NAMES, LEVELS, Figures, Report
from hall_controller.reports.ranking import MIN_RATED, ranking

#: what `to_csv(report, by)` and `hall report --by` accept
TABLES = ("overall", "service", "counter", "clerk", "day", "class", "hour", "follow-ups", "rank-clerk", "rank-counter")
FIGURE_COLUMNS = (
    "issued",
    "served",
    "no_shows",
    "transfers",
    "voided",
    "rated",
    "level_4",
    "level_3",
    "level_2",
    "level_1",
    "satisfaction_rate",
    "mean_score_5",
    "participation",
    "wait_mean_s",
    "wait_p50_s",
    "wait_p95_s",
    "within_target",
    "service_mean_s",
    "ewt_tickets",
    "ewt_mae_s",
    "ewt_relative_mae",
    "ewt_bias_s",
)
_SHARES = {"satisfaction_rate", "participation", "within_target", "ewt_relative_mae"}


def _value(name: str, x):
    if x is None or isinstance(x, int):
        return x
    if name in _SHARES:
        return round(x, 4)
    if name == "mean_score_5":
        return round(x, 2)
    return round(x, 1)


def figure_values(f: Figures) -> dict:
    """One row's figures as plain values, rounded for people (levels as level_4 … level_1)."""
    out: dict = {}
    for item in fields(f):
        x = getattr(f, item.name)
        if item.name == "levels":
            out.update({f"level_{k}": x[k] for k in LEVELS})
        else:
            out[item.name] = _value(item.name, x)
    return out


def local_time(report: Report, at: float) -> str:
    return dt.datetime.fromtimestamp(at, zoneinfo.ZoneInfo(report.timezone)).isoformat(timespec="seconds")


# --- CSV -------------------------------------------------------------------------------------


def to_csv(report: Report, by: str) -> str:
    """One table of the report as CSV text: a header row, then one row per service (counter,
    clerk, day, class, hour, follow-up or ranked clerk/counter); `by` is one of TABLES."""
    if by not in TABLES:
        raise ValueError(f"a report table is one of {', '.join(TABLES)}, not {by!r}")
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    if by == "hour":
        w.writerow(("hour", "tickets_per_day", "counters_open", *FIGURE_COLUMNS))
        for h, t, c in report.arrivals_by_hour:
            f = report.by_hour.get(h)
            values = figure_values(f) if f is not None else {}
            w.writerow((f"{h:02d}:00", round(t, 2), round(c, 2), *(_cell(values.get(k)) for k in FIGURE_COLUMNS)))
    elif by == "follow-ups":
        w.writerow(("ticket", "label", "at", "counter", "clerk", "service", "service_zh", "level", "level_zh"))
        w.writerows(
            (
                r.ticket,
                r.label,
                local_time(report, r.at),
                r.counter,
                r.clerk or "",
                r.service,
                report.service_names.get(r.service, ("", ""))[0],
                r.level,
                LEVEL_NAMES[r.level],
            )
            for r in report.follow_ups
        )
    elif by.startswith("rank-"):
        dimension = by[len("rank-") :]
        w.writerow(("rank", dimension, "served", "rated", "satisfaction_rate", "mean_score_5", "wait_mean_s", "note"))
        w.writerows(
            (
                _cell(r.rank),
                r.key,
                r.served,
                r.rated,
                _cell(_value("satisfaction_rate", r.satisfaction_rate)),
                _cell(_value("mean_score_5", r.mean_score_5)),
                _cell(_value("wait_mean_s", r.wait_mean_s)),
                "" if r.rank is not None else f"not ranked: fewer than {MIN_RATED} ratings",
            )
            for r in ranking(report, dimension)
        )
    else:
        head, rows = _dimension(report, by)
        w.writerow((*head, *FIGURE_COLUMNS))
        for key, f in rows:
            values = figure_values(f)
            w.writerow((*key, *(_cell(values[c]) for c in FIGURE_COLUMNS)))
    return out.getvalue()


def _cell(x):
    return "" if x is None else x


def _dimension(report: Report, by: str) -> tuple[tuple, list[tuple[tuple, Figures]]]:
    if by == "overall":
        return ("from", "to"), [((local_time(report, report.start), local_time(report, report.end)), report.overall)]
    if by == "service":
        return ("service", "name_zh", "name_en"), [
            ((s, *report.service_names.get(s, ("", ""))), f) for s, f in report.by_service.items()
        ]
    if by == "counter":
        return ("counter", "name_zh", "name_en"), [
            ((n, *report.counter_names.get(n, ("", ""))), f) for n, f in report.by_counter.items()
        ]
    table = {"clerk": report.by_clerk, "day": report.by_day, "class": report.by_class}[by]
    return (by,), [((k,), f) for k, f in table.items()]


# --- JSON ------------------------------------------------------------------------------------


def to_json(report: Report) -> dict:
    """The whole report as one JSON-ready dict (keys are strings; see docs/reports.md)."""

    def rows(table: dict) -> dict:
        return {str(k): figure_values(f) for k, f in table.items()}

    return {
        "hall": report.hall,
        "timezone": report.timezone,
        "start": report.start,
        "end": report.end,
        "from": local_time(report, report.start),
        "to": local_time(report, report.end),
        "days": report.days,
        "overall": figure_values(report.overall),
        "by_service": rows(report.by_service),
        "by_counter": rows(report.by_counter),
        "by_clerk": rows(report.by_clerk),
        "by_day": rows(report.by_day),
        "by_class": rows(report.by_class),
        "by_hour": rows(report.by_hour),
        "arrivals_by_hour": [
            {"hour": h, "tickets_per_day": round(t, 2), "counters_open": round(c, 2)}
            for h, t, c in report.arrivals_by_hour
        ],
        "follow_ups": [
            {
                "ticket": r.ticket,
                "label": r.label,
                "at": r.at,
                "local": local_time(report, r.at),
                "counter": r.counter,
                "clerk": r.clerk,
                "service": r.service,
                "level": r.level,
            }
            for r in report.follow_ups
        ],
        "ranking": {
            dimension: [
                {
                    "rank": r.rank,
                    dimension: r.key,
                    "served": r.served,
                    "rated": r.rated,
                    "satisfaction_rate": _value("satisfaction_rate", r.satisfaction_rate),
                    "mean_score_5": _value("mean_score_5", r.mean_score_5),
                    "wait_mean_s": _value("wait_mean_s", r.wait_mean_s),
                }
                for r in ranking(report, dimension)
            ]
            for dimension in ("clerk", "counter")
        },
        "ranking_min_rated": MIN_RATED,
        "priority": {
            "self_declared": report.priority.get("self", 0),
            "asked": report.priority.get("asked", 0),
            "confirmed": report.priority.get("confirmed", 0),
            "refused": report.priority.get("refused", 0),
        },
        "services": {s: {"zh": zh, "en": en} for s, (zh, en) in report.service_names.items()},
    }


# --- text for a person -----------------------------------------------------------------------


def to_text(report: Report, by: str = "service") -> str:
    """A summary and one table, for a terminal or the demo's day report; `by` is one of TABLES."""
    if by not in TABLES:
        raise ValueError(f"a report table is one of {', '.join(TABLES)}, not {by!r}")
    o = report.overall
    lines = [
        f"Hall {report.hall}: {local_time(report, report.start)[:16].replace('T', ' ')} to "
        f"{local_time(report, report.end)[:16].replace('T', ' ')} ({report.days} active day"
        f"{'' if report.days == 1 else 's'})",
        f"Tickets: {o.issued} taken, {o.served} served, {o.no_shows} no-shows, {o.transfers} transferred, "
        f"{o.voided} voided",
        f"Wait (min): mean {_min(o.wait_mean_s)}, median {_min(o.wait_p50_s)}, 95th percentile "
        f"{_min(o.wait_p95_s)}; {_pct(o.within_target)} called within target. Service: {_min(o.service_mean_s)} "
        "min on average",
        f"Ratings: {o.rated} of {o.served} served rated ({_pct(o.participation)}), satisfaction "
        f"{_pct(o.satisfaction_rate)}, mean {_score(o.mean_score_5)} / 5 "
        f"(非常满意 {o.levels[4]}, 满意 {o.levels[3]}, 一般 {o.levels[2]}, 不满意 {o.levels[1]})",
        priority_line(report),
        *(
            [
                f"Wait printed on tickets: off by {_min(o.ewt_mae_s)} min on average, {_pct(o.ewt_relative_mae)} of "
                f"the mean wait, bias {'+' if o.ewt_bias_s >= 0 else ''}{_min(o.ewt_bias_s)} min "
                f"({o.ewt_tickets} tickets; above 0: waits were shorter than printed)"
            ]
            if o.ewt_tickets
            else []
        ),
        "",
    ]
    if by == "hour":
        lines.append(
            f"{'hour':<7}{'tickets/day':>12}{'counters open':>15}{'wait p50':>9}{'p95':>7}{'in tgt':>7}{'satisf.':>8}"
        )
        peak = max((t for _, t, _ in report.arrivals_by_hour), default=0) or 1
        for h, t, c in report.arrivals_by_hour:
            f = report.by_hour.get(h)
            if t or c or f is not None:
                p50, p95, within, sat = (
                    (f.wait_p50_s, f.wait_p95_s, f.within_target, f.satisfaction_rate)
                    if f is not None
                    else (None, None, None, None)
                )
                lines.append(
                    f"{h:02d}:00  {t:>11.1f}{c:>15.1f}{_min(p50):>9}{_min(p95):>7}{_pct(within):>7}"
                    f"{_pct(sat):>8}  {'#' * round(30 * t / peak)}"
                )
        lines.append("(minutes for times; a wait counts in the hour of its call, a rating in the hour it was pressed)")
    elif by.startswith("rank-"):
        lines.append(f"{'rank':<6}{by[len('rank-') :]:<10}{'served':>7}{'rated':>7}{'satisf.':>8}{'/5':>6}{'wait':>7}")
        for r in ranking(report, by[len("rank-") :]):
            lines.append(
                f"{r.rank if r.rank is not None else '-':<6}{str(r.key):<10}{r.served:>7}{r.rated:>7}"
                f"{_pct(r.satisfaction_rate):>8}{_score(r.mean_score_5):>6}{_min(r.wait_mean_s):>7}"
            )
        lines.append(f"(minutes for times; '-': fewer than {MIN_RATED} ratings, not ranked)")
    elif by == "follow-ups":
        for f in report.follow_ups:
            lines.append(
                f"{local_time(report, f.at)[:16].replace('T', ' ')}  {f.label:<8}counter {f.counter:<4}"
                f"clerk {f.clerk or '-':<8}{f.service:<12}{f.level} {LEVEL_NAMES[f.level]}"
            )
        if not report.follow_ups:
            lines.append("No rating of 一般 or 不满意 in this period.")
    elif by == "overall":
        lines += to_csv(report, by).rstrip("\r\n").split("\r\n")
    else:
        head, rows = _dimension(report, by)
        lines.append(
            f"{head[0]:<14}{'taken':>7}{'served':>7}{'no-show':>8}{'rated':>7}{'satisf.':>8}{'/5':>6}"
            f"{'wait':>7}{'p95':>7}{'in tgt':>7}{'service':>8}"
        )
        for key, f in rows:
            if f.issued or f.served or f.no_shows or f.rated or f.wait_mean_s is not None:
                taken = "-" if by in ("counter", "clerk") else f.issued  # tickets are taken at kiosks
                lines.append(
                    f"{str(key[0]):<14}{taken:>7}{f.served:>7}{f.no_shows:>8}{f.rated:>7}"
                    f"{_pct(f.satisfaction_rate):>8}{_score(f.mean_score_5):>6}{_min(f.wait_mean_s):>7}"
                    f"{_min(f.wait_p95_s):>7}{_pct(f.within_target):>7}{_min(f.service_mean_s):>8}"
                )
        lines.append("(minutes for times)")
    if report.follow_ups and by != "follow-ups":
        lines += ["", f"Follow-ups: {len(report.follow_ups)} rating(s) of 一般 or 不满意 (--by follow-ups lists them)"]
    return "\n".join(lines)


def priority_line(report: Report) -> str:
    p = report.priority
    return (
        f"Priority: {p.get('self', 0)} self-declared at the kiosk; {p.get('asked', 0)} asked for staff to "
        f"confirm: {p.get('confirmed', 0)} confirmed, {p.get('refused', 0)} refused"
    )


def _min(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 60:.1f}"


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.0f}%"


def _score(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"
