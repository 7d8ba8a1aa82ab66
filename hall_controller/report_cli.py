"""`hall report`: satisfaction, waiting and staffing figures of a period, read from the journal.

    hall report --config hall.toml --db var/journal.db                        # the whole journal
    hall report --config hall.toml --db var/journal.db --from 2026-03-01 --to 2026-03-07 --by day
    hall report --config hall.toml --db var/journal.db --month 2026-03 --by rank-clerk --csv > march.csv

Dates are local to the hall and whole days (`--to` included); a time after the date makes the
period start or end there, e.g. `--from 2026-12-04T09:00 --to 2026-12-04T11:30` (the end excluded). Without any, the report covers every
day in the journal. `--json` prints the whole report as one JSON object; `--csv` prints the table
chosen with `--by` (default: service); otherwise a summary and that table for a person. The
journal is opened read-only, so this is safe while the controller runs. Bad input: one sentence
on stderr, exit status 2. docs/reports.md defines every figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sqlite3
import sys

from hall import clock as hall_clock
from hall import config
from hall_controller.journal import JournalError, damaged
from hall_controller.reports import TABLES, ReadOnlyJournal, report_from_journal, to_csv, to_json, to_text


class UsageError(Exception):
    """A bad flag or file: the user's to fix; the message is one sentence."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise UsageError(message)


def _date(text: str) -> dt.date | dt.datetime:
    """A local date (a whole day) or a local date and time (an instant), as the hall's clock reads."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return dt.datetime.strptime(text, "%Y-%m-%d").date()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text):
            return dt.datetime.strptime(text.replace(" ", "T"), "%Y-%m-%dT%H:%M")
        raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date as YYYY-MM-DD or a time as YYYY-MM-DDTHH:MM, got {text!r}"
        ) from None


def _month(text: str) -> dt.date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}", text):
            raise ValueError
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a month as YYYY-MM, got {text!r}") from None


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="hall report", description="Satisfaction, waiting and staffing figures from the journal.")
    p.add_argument("--config", required=True, metavar="HALL_TOML", help="the hall file")
    p.add_argument("--db", required=True, metavar="PATH", help="the controller's journal (read only)")
    p.add_argument(
        "--from",
        dest="first",
        type=_date,
        metavar="WHEN",
        help="first day, YYYY-MM-DD, or from a time, YYYY-MM-DDTHH:MM (local)",
    )
    p.add_argument(
        "--to",
        dest="last",
        type=_date,
        metavar="WHEN",
        help="last day, included, or up to a time, YYYY-MM-DDTHH:MM, excluded",
    )
    p.add_argument("--month", type=_month, metavar="YYYY-MM", help="a calendar month (instead of --from/--to)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="the whole report as one JSON object")
    out.add_argument("--csv", action="store_true", help="the --by table as CSV (UTF-8, header row)")
    p.add_argument("--by", choices=TABLES, default="service", help="the table to print (default: service)")
    return p


def main(argv: list[str]) -> int:
    try:
        args = parser().parse_args(argv)
        result = run(args)
    except (UsageError, JournalError, config.ConfigError) as e:
        print(f"hall report: {e}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as e:  # a page damaged in the journal: say so, never a traceback
        print(f"hall report: {damaged(args.db, str(e))}", file=sys.stderr)
        return 2
    sys.stdout.write(result if result.endswith("\n") else result + "\n")
    return 0


def run(args: argparse.Namespace, now: float | None = None) -> str:
    hall = _hall(args.config)
    now = hall_clock.now() if now is None else now
    with ReadOnlyJournal(args.db, hall) as journal:
        span = journal.span()
    start, end = period(args, hall, span, now)
    r = report_from_journal(args.db, hall, start, end, now=now)
    if args.json:
        return json.dumps(to_json(r), ensure_ascii=False, indent=2)
    if args.csv:
        return to_csv(r, args.by)
    return to_text(r, args.by)


def period(
    args: argparse.Namespace, hall: config.Hall, span: tuple[float, float] | None, now: float
) -> tuple[float, float]:
    """The period the flags ask for, as epoch seconds [start, end): whole local days, or from and
    to the local times given."""
    if args.month and (args.first or args.last):
        raise UsageError("give --month or --from/--to, not both")
    if args.month:
        first = args.month
        last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        return _midnight(first, hall), _midnight(last + dt.timedelta(days=1), hall)
    known = span or (now, now)
    first = args.first or _local_date(known[0], hall)
    start = _instant(first, hall) if isinstance(first, dt.datetime) else _midnight(first, hall)
    last = args.last or max(_local_date(known[1], hall), _day(first))
    end = _instant(last, hall) if isinstance(last, dt.datetime) else _midnight(last + dt.timedelta(days=1), hall)
    if start >= end:
        word = "is not before" if isinstance(first, dt.datetime) or isinstance(last, dt.datetime) else "is after"
        raise UsageError(f"--from {first.isoformat()} {word} --to {last.isoformat()}")
    return start, end


def _day(when: dt.date | dt.datetime) -> dt.date:
    return when.date() if isinstance(when, dt.datetime) else when


def _instant(when: dt.datetime, hall: config.Hall) -> float:
    return when.replace(tzinfo=hall.tz).timestamp()


def _local_date(at: float, hall: config.Hall) -> dt.date:
    return dt.datetime.fromtimestamp(at, hall.tz).date()


def _midnight(day: dt.date, hall: config.Hall) -> float:
    return dt.datetime.combine(day, dt.time(0), tzinfo=hall.tz).timestamp()


def _hall(path: str) -> config.Hall:
    try:
        return config.load(path)
    except config.ConfigError as e:
        raise UsageError(str(e) if path in str(e) else f"{path}: {e}") from None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
