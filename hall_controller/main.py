"""`hall controller`: the hall server. Loads the hall, rebuilds the engine from its journal,
connects to the broker (or starts one), serves the management web (--web, on a thread of its
own), and runs until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from hall import clock as hall_clock
from hall import config
from hall.mqtt import (
    ENV_VAR,
    BrokerUrlError,
    add_credentials_argument,
    parse_broker_url,
    redact,
    warn_password_on_command_line,
    with_credentials_file,
)
from hall.notify import Watchdog, notify
from hall_controller.broker import BrokerError, running_broker
from hall_controller.durable import DurableEngine
from hall_controller.gateway import Gateway
from hall_controller.journal import JournalError
from hall_controller.web.server import WebError, parse_listen

log = logging.getLogger("hall.controller")


def legacy_secret(path: Path) -> bytes | None:
    """The key file of ticket links from before the key lived in the journal, if there is one:
    a journal of that time adopts it once, so the QR codes it printed stay valid."""
    try:
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError):
        return None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hall controller", description=__doc__)
    p.add_argument("--config", required=True, type=Path, help="the hall file")
    p.add_argument("--broker", help="mqtt://… or mqtts://… (default: HALL_MQTT_URL, else start one here)")
    add_credentials_argument(p)
    p.add_argument("--db", type=Path, default=Path("var/journal.db"), help="the journal (default: %(default)s)")
    p.add_argument(
        "--secret",
        type=Path,
        help="the old key file of ticket links, adopted once by a journal written before the key "
        "lived in the journal (default: controller.secret next to the journal)",
    )
    p.add_argument(
        "--new-journal",
        action="store_true",
        help="start a genuinely new hall although the hall's history marker says it has a past "
        "(only where the journal is missing or empty; a lost journal is restored, not replaced)",
    )
    p.add_argument(
        "--journal-sync",
        choices=("full", "normal"),
        default="full",
        help="full: each commit reaches the disk before any reply (survives a power cut); "
        "normal: it reaches the operating system (survives a crash, faster). Default: full",
    )
    p.add_argument(
        "--web",
        default="127.0.0.1:8080",
        metavar="HOST:PORT",
        help="where the management web listens, or off (default: %(default)s)",
    )
    p.add_argument(
        "--public-web",
        default="off",
        metavar="HOST:PORT",
        help="a listener of its own for the citizens' ticket pages (the QR codes), with nothing else "
        "on it: put it on the guest network and keep --web on the staff network; the hall "
        "file's ticket_url names it (default: off, the ticket pages only on --web)",
    )
    p.add_argument(
        "--max-streams",
        type=int,
        default=400,
        metavar="N",
        help="live pages (server-sent event streams) the web keeps open at most, staff and citizens "
        "together; each viewer may have 8 (default: %(default)s; keep it well under LimitNOFILE)",
    )
    p.add_argument(
        "--users",
        type=Path,
        default=Path("var/users.db"),
        help="the web's users (add them with `hall user add`; default: %(default)s)",
    )
    p.add_argument(
        "--web-proxy",
        metavar="ADDRESS",
        help="the address of a reverse proxy in front of the web (for TLS): its X-Forwarded-For "
        "and X-Forwarded-Proto headers are believed, nobody else's",
    )
    p.add_argument(
        "--alert-secrets",
        type=Path,
        metavar="FILE",
        help="the URLs of the hall file's alert channels (TOML, chmod 600; docs/alerts.md); "
        "without it alerts are shown on the web only",
    )
    p.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    hall_clock.add_argument(p)
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    hall_clock.apply_argument(args.clock)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s", force=True)
    try:
        listen = parse_listen(args.web)
        public = parse_listen(args.public_web, "--public-web")
        if public is not None and listen is None:
            raise WebError("--public-web needs the management web on too (--web HOST:PORT; it may be 127.0.0.1)")
        if args.max_streams < 1:
            raise WebError(
                f"--max-streams is how many live pages may be open at once: 1 or more, not {args.max_streams}"
            )
    except WebError as e:
        print(f"hall controller: {e}", file=sys.stderr)
        return 2
    try:
        hall = config.load(args.config)
        alert_urls = load_alert_urls(hall, args)  # checked before anything starts
        started = time.perf_counter()
        durable = DurableEngine(hall, args.db, args.journal_sync, new_journal=args.new_journal)
        secret = durable.journal.ensure_token_secret(
            legacy_secret(args.secret or args.db.with_name("controller.secret"))
        )
    except (config.ConfigError, JournalError) as e:
        print(f"hall controller: {e}", file=sys.stderr)
        return 2
    notifier = make_notifier(hall, args.db, alert_urls, secret)
    gc.collect()
    gc.freeze()  # the rebuilt hall is long-lived: keep the collector from walking it again and again
    log.info(
        "hall %s rebuilt from %s in %.2f s (%d events)",
        hall.id,
        args.db,
        time.perf_counter() - started,
        durable.journal.last_seq,
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        broker = args.broker
        if broker and not args.credentials:
            warn_password_on_command_line(parse_broker_url(broker))
        if args.credentials:
            broker = with_credentials_file(broker or os.environ.get(ENV_VAR), args.credentials).geturl()
        with running_broker(broker) as url:
            print(f"HALL_MQTT_URL={redact(url)}", flush=True)  # the password stays out of logs
            gateway = Gateway(
                hall,
                durable,
                url,
                secret=secret,
                live_view=web_view(notifier) if listen else None,
                heartbeat=Watchdog().ping,
            )
            if notifier is not None:
                notifier.on_change = gateway.live_changed
                notifier.start()
            web = start_web(hall, gateway, args, listen, public) if listen else None
            notify("READY=1")  # systemd (Type=notify): rebuilt, serving
            try:
                gateway.serve(stop)
            finally:
                notify("STOPPING=1")
                if web is not None:
                    web.stop()
    except (BrokerUrlError, BrokerError, WebError) as e:
        print(f"hall controller: {e}", file=sys.stderr)
        return 2
    finally:
        if notifier is not None:
            notifier.stop()
        durable.close()
    return 0


def load_alert_urls(hall, args) -> dict[str, str] | None:
    """The alert channels' URLs from --alert-secrets, or None: alerts on the web only."""
    from hall.alerting import load_secrets

    if not hall.alerts.enabled:
        if args.alert_secrets is not None:
            raise config.ConfigError("--alert-secrets is given but the hall file has no [[alerts.rules]]")
        return None
    if args.alert_secrets is None:
        return None  # said once the controller is up (make_notifier): no noise before a refusal
    urls = load_secrets(args.alert_secrets, hall.alerts)
    from hall_controller.alerts import channels

    bad = channels.unusable(urls)
    if bad is not None:
        raise config.ConfigError(
            f"alert secrets file {args.alert_secrets}: channels.{bad} is not a URL apprise can use (see docs/alerts.md)"
        )
    return urls


def make_notifier(hall, db: Path, urls: dict[str, str] | None, secret: bytes):
    """The alert notifier (hall_controller/alerts/), its outbox next to the journal, its reply
    links signed with the controller's key; started once the gateway exists."""
    if urls is None:
        if hall.alerts.enabled:
            log.info("the hall file has alert rules but no --alert-secrets: alerts are shown on the web only")
        return None
    from hall_controller.alerts.notifier import Notifier

    return Notifier(hall, db, db.with_name("alerts.db"), urls, link_secret=secret)


def web_view(notifier=None):
    from hall_controller.web.snapshots import live_hall

    if notifier is None:
        return live_hall
    return lambda engine: {**live_hall(engine), "deliveries": notifier.states}


def start_web(hall, gateway: Gateway, args, listen: tuple[str, int], public: tuple[str, int] | None = None):
    """The management web on its own thread, sharing the gateway (web/ explains how), and the
    citizens' ticket pages on a listener of their own if `public` is given."""
    from hall_controller.web.app import create_app, create_public_app
    from hall_controller.web.feed import StreamLimits
    from hall_controller.web.server import WebServer
    from hall_controller.web.site import Site
    from hall_controller.web.users import UserError, UsersStore

    try:
        users = UsersStore(args.users)
    except UserError as e:
        raise WebError(str(e)) from None
    site = Site(
        hall, gateway, users, args.db, hall_file=Path(args.config), streams=StreamLimits(total=args.max_streams)
    )
    server = WebServer(
        create_app(site),
        *listen,
        on_stop=site.feed.close,
        trusted_proxy=args.web_proxy,
        public=(create_public_app(site), *public) if public else None,
    )
    server.start()
    print(f"HALL_WEB_URL={server.url}", flush=True)
    if public:
        print(f"HALL_PUBLIC_WEB_URL={server.public_url}", flush=True)
    if users.count() == 0:
        log.warning(
            "the management web has no users yet: add one with `hall user add NAME --role admin --users %s`", args.users
        )
    return server
