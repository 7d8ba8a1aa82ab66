"""`hall demo --district N` (`make district-demo`): a district of N halls on this machine.

    hall demo --district [N] [--speed 60] [--duration 5m] [--var var] [--dsn SERVER_DSN]

What runs, each part the real thing:

- the district's PostgreSQL: a fresh database `hall_demo_<8 hex of VAR's path>` (made again at
  each run, so one per demo folder) on the server `--dsn` (or HALL_DISTRICT_DSN) names, else on a
  private cluster under VAR/district/pg; migrated, every hall registered with a role of its own
  (district.pg.add_hall);
- the district broker: a Mosquitto with the password file and ACL of `hall provision
  --district-broker` (one user per hall, each publishing only under its own hall/<id>/…);
- one full hall (examples/hall.toml, "xinhua"): `hall demo` as `make demo` runs it, every device
  a process of its own, its broker carrying the bridge `hall provision --district` writes; and
  `hall ship` beside it, copying its journal to PostgreSQL;
- N−1 halls on the engine alone (no device processes): the simulated day of simulators/day.py
  on the real engine and a real journal, paced by the demo's sped-up clock; each publishes its
  board, alerts and presence to the district broker with its own hall credentials (what its
  bridge would carry), and is shipped by the same `Shipper` that `hall ship` runs;
- the district web (`hall district`), with a one-time admin password printed here.

It stops after `--duration`, when the day is over, or on Ctrl-C, and stops every part it started.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import zoneinfo
from pathlib import Path

import psycopg
from psycopg import sql

from district import pg
from district.ship import Shipper
from hall import config
from hall.mqtt import close_client, make_client, parse_broker_url
from hall_controller import bridge, effects, views
from hall_controller.broker import BrokerError, MosquittoBroker, free_port
from hall_controller.journal import Journal
from protocol import envelope
from simulators import scenario as scenarios
from simulators.crowd import SpedUpClock
from simulators.day import LiveDay, plan_day

log = logging.getLogger("hall.district_demo")

STEP_S = 0.5  # the engine-level halls move on this often (real seconds)
STOP_GRACE_S = 30.0
WEB_PORT = 8090
OTHER_HALLS = [  # id, 中文名, English name
    ("dongcheng", "东城区政务服务中心", "Dongcheng Government Service Centre"),
    ("xicheng", "西城区政务服务中心", "Xicheng Government Service Centre"),
    ("chaoyang", "朝阳区政务服务中心", "Chaoyang Government Service Centre"),
    ("haidian", "海淀区政务服务中心", "Haidian Government Service Centre"),
    ("fengtai", "丰台区政务服务中心", "Fengtai Government Service Centre"),
    ("tongzhou", "通州区政务服务中心", "Tongzhou Government Service Centre"),
    ("shunyi", "顺义区政务服务中心", "Shunyi Government Service Centre"),
    ("changping", "昌平区政务服务中心", "Changping Government Service Centre"),
    ("daxing", "大兴区政务服务中心", "Daxing Government Service Centre"),
    ("fangshan", "房山区政务服务中心", "Fangshan Government Service Centre"),
    ("miyun", "密云区政务服务中心", "Miyun Government Service Centre"),
]


class DistrictDemoError(Exception):
    """The district demo cannot start; one sentence."""


def other_halls(full: config.Hall, count: int) -> list[config.Hall]:
    out = []
    for n in range(count):
        if n < len(OTHER_HALLS):
            hid, zh, en = OTHER_HALLS[n]
        else:
            hid, zh, en = f"hall{n + 2:03d}", f"第{n + 2}政务服务中心", f"Service Centre {n + 2}"
        out.append(dataclasses.replace(full, id=hid, names=config.Names(zh, en)))
    return out


class EngineHall:
    """A hall on the engine alone: its simulated day, paced by the demo's clock, journalled, and
    its board, alerts and presence published to the district broker as its bridge would."""

    def __init__(self, hall: config.Hall, plan, seed: int, journal: Path, district_url: str):
        self.hall = hall
        self.events: list = []
        self.day = LiveDay(hall, plan, seed, self.events.append)
        self.journal = Journal(journal, hall, sync="normal")
        self.client = make_client(district_url, bridge.hall_user(hall.id))
        self.client.will_set(bridge.bridge_state_topic(hall.id), b"0", qos=1, retain=True)
        self.client.on_connect = lambda c, *_: c.publish(bridge.bridge_state_topic(hall.id), b"1", qos=1, retain=True)
        url = parse_broker_url(district_url)
        self.client.connect_async(url.host, url.port, keepalive=30)
        self.client.loop_start()
        self.more = True

    def begin(self) -> None:
        self.day.begin()
        self.client.publish(
            f"hall/{self.hall.id}/controller/state",
            envelope.encode(envelope.make_message("controller.state", {"online": True, "since": envelope.format_ts()})),
            qos=1,
            retain=True,
        )
        self._flush(self.day.plan.start)

    def step(self, now: float) -> None:
        if self.more:
            self.more = self.day.advance(now)
            self._flush(now)

    def _flush(self, now: float) -> None:
        """Journal what happened and publish it, time-stamped on this hall's sped-up clock (the
        district reads the longest wait against the board's own time)."""
        if not self.events:
            return
        events, self.events[:] = list(self.events), []
        self.journal.append(events)
        self.journal.commit()
        for out in effects.announcements(self.hall, events, now):
            if out.topic.endswith("/alerts"):
                self.client.publish(out.topic, envelope.encode(out.message), qos=1)
        board = views.fit_board(views.board(self.day.engine), envelope.MAX_BYTES - 512)
        self.client.publish(
            f"hall/{self.hall.id}/board",
            envelope.encode(envelope.make_message("board.snapshot", board, now=now)),
            qos=1,
            retain=True,
        )

    def close(self) -> None:
        close_client(self.client)
        self.journal.close()


class DistrictDemo:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.var = (args.var / "district").absolute()
        self.stop = threading.Event()
        self.cluster = None
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.threads: list[threading.Thread] = []
        self.halls: list[EngineHall] = []
        self.broker: MosquittoBroker | None = None
        self.web = None

    def say(self, text: str) -> None:
        print(text, flush=True)

    # --- the parts ---------------------------------------------------------------------------

    def database(self) -> str:
        server = self.args.dsn or os.environ.get("HALL_DISTRICT_DSN")
        if not server:
            from district.cluster import ClusterError, PrivateCluster, wait_until_ready

            try:
                self.cluster = PrivateCluster(self.var / "pg")
                self.cluster.start()
                wait_until_ready(self.cluster.dsn())
            except ClusterError as e:
                raise DistrictDemoError(f"no --dsn or HALL_DISTRICT_DSN, and no private PostgreSQL: {e}") from None
            server = self.cluster.dsn()
            self.say(f"PostgreSQL: a private cluster under {self.var / 'pg'} on 127.0.0.1:{self.cluster.port}")
        database = "hall_demo_" + hashlib.sha1(str(self.var).encode()).hexdigest()[:8]
        try:
            with psycopg.connect(server, autocommit=True, connect_timeout=10) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
                for (role,) in admin.execute(
                    "SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (database + "\\_%",)
                ).fetchall():
                    admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        except psycopg.Error as e:
            raise DistrictDemoError(f"cannot make the demo's database: {pg.first_line(e)}") from None
        dsn = psycopg.conninfo.make_conninfo(server, dbname=database)
        with pg.connect(dsn, autocommit=True) as conn:
            pg.migrate(conn)
        return dsn

    def register(self, dsn: str, halls: list[config.Hall], day_start: float) -> dict[str, tuple[str, str]]:
        """Each hall's (role DSN, password). The day's month partition and the next are made here,
        before a dozen shippers start at once: district.make_month called by several shippers at
        the same moment can fail with "relation … already exists" (reported to the data side)."""
        out = {}
        with pg.connect(dsn, autocommit=True) as conn:
            for at in (day_start, day_start + 32 * 86400):
                conn.execute("SELECT district.make_month(%s)", (at,))
            for hall in halls:
                password = pg.add_hall(conn, hall.id, hall)
                out[hall.id] = (psycopg.conninfo.make_conninfo(dsn, user=pg.hall_role(conn, hall.id)), password)
        return out

    def district_broker(self, halls: list[config.Hall]) -> Path:
        port = free_port()
        folder = self.var / "broker"
        bridge.district_files([h.id for h in halls], folder, f"mqtt://127.0.0.1:{port}", rotate=True)
        self.broker = MosquittoBroker(
            port, password_file=folder / "mosquitto" / "passwd", acl_file=folder / "mosquitto" / "acl"
        )
        self.broker.start()
        self.say(
            f"district broker: {self.broker.version()} on 127.0.0.1:{port} "
            f"(one user per hall; ACL in {folder / 'mosquitto' / 'acl'})"
        )
        return folder / "credentials"

    def spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        logs = self.var / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        with open(logs / f"{name}.log", "wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "hall", *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        self.processes.append((name, process))
        return process

    def full_hall(self, hall: config.Hall, credentials: Path, role: tuple[str, str]) -> None:
        district = bridge.read_district(str(credentials / f"{bridge.hall_user(hall.id)}.url"))
        conf = self.var / f"bridge-{hall.id}.conf"
        _write_secret(conf, bridge.bridge_conf(hall.id, district, restart_s=(1, 10)))
        folder = self.var / "halls" / hall.id
        args = self.args
        command = [
            "demo",
            "--config",
            str(args.config.absolute()),
            "--scenario",
            str(args.scenario.absolute()),
            "--var",
            str(folder),
            "--bridge",
            str(conf),
            "--speed",
            str(args.speed),
            "--seed",
            str(args.seed),
        ]
        if args.duration is not None:
            command += ["--duration", f"{args.duration:g}s"]
        self.spawn(f"{hall.id}-demo", command)
        password_file = self.var / f"{hall.id}.pgpass"
        _write_secret(password_file, role[1] + "\n")
        self.spawn(
            f"{hall.id}-ship",
            [
                "ship",
                "--db",
                str(folder / "journal.db"),
                "--dsn",
                role[0],
                "--password-file",
                str(password_file),
                "--log-level",
                "WARNING",
            ],
        )

    def today(self, hall: config.Hall):
        """The scenario's day, played on today's date (the full hall's controller journals at the
        real time, so every hall's figures fall on the same day in the reports)."""
        scenario = scenarios.load(self.args.scenario, hall)
        return dataclasses.replace(scenario, date=dt.datetime.now(zoneinfo.ZoneInfo(hall.timezone)).date())

    def engine_halls(self, halls: list[config.Hall], credentials: Path, roles: dict[str, tuple[str, str]]) -> None:
        for n, hall in enumerate(halls):
            plan = plan_day(hall, self.today(hall))
            url = (credentials / f"{bridge.hall_user(hall.id)}.url").read_text().strip()
            self.halls.append(
                EngineHall(hall, plan, self.args.seed + n + 1, self.var / "halls" / hall.id / "journal.db", url)
            )
        if not self.halls:
            return
        clock = SpedUpClock(self.halls[0].day.plan.start, self.args.speed)
        for hall in self.halls:
            hall.begin()

        def drive() -> None:
            while not self.stop.wait(STEP_S):
                now = clock.now()
                for hall in self.halls:
                    hall.step(now)

        self.threads.append(threading.Thread(target=drive, name="engine-halls", daemon=True))
        for hall in self.halls:
            dsn, password = roles[hall.hall.id]
            shipper = Shipper(hall.journal.path, dsn, password=password)
            self.threads.append(
                threading.Thread(target=shipper.run, args=(self.stop,), name=f"ship-{hall.hall.id}", daemon=True)
            )
        for thread in self.threads:
            thread.start()

    def district_web(self, dsn: str, credentials: Path) -> str:
        from district.web.accounts import Accounts
        from district.web.app import create_app
        from district.web.follow import LiveFeed
        from district.web.site import Site
        from hall_controller.web.server import WebError, WebServer

        accounts = Accounts(dsn)
        password = secrets.token_urlsafe(12)
        accounts.add("admin", "admin", password, by="hall demo")
        feed = LiveFeed((credentials / f"{bridge.WEB_USER}.url").read_text().strip())
        site = Site(dsn, accounts, feed)
        for port in (WEB_PORT, 0):
            try:
                self.web = WebServer(create_app(site), "127.0.0.1", port, on_stop=feed.close)
                self.web.start()
                break
            except WebError:
                self.web = None
        if self.web is None:
            raise DistrictDemoError("the district web could not start")
        return password

    # --- the run ----------------------------------------------------------------------------

    def run(self) -> int:
        args = self.args
        full = config.load(args.config)
        count = max(1, args.district)
        others = other_halls(full, count - 1)
        halls = [full, *others]
        shutil.rmtree(self.var / "halls", ignore_errors=True)
        self.say(
            f"hall demo --district {count}: {full.names.en} in full, {len(others)} halls on the engine alone, "
            f"at {args.speed:g}x; logs in {self.var / 'logs'}"
        )
        dsn = self.database()
        roles = self.register(dsn, halls, plan_day(full, self.today(full)).start)
        credentials = self.district_broker(halls)
        self.full_hall(full, credentials, roles[full.id])
        self.engine_halls(others, credentials, roles)
        password = self.district_web(dsn, credentials)
        self.say("")
        self.say(f"district web: {self.web.url}")
        self.say(f"  log in as admin with the one-time password: {password}")
        self.say(
            f'  (more users: hall district user add NAME --role viewer|supervisor|admin [--hall ID] --dsn "{dsn}")'
        )
        self.say("Ctrl-C stops the district.")
        started = time.monotonic()
        while not self.stop.wait(1.0):
            if args.duration is not None and time.monotonic() - started >= args.duration + 5:
                break
            demo = self.processes[0][1]
            if demo.poll() is not None and all(not h.more for h in self.halls):
                self.say("the day is over in every hall")
                break
            if demo.poll() is not None and demo.returncode not in (0, None) and time.monotonic() - started < 60:
                raise DistrictDemoError(
                    f"the full hall's demo stopped (exit {demo.returncode}); "
                    f"see {self.var / 'logs' / (full.id + '-demo.log')}"
                )
        return 0

    def close(self) -> None:
        self.stop.set()
        for _, process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process in self.processes:
            try:
                process.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop; killed", name)
                process.kill()
                process.wait()
        for thread in self.threads:
            if thread.ident is not None:
                thread.join(10)
        for hall in self.halls:
            hall.close()
        if self.web is not None:
            self.web.stop()
        if self.broker is not None:
            self.broker.close()
        if self.cluster is not None:
            self.cluster.stop()


def _write_secret(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def main(args: argparse.Namespace) -> int:
    if not shutil.which("mosquitto"):
        print("hall demo --district: needs mosquitto for the bridges (apt install mosquitto)", file=sys.stderr)
        return 2
    if args.district < 1:
        print("hall demo --district: a district has at least 1 hall", file=sys.stderr)
        return 2
    demo = DistrictDemo(args)
    (demo.var / "logs").mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        filename=demo.var / "logs" / "district-demo.log",
        level=logging.INFO,
        force=True,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    previous = {sig: signal.signal(sig, lambda *_: demo.stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return demo.run()
    except (
        DistrictDemoError,
        BrokerError,
        pg.DistrictError,
        config.ConfigError,
        scenarios.ScenarioError,
        bridge.BridgeError,
    ) as e:
        print(f"hall demo --district: {e}", file=sys.stderr)
        return 1
    finally:
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        demo.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        demo.say("district demo stopped")
