"""`hall user`: the people who may log in to the management web.

    hall user add NAME --role viewer|supervisor|admin    password asked twice on the terminal
    hall user add NAME --role admin --password-file F    or read from the first line of a file (scripts)
    hall user list
    hall user passwd NAME [--password-file F]
    hall user remove NAME

Every command takes --users PATH (default var/users.db, as `hall controller --users`). There is
no default account: the first admin is added here, on the controller's machine. Changes are
recorded in the store's audit table as done by "cli:<login name>". A running controller sees
them at the next request (a removed user's sessions end then).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import sys
from pathlib import Path

from hall_controller.web.users import ROLES, UserError, UsersStore, check_name


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hall user", description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=Path, default=Path("var/users.db"), help="the users file (default: %(default)s)")
    sub = p.add_subparsers(dest="action", required=True, metavar="add|list|passwd|remove")
    add = sub.add_parser("add", help="add a user")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--password-file", type=Path, help="read the password from the first line of this file")
    sub.add_parser("list", help="list the users")
    passwd = sub.add_parser("passwd", help="set a user's password")
    passwd.add_argument("name")
    passwd.add_argument("--password-file", type=Path, help="read the password from the first line of this file")
    remove = sub.add_parser("remove", help="remove a user")
    remove.add_argument("name")
    for sp in (add, passwd, remove):
        sp.add_argument("--users", type=Path, default=argparse.SUPPRESS, help="the users file")
    sub.choices["list"].add_argument("--users", type=Path, default=argparse.SUPPRESS, help="the users file")
    return p


class PasswordError(ValueError):
    """The password could not be read or the two entries differ."""


def read_password(path: Path | None) -> str:
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise PasswordError(f"cannot read the password file {path}: {getattr(e, 'strerror', None) or e}") from None
        lines = text.splitlines()
        return lines[0] if lines else ""
    if not sys.stdin.isatty():
        raise PasswordError("no terminal to ask the password on: use --password-file")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise PasswordError("the two passwords differ")
    return first


def who() -> str:
    try:
        return "cli:" + getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (a container): still say it was the command line
        return "cli:" + str(os.getuid())


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        store = UsersStore(args.users)
        if args.action == "add":
            check_name(args.name)
            if store.get(args.name) is not None:
                raise UserError(f"there is already a user {args.name!r}")
            user = store.add(args.name, args.role, read_password(args.password_file), by=who())
            print(f"added {user.name} ({user.role})")
        elif args.action == "list":
            users = store.users()
            if not users:
                print(f"no users in {args.users}: add one with `hall user add NAME --role admin`")
            for user in users:
                added = dt.datetime.fromtimestamp(user.created_at).strftime("%Y-%m-%d %H:%M")
                print(f"{user.name:<24} {user.role:<11} added {added}")
        elif args.action == "passwd":
            if store.get(args.name) is None:
                raise UserError(f"there is no user {args.name!r}")
            store.set_password(args.name, read_password(args.password_file), by=who())
            print(f"new password set for {args.name}")
        elif args.action == "remove":
            store.remove(args.name, by=who())
            print(f"removed {args.name}")
    except (UserError, PasswordError) as e:
        print(f"hall user: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
