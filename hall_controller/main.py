"""`hall controller`: the hall server. Loads the hall, rebuilds the engine from its journal,
connects to the broker (or starts one), and serves until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import secrets
import signal
import sys
import threading
import time
from pathlib import Path

from hall import config
from hall.mqtt import BrokerUrlError
from hall_controller.broker import BrokerError, running_broker
from hall_controller.durable import DurableEngine
from hall_controller.gateway import Gateway
from hall_controller.journal import JournalError

log = logging.getLogger("hall.controller")


def load_secret(path: Path) -> bytes:
    """The key of the ticket status links: made once (0600), kept, so printed QR codes stay valid."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    return bytes.fromhex(path.read_text().strip())


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hall controller", description=__doc__)
    p.add_argument("--config", required=True, type=Path, help="the hall file")
    p.add_argument("--broker", help="mqtt://… or mqtts://… (default: HALL_MQTT_URL, else start one here)")
    p.add_argument("--db", type=Path, default=Path("var/journal.db"), help="the journal (default: %(default)s)")
    p.add_argument("--secret", type=Path, help="key file for ticket links (default: next to the journal)")
    p.add_argument("--journal-sync", choices=("full", "normal"), default="full",
                   help="full: each commit reaches the disk before any reply (survives a power cut); "
                        "normal: it reaches the operating system (survives a crash, faster). Default: full")
    p.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s", force=True)
    try:
        hall = config.load(args.config)
        started = time.perf_counter()
        durable = DurableEngine(hall, args.db, args.journal_sync)
        secret = load_secret(args.secret or args.db.with_name("controller.secret"))
    except (config.ConfigError, JournalError) as e:
        print(f"hall controller: {e}", file=sys.stderr)
        return 2
    gc.collect()
    gc.freeze()  # the rebuilt hall is long-lived: keep the collector from walking it again and again
    log.info("hall %s rebuilt from %s in %.2f s (%d events)", hall.id, args.db, time.perf_counter() - started,
             durable.journal.last_seq)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        with running_broker(args.broker) as url:
            print(f"HALL_MQTT_URL={url}", flush=True)
            Gateway(hall, durable, url, secret=secret).serve(stop)
    except (BrokerUrlError, BrokerError) as e:
        print(f"hall controller: {e}", file=sys.stderr)
        return 2
    finally:
        durable.close()
    return 0
