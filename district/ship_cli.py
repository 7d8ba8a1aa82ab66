"""`hall ship`: copy this hall's journal to the district's PostgreSQL, beside the controller.

    hall ship --db var/journal.db --dsn "host=district.example port=5432 dbname=district user=…_hall_a01"
    hall ship --db var/journal.db --status

The password is never on the command line: give it in a file readable by its owner only
(--password-file, mode 0600), or with libpq's own PGPASSWORD / PGPASSFILE (~/.pgpass).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import stat
import sys
import threading
import time
from pathlib import Path

import psycopg

from district.ship import BATCH, Shipper, read_status, status_path
from hall import clock as hall_clock

STALE_S = 30.0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hall ship", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--db", type=Path, default=Path("var/journal.db"), help="the hall's journal (default: %(default)s)")
    p.add_argument(
        "--dsn", help="the district database, libpq style, without the password (default: HALL_DISTRICT_DSN)"
    )
    p.add_argument("--password-file", type=Path, help="a file (mode 0600) holding the hall role's password")
    p.add_argument("--batch", type=int, default=BATCH, help="events per transaction (default: %(default)s)")
    p.add_argument("--status", action="store_true", help="print how far the district copy is, and exit")
    p.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    return p


def read_password(path: Path) -> str:
    """The password in `path`; ValueError (one sentence) if others may read the file."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ValueError(f"cannot read the password file {path}: {e.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ValueError(f"the password file {path} may be read by others: chmod 600 {path}")
    if not text:
        raise ValueError(f"the password file {path} is empty")
    return text


def print_status(journal: Path, now: float) -> int:
    status = read_status(status_path(journal))
    if status is None:
        print(f"no shipping status beside {journal}: `hall ship` has not run for this journal")
        return 1
    line = status.text
    if now - status.updated > STALE_S:
        when = time.strftime("%H:%M:%S", time.localtime(status.updated))
        line += f" (as of {when}: is `hall ship` running?)"
    print(line)
    return 0


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if args.status:
        return print_status(args.db, hall_clock.now())
    dsn = args.dsn or os.environ.get("HALL_DISTRICT_DSN")
    if not dsn:
        print("hall ship: give the district database with --dsn or HALL_DISTRICT_DSN", file=sys.stderr)
        return 2
    try:
        if "password" in psycopg.conninfo.conninfo_to_dict(dsn) and args.dsn:
            print(
                "hall ship: a password on the command line is visible to every user of this machine: "
                "put it in a 0600 file (--password-file) or in PGPASSFILE",
                file=sys.stderr,
            )
            return 2
        password = read_password(args.password_file) if args.password_file else None
    except (psycopg.ProgrammingError, ValueError) as e:
        print(f"hall ship: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    if args.batch < 1:
        print("hall ship: --batch must be at least 1", file=sys.stderr)
        return 2
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s", force=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return Shipper(args.db, dsn, password=password, batch=args.batch).run(stop)
