"""`hall district`: the district web, its users, and (from the data side) the database's commands.

    hall district [--dsn DSN] [--broker URL|FILE] [--listen 127.0.0.1:8090]
    hall district user add NAME --role viewer|supervisor|admin [--hall ID] [--password-file F]
    hall district user list | passwd NAME | remove NAME
    hall district [--dsn DSN] migrate | add-hall ID --config hall.toml     (district/admin_cli.py)

The database: `--dsn`, else HALL_DISTRICT_DSN, else (with PostgreSQL's initdb/pg_ctl installed) a
private cluster under var/district/pg on a free loopback port, started here and said so. The
schema is migrated at start (district.pg.migrate). The district broker: `--broker` (a URL, or the
`district-web.url` file `hall provision --district-broker` wrote, which holds the password), else
HALL_DISTRICT_MQTT_URL, else a Mosquitto spawned on loopback for a bench or a demo.
There is no default account: `hall district user add NAME --role admin` on this machine, or
`--first-admin NAME`, which makes that admin with a random password shown once, only when the
district has no user at all (the demo does this).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from district import pg
from district.web.accounts import Accounts, UserError
from hall.mqtt import BrokerUrlError, parse_broker_url
from hall_controller.users_cli import PasswordError, read_password, who
from hall_controller.web.server import WebError, WebServer, parse_listen
from hall_controller.web.users import ROLES

DSN_ENV = "HALL_DISTRICT_DSN"
BROKER_ENV = "HALL_DISTRICT_MQTT_URL"
DEFAULT_DATA = Path("var/district")


class StartError(RuntimeError):
    """The district web cannot start; one sentence."""


@contextlib.contextmanager
def database(dsn: str | None, data_dir: Path, say) -> Iterator[str]:
    """The DSN to use: given, from the environment, or a private cluster started here."""
    dsn = dsn or os.environ.get(DSN_ENV) or None
    if dsn:
        yield dsn
        return
    from district.cluster import ClusterError, PrivateCluster, wait_until_ready

    try:
        cluster = PrivateCluster(data_dir / "pg")
        cluster.start()
    except ClusterError as e:
        raise StartError(f"no --dsn or {DSN_ENV}, and no private PostgreSQL: {e}") from None
    try:
        wait_until_ready(cluster.dsn("postgres"))
        import psycopg

        with psycopg.connect(cluster.dsn("postgres"), autocommit=True) as admin:
            if not admin.execute("SELECT 1 FROM pg_database WHERE datname = 'district'").fetchone():
                admin.execute("CREATE DATABASE district")
        say(
            f"hall district: no --dsn given: started a private PostgreSQL under {data_dir / 'pg'} "
            f"on 127.0.0.1:{cluster.port} (database district)"
        )
        yield cluster.dsn("district")
    finally:
        cluster.stop()


@contextlib.contextmanager
def district_broker(arg: str | None, say) -> Iterator[str]:
    text = arg or os.environ.get(BROKER_ENV) or None
    if text and "://" not in text:
        try:
            text = Path(text).read_text().strip()
        except OSError as e:
            raise StartError(f"--broker {arg!r}: cannot read the credentials file ({e.strerror or e})") from None
    if text:
        try:
            parse_broker_url(text)
        except BrokerUrlError as e:
            raise StartError(f"the district broker: {e}") from None
        yield text
        return
    from hall_controller.broker import BrokerError, running_broker

    try:
        with running_broker(environ={}) as url:
            say(f"hall district: no --broker given: started a district broker at {url} (loopback, anonymous)")
            yield url
    except BrokerError as e:
        raise StartError(str(e)) from None


def serve(args: argparse.Namespace) -> int:
    from district.web.app import create_app
    from district.web.follow import LiveFeed
    from district.web.site import Site

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        listen = parse_listen(args.listen)
    except WebError:
        listen = None
    if listen is None:
        raise StartError(f"--listen {args.listen!r} is not HOST:PORT")
    with contextlib.ExitStack() as stack:
        dsn = stack.enter_context(database(args.dsn, args.data, say))
        try:
            with pg.connect(dsn, autocommit=True) as conn:
                pg.migrate(conn)
        except pg.DistrictError as e:
            raise StartError(str(e)) from None
        accounts = Accounts(dsn)
        if args.first_admin and accounts.count() == 0:
            password = secrets.token_urlsafe(12)
            accounts.add(args.first_admin, "admin", password, by=who())
            print(f"district web: first admin {args.first_admin!r}, one-time password: {password}", flush=True)
            print("  (shown only now; change it with `hall district user passwd`)", flush=True)
        broker = stack.enter_context(district_broker(args.broker, say))
        site = Site(dsn, accounts, LiveFeed(broker))
        stop = threading.Event()
        server = WebServer(create_app(site), listen[0], listen[1], on_stop=site.feed.close)
        try:
            server.start()
        except WebError as e:
            raise StartError(str(e)) from None
        stack.callback(server.stop)
        print(f"district web: {server.url}", flush=True)
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            stop.wait()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    return 0


def users(args: argparse.Namespace) -> int:
    dsn = args.dsn or os.environ.get(DSN_ENV)
    if not dsn:
        raise StartError(f"say which district database: --dsn or {DSN_ENV}")
    try:
        with pg.connect(dsn, autocommit=True) as conn:
            pg.migrate(conn)
    except pg.DistrictError as e:
        raise StartError(str(e)) from None
    store = Accounts(dsn)
    if args.action == "add":
        if store.get(args.name) is not None:
            raise UserError(f"there is already a user {args.name!r}")
        user = store.add(args.name, args.role, read_password(args.password_file), hall=args.hall, by=who())
        print(f"added {user.name} ({user.role} of {user.scope})")
    elif args.action == "list":
        found = store.users()
        if not found:
            print("no users yet: add one with `hall district user add NAME --role admin`")
        for user in found:
            print(f"{user.name:<24} {user.role:<11} {user.scope}")
    elif args.action == "passwd":
        store.set_password(args.name, read_password(args.password_file), by=who())
        print(f"new password set for {args.name}")
    elif args.action == "remove":
        store.remove(args.name, by=who())
        print(f"removed {args.name}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hall district",
        description=__doc__.split("\n\n")[0],
        epilog="The database's own commands: hall district [--dsn DSN] migrate | "
        "add-hall ID --config hall.toml (see docs/district.md).",
    )
    p.add_argument("--dsn", help=f"the district's PostgreSQL (default: {DSN_ENV}, else a private cluster)")
    p.add_argument(
        "--broker", help=f"the district broker: URL or credentials file (default: {BROKER_ENV}, else spawn one)"
    )
    p.add_argument("--listen", default="127.0.0.1:8090", help="address of the web (default: %(default)s)")
    p.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="where a private PostgreSQL lives (default: %(default)s)"
    )
    p.add_argument("--first-admin", metavar="NAME", help="with no user at all: make NAME admin, password shown once")
    sub = p.add_subparsers(dest="command")
    user = sub.add_parser("user", help="the district web's users")
    user.add_argument("--dsn", default=argparse.SUPPRESS, help="the district's PostgreSQL")
    actions = user.add_subparsers(dest="action", required=True, metavar="add|list|passwd|remove")
    add = actions.add_parser("add", help="add a user")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--hall", help="only this hall (a hall's viewer or supervisor); default: every hall")
    add.add_argument("--password-file", type=Path, help="read the password from the first line of this file")
    actions.add_parser("list", help="list the users")
    passwd = actions.add_parser("passwd", help="set a user's password")
    passwd.add_argument("name")
    passwd.add_argument("--password-file", type=Path, help="read the password from the first line of this file")
    remove = actions.add_parser("remove", help="remove a user")
    remove.add_argument("name")
    for action in actions.choices.values():
        action.add_argument("--dsn", default=argparse.SUPPRESS, help="the district's PostgreSQL")
    return p


ADMIN_COMMANDS = ("migrate", "add-hall")


def main(argv: list[str]) -> int:
    words = [a for a in argv if not a.startswith("-")]
    if words and words[0] in ADMIN_COMMANDS or (len(words) > 1 and words[1] in ADMIN_COMMANDS and argv[0] == "--dsn"):
        from district import admin_cli  # the database's own commands, from the data side

        return admin_cli.main(argv)
    try:
        args = parser().parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    try:
        return users(args) if args.command == "user" else serve(args)
    except (StartError, UserError, PasswordError, pg.DistrictError, WebError) as e:
        print(f"hall district: {e}", file=sys.stderr)
        return 2
