"""The district administrator's commands on the database: migrate it, add a hall.

    migrate                          apply the schema's migrations (idempotent)
    add-hall ID --config hall.toml   register a hall and make its PostgreSQL role; prints the role
                                     and its new password once (or writes it to --password-file,
                                     mode 0600), to give to that hall's `hall ship`

Meant to be reached as `hall district migrate|add-hall …` (the `hall district` command
dispatches here); `main(argv)` takes the words after `hall district`. The DSN (--dsn or
HALL_DISTRICT_DSN) is the district's own administrator's, never a hall's.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import psycopg

from district import pg
from hall import config


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hall district", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--dsn", help="the district database, libpq style (default: HALL_DISTRICT_DSN)")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply the schema's migrations")
    add = sub.add_parser("add-hall", help="register a hall and make its role (prints its password once)")
    add.add_argument("hall_id", metavar="ID")
    add.add_argument("--config", type=Path, required=True, help="the hall's file (time zone, services, targets)")
    add.add_argument("--password-file", type=Path, help="write the password here (0600) instead of printing it")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    dsn = args.dsn or os.environ.get("HALL_DISTRICT_DSN")
    if not dsn:
        print("hall district: give the district database with --dsn or HALL_DISTRICT_DSN", file=sys.stderr)
        return 2
    try:
        hall = config.load(args.config) if args.command == "add-hall" else None
        with pg.connect(dsn) as conn:
            if args.command == "migrate":
                applied = pg.migrate(conn)
                print(
                    f"district schema at version {pg.schema_version(conn)}"
                    + (f" (applied {', '.join(map(str, applied))})" if applied else " (nothing to do)")
                )
                return 0
            pg.migrate(conn)
            password = pg.add_hall(conn, args.hall_id, hall)
            role = pg.hall_role(conn, args.hall_id)
            conn.commit()
    except (config.ConfigError, pg.DistrictError) as e:
        print(f"hall district: {e}", file=sys.stderr)
        return 2
    except psycopg.Error as e:
        print(f"hall district: the district database failed: {pg.first_line(e)}", file=sys.stderr)
        return 2
    if args.password_file:
        fd = os.open(args.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(password + "\n")
        os.chmod(args.password_file, 0o600)
        print(f"hall {args.hall_id}: role {role}; its password is in {args.password_file}")
    else:
        print(
            f"hall {args.hall_id}: role {role}, password {password}  (shown once: give it to the hall's "
            "`hall ship` in a 0600 file)"
        )
    return 0


if __name__ == "__main__":  # until `hall district` dispatches here: python -m district.admin_cli …
    sys.exit(main(sys.argv[1:]))
