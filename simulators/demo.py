"""`hall demo` (`make demo`): the whole hall on this machine, with a crowd, in a few seconds.

    hall demo [--config examples/hall.toml] [--scenario examples/scenario.toml] [--speed 60]
              [--duration 2m] [--var var] [--seed 1]

It starts, each as a real separate process, what a hall runs: an MQTT broker (mosquitto when it
is installed, else the embedded one inside this process), the hall controller with its journal
(VAR/journal.db), and every device of the hall file on simulated hardware: the kiosks (tickets
come out of simulated printers as PNGs under VAR/tickets/), the clerks' callers, the evaluators,
and the calling screens (a window for the first hall screen when there is a desktop, else PNG
frames under VAR/screens/). Then the crowd (`simulators.crowd`) plays the scenario's day on them,
`--speed` times faster than real time, and the terminal shows a live summary read from the
controller's journal (`simulators.summary`).

It stops when the day is over, after `--duration`, or on Ctrl-C: the crowd first, then the
devices, the controller and the broker, each asked to stop (SIGTERM) and killed if it does not;
no process and no port is left behind. Then it prints the day's report and where the pictures
are. Each run starts a new day: it clears what the previous demo left in VAR (and refuses to
touch a VAR it did not make).
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from hall import clock as hall_clock
from hall import config
from hall.mqtt import close_client, make_client, parse_broker_url
from hall_controller import reports
from hall_controller.broker import BrokerError, EmbeddedBroker, MosquittoBroker
from hall_controller.engine import events as ev
from hall_controller.journal import JournalError
from protocol import envelope, topics
from simulators import scenario as scenarios
from simulators.crowd import MAX_SPEED, SPEED, ControlKeypads, Crowd, CrowdError, OnHallClock, speed_value
from simulators.day import plan_day
from simulators.summary import CrowdView, HallWatch, Moment, progress_line, report_text, summary_text

log = logging.getLogger("hall.demo")

MARKER = ".hall-demo"  # in VAR: this folder is the demo's to clear
READY_TIMEOUT_S = 90.0  # every device online within this, or the demo says which is not
REFRESH_S = 1.0  # the summary is redrawn this often
QUIET_EVERY_S = 10.0  # without a terminal, a progress line this often instead
STOP_GRACE_S = 6.0  # a process asked to stop has this long before it is killed
OPENING_LEAD_S = 5.0  # real seconds the hall's clock runs before the day's first arrival
OURS = (
    "journal.db",
    "journal.db-wal",
    "journal.db-shm",
    "journal.db.history",
    "tickets",
    "screens",
    "devices",
    "logs",
    "users.db",
    "users.db-wal",
    "users.db-shm",
)
WEB_PORT = 8080  # the management web's port when it is free (else any free port)


class DemoError(Exception):
    """The demo cannot start or went wrong; one sentence for the person at the terminal."""


# --- arguments ------------------------------------------------------------------------------


def duration(text: str) -> float:
    """'90s', '2m', '1h30m', '1m30s' or '90' (seconds) -> seconds."""
    m = re.fullmatch(r"\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*", text)
    if not text.strip() or m is None or not any(m.groups()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 90s, 2m or 1h30m")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in m.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if not 0 < total <= 24 * 3600:
        raise argparse.ArgumentTypeError(f"{text!r}: the duration must be more than 0 and at most 24h")
    return total


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hall demo", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--config", type=Path, default=Path("examples/hall.toml"), help="the hall file (default: %(default)s)"
    )
    p.add_argument(
        "--scenario",
        type=Path,
        default=Path("examples/scenario.toml"),
        help="the day the crowd plays (default: %(default)s)",
    )
    p.add_argument(
        "--speed",
        type=speed_value,
        default=SPEED,
        help=f"simulated seconds per real second, 1-{MAX_SPEED:g} (default {SPEED:g}: a 9-hour day in 9 minutes)",
    )
    p.add_argument(
        "--duration", type=duration, help="stop after this long (90s, 2m, 1h); default: when the day is over"
    )
    p.add_argument(
        "--var", type=Path, default=Path("var"), help="journal, tickets, screens and logs (default: %(default)s)"
    )
    p.add_argument("--seed", type=int, default=1, help="the random day (default 1)")
    p.add_argument(
        "--district",
        type=int,
        nargs="?",
        const=12,
        metavar="N",
        help="a district of N halls (default 12): this hall in full, N-1 halls on the engine alone, "
        "all shipping to PostgreSQL and bridged to one district broker, and the district web "
        "(simulators/district_demo.py)",
    )
    p.add_argument(
        "--dsn",
        help="with --district: a PostgreSQL server to make the demo's database on "
        "(default: HALL_DISTRICT_DSN, else a private cluster under VAR/district/pg)",
    )
    p.add_argument(
        "--bridge",
        type=Path,
        help="append this Mosquitto bridge section to the hall broker's config (written by hall demo --district)",
    )
    return p


# --- the var folder -------------------------------------------------------------------------


@dataclass(frozen=True)
class Places:
    var: Path

    @property
    def journal(self) -> Path:
        return self.var / "journal.db"

    @property
    def tickets(self) -> Path:
        return self.var / "tickets"

    @property
    def screens(self) -> Path:
        return self.var / "screens"

    @property
    def devices(self) -> Path:
        return self.var / "devices"

    @property
    def logs(self) -> Path:
        return self.var / "logs"

    @property
    def users(self) -> Path:
        return self.var / "users.db"


def prepare(var: Path) -> Places:
    """Make VAR ready for a new day: clear what an earlier demo left; refuse a VAR it did not make."""
    var = var.absolute()
    places = Places(var)
    if var.exists() and not var.is_dir():
        raise DemoError(f"--var {var} is a file, not a folder")
    left = [name for name in OURS if (var / name).exists()]
    if left and not (var / MARKER).exists():
        raise DemoError(
            f"{var / left[0]} was not made by hall demo, which would clear it; "
            f"give another folder (--var var/demo) or move it away"
        )
    try:
        var.mkdir(parents=True, exist_ok=True)
        for name in left:
            path = var / name
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        (var / MARKER).write_text(
            "hall demo clears this folder's journal, tickets, screens, devices and logs at every start\n"
        )
        for folder in (places.tickets, places.screens, places.devices, places.logs):
            folder.mkdir()
    except OSError as e:
        raise DemoError(f"cannot use {var}: {e.strerror or e}") from None
    return places


# --- the processes --------------------------------------------------------------------------


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child gets SIGTERM if the demo dies without stopping it (kill -9, a crash)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log_path: Path
    log: IO[bytes]
    reported: bool = False  # its exit has been told


@dataclass
class Children:
    """The demo's processes, each in its own session (Ctrl-C reaches only the demo, which stops
    them in order), with its output in LOGS/NAME.log."""

    logs: Path
    env: dict[str, str]
    started: list[Child] = field(default_factory=list)

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> Child:
        log_path = self.logs / f"{name}.log"
        out = open(log_path, "ab")
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "hall", *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**self.env, **(env or {})},
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        except OSError as e:
            out.close()
            raise DemoError(f"cannot start {name}: {e.strerror or e}") from None
        child = Child(name, process, log_path, out)
        self.started.append(child)
        return child

    def exited(self) -> list[Child]:
        """Children that ended since the last call."""
        out = []
        for child in self.started:
            if not child.reported and child.process.poll() is not None:
                child.reported = True
                out.append(child)
        return out

    def stop(self, names: list[str] | None = None, grace: float = STOP_GRACE_S) -> None:
        """SIGTERM to these (default: all), then SIGKILL to any still running after `grace`."""
        chosen = [c for c in self.started if names is None or c.name in names]
        for child in chosen:
            if child.process.poll() is None:
                _signal(child.process, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for child in chosen:
            try:
                child.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop within %g s; killing it", child.name, grace)
                _signal(child.process, signal.SIGKILL)
                child.process.wait()
            child.log.close()


def _signal(process: subprocess.Popen, sig: int) -> None:
    try:
        process.send_signal(sig)
    except ProcessLookupError:
        pass


def log_tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:])


# --- the journal, read as it grows ---------------------------------------------------------------


class JournalReader:
    """New events of the controller's journal (SQLite, WAL: reading never blocks the controller)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seq = 0
        self._db: sqlite3.Connection | None = None

    def new_events(self) -> list:
        if self._db is None:
            if not self.path.exists():
                return []
            self._db = sqlite3.connect(f"file:{self.path}?mode=rw", uri=True, check_same_thread=False)
            self._db.execute("PRAGMA query_only=1")
        try:
            rows = self._db.execute(
                "SELECT seq, type, body FROM events WHERE seq > ? ORDER BY seq", (self.seq,)
            ).fetchall()
        except sqlite3.OperationalError:
            return []  # the controller is still creating its tables
        if rows:
            self.seq = rows[-1][0]
        return [ev.decode(name, body) for _, name, body in rows]

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


# --- the demo -------------------------------------------------------------------------------


class Demo:
    """One run of the demo: its processes, the journal it watches, and what it tells the terminal."""

    def __init__(self, args: argparse.Namespace, hall: config.Hall, plan, places: Places, out: IO[str]) -> None:
        self.args, self.hall, self.plan, self.places, self.out = args, hall, plan, places, out
        self.stop = threading.Event()
        self.interrupted = False
        self.control = Path(tempfile.mkdtemp(prefix="hall-demo-"))  # short: a socket path has < 108 bytes
        self.window = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        self.windowed: str | None = None  # the screen shown in a window
        env = {k: v for k, v in os.environ.items() if k != "HALL_MQTT_URL"}
        env.update(
            HALL_SIM_DIR=str(self.control),
            PYGAME_HIDE_SUPPORT_PROMPT="1",
            GPIOZERO_PIN_FACTORY="mock",
            PYTHONUNBUFFERED="1",
        )
        self.children = Children(places.logs, env)
        self.since = hall_clock.now() - 1.0  # the period the demo reports on starts here (hall time)
        self.watch = HallWatch(hall, self.since)
        self.journal = JournalReader(places.journal)
        self.notes: list[str] = []
        self.began = time.monotonic()
        self.ran_s = 0.0  # real seconds the crowd ran
        self.ready_s: float | None = None  # start-up: from the command to every device online
        self.first_ticket_s: float | None = None  # from the command to the first ticket printed

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    # -- starting -----------------------------------------------------------------------------

    def start_controller(self, url: str) -> None:
        """The controller, and wait until it is connected (its retained presence says online):
        devices started before it would ask their first questions into the void."""
        self.children.start(
            "controller",
            [
                "controller",
                "--config",
                str(self.args.config.absolute()),
                "--broker",
                url,
                "--db",
                str(self.places.journal),
                "--web",
                f"127.0.0.1:{web_port()}",
                "--users",
                str(self.places.users),
            ],
        )
        online = threading.Event()

        def on_message(client, userdata, message) -> None:
            try:
                said = envelope.decode(message.payload).body.get("online")
            except envelope.ProtocolError:
                return
            if said is True:
                online.set()

        client = make_client(url, f"hall-demo-{os.getpid()}")
        client.on_connect = lambda c, *_: c.subscribe(topics.controller_state(self.hall.id), qos=1)
        client.on_message = on_message
        client.connect_async(*_host_port(url))
        client.loop_start()
        try:
            deadline = time.monotonic() + READY_TIMEOUT_S
            while not online.wait(0.1) and not self.stop.is_set():
                for child in self.children.exited():
                    raise DemoError(
                        f"the controller stopped at start-up (exit {child.process.returncode}): "
                        f"{log_tail(child.log_path) or 'no output'}"
                    )
                if time.monotonic() > deadline:
                    raise DemoError(
                        f"the controller did not connect within {READY_TIMEOUT_S:g} s; "
                        f"see {self.places.logs / 'controller.log'}"
                    )
        finally:
            close_client(client)
        log.info("the controller is online %.2f s after the start", time.monotonic() - self.began)

    def start_devices(self, url: str) -> None:
        hall, places, cfg = self.hall, self.places, str(self.args.config.absolute())
        common = ["--config", cfg, "--broker", url]
        for k in hall.kiosks.values():
            args = [
                "sim",
                "kiosk",
                "--id",
                k.id,
                *common,
                "--out",
                str(places.tickets / k.id),
                "--state-dir",
                str(places.devices / k.id),
            ]
            if k.touch:  # a touch kiosk is pressed through its screen: draw it
                args += ["--png-dir", str(places.screens / k.id)]
            self.children.start(k.id, args)
        for c in hall.callers.values():
            self.children.start(c.id, ["sim", "caller", "--id", c.id, *common, "--control", str(self.control)])
        for e in hall.evaluators.values():
            self.children.start(
                e.id,
                [
                    "sim",
                    "evaluator",
                    "--id",
                    e.id,
                    *common,
                    "--control",
                    str(self.control),
                    "--outbox",
                    str(places.devices / f"{e.id}-outbox.db"),
                    "--voice-cache",
                    str(places.var / "voice-cache"),
                ],
            )
        self.windowed = next((d.id for d in hall.displays.values() if d.mode == "hall"), None) if self.window else None
        for d in hall.displays.values():
            self.start_display(d.id, url, window=d.id == self.windowed)

    def start_display(self, display: str, url: str, *, window: bool) -> None:
        # without a window the screen writes PNG frames and has no sound card: its voice still takes
        # its time on the hall's clock, so the hall hears its calls as on a real day
        where = ["--window"] if window else ["--png-dir", str(self.places.screens / display), "--sound", "silent"]
        # A window on the desktop or nothing: without this SDL would fall back to an invisible
        # off-screen window when the desktop does not answer (a stale DISPLAY over ssh, say).
        desktop = {"SDL_VIDEODRIVER": "wayland,x11" if os.environ.get("WAYLAND_DISPLAY") else "x11"} if window else {}
        self.children.start(
            display,
            [
                "display",
                "--id",
                display,
                "--config",
                str(self.args.config.absolute()),
                "--broker",
                url,
                *where,
                "--voice-cache",
                str(self.places.var / "voice-cache"),
            ],
            env=desktop,
        )

    def wait_ready(self, url: str) -> None:
        """Until every device says it is online (in the journal: the controller heard it) and
        every simulated device's control socket answers. A screen that cannot open its window
        (DISPLAY set, but no desktop answers) is started again writing PNG frames."""
        hall = self.hall
        devices = [*hall.kiosks, *hall.callers, *hall.evaluators, *hall.displays]
        pressable = [*hall.kiosks, *hall.callers, *hall.evaluators]
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self.stop.is_set():
            self.read_journal()
            for child in self.children.exited():
                if child.name == self.windowed:
                    log.warning(
                        "%s could not open a window (%s); it writes PNG frames instead",
                        child.name,
                        log_tail(child.log_path, 1),
                    )
                    self.notes.append(f"{child.name} could not open a window: PNG frames instead")
                    self.windowed = None
                    self.children.started.remove(child)
                    child.log.close()
                    self.start_display(child.name, url, window=False)
                    continue
                raise DemoError(
                    f"{child.name} stopped at start-up (exit {child.process.returncode}): "
                    f"{log_tail(child.log_path) or 'no output'}; see {child.log_path}"
                )
            online = set(self.watch.devices_online())
            missing = [d for d in devices if d not in online] + [
                d for d in pressable if not (self.control / f"{d}.sock").exists()
            ]
            if not missing:
                log.info("every device online %.2f s after the start", time.monotonic() - self.began)
                return
            if time.monotonic() > deadline:
                raise DemoError(
                    f"{missing[0]} did not come online within {READY_TIMEOUT_S:g} s; "
                    f"see {self.places.logs / (missing[0] + '.log')}"
                )
            self.stop.wait(0.1)

    # -- running ------------------------------------------------------------------------------

    def read_journal(self) -> None:
        for event in self.journal.new_events():
            self.watch.take(event)

    def run(self, crowd: Crowd, clock: OnHallClock) -> str:
        """Show the summary until the day is over, the duration has passed, or Ctrl-C; say why it ended."""
        live = self.out.isatty()
        drawn = 0
        quiet_at = time.monotonic() + QUIET_EVERY_S
        started = time.monotonic()
        while True:
            self.read_journal()
            if self.first_ticket_s is None and self.watch.issued:
                self.first_ticket_s = time.monotonic() - self.began
                log.info("first ticket %.1f s after the start", self.first_ticket_s)
            for child in self.children.exited():
                note = f"{child.name} stopped (exit {child.process.returncode}); see {child.log_path}"
                if child.name == "controller":
                    raise DemoError(
                        f"the controller stopped (exit {child.process.returncode}): "
                        f"{log_tail(child.log_path) or 'no output'}"
                    )
                self.notes.append(note)
            self.ran_s = time.monotonic() - started
            moment = Moment(clock.now(), self.plan.start, self.plan.close, self.args.speed, self.ran_s)
            counts, latest, problems = crowd.seen.snapshot()
            view = CrowdView(counts, latest, problems)
            if live:
                width = max(40, min(120, shutil.get_terminal_size((80, 24)).columns - 1))
                text = summary_text(self.watch, moment, view, self.notes, width)
                self.out.write((f"\x1b[{drawn}A\r\x1b[J" if drawn else "") + text + "\n")
                self.out.flush()
                drawn = text.count("\n") + 1
            elif time.monotonic() >= quiet_at:
                self.say(progress_line(self.watch, moment))
                quiet_at += QUIET_EVERY_S
            if self.stop.is_set():
                return "stopped (Ctrl-C)" if self.interrupted else "stopped"
            if self.args.duration is not None and time.monotonic() - started >= self.args.duration:
                return f"stopped after {self.args.duration:g} s"
            if crowd.done:
                return "the day is over"
            self.stop.wait(REFRESH_S)

    def pictures(self) -> list[str]:
        out = []
        for kind, folder in (("tickets", self.places.tickets), ("screens", self.places.screens)):
            for sub in sorted(p for p in folder.iterdir() if p.is_dir()) if folder.exists() else []:
                n = len(list(sub.glob("*.png")))
                if n:
                    hint = " (latest.png is the newest)" if (sub / "latest.png").exists() else ""
                    out.append(f"{kind} {sub.name}: {n} PNG files in {_shown(sub)}{hint}")
        if self.windowed:
            out.append(f"the hall screen {self.windowed} was shown in a window")
        out.append(f"the journal: {_shown(self.places.journal)}; the processes' logs: {_shown(self.places.logs)}")
        return out


def web_port() -> int:
    """8080 when nobody listens there, else a free port the system picks."""
    for port in (WEB_PORT, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise DemoError("no free port for the management web on 127.0.0.1")


def one_time_admin(places: Places) -> str:
    """An admin account for this run of the demo, with a new random password (never a default)."""
    from hall_controller.web.users import UserError, UsersStore

    password = secrets.token_urlsafe(9)
    try:
        UsersStore(places.users).add("admin", "admin", password, by="hall demo")
    except UserError as e:
        raise DemoError(f"cannot make the demo's web account: {e}") from None
    return password


def web_url(log_path: Path) -> str | None:
    """The management web's address, as the controller printed it in its log."""
    try:
        found = re.search(r"^HALL_WEB_URL=(\S+)$", log_path.read_text(errors="replace"), re.M)
    except OSError:
        return None
    return found.group(1) if found else None


def _host_port(url: str) -> tuple[str, int]:
    parsed = parse_broker_url(url)
    return parsed.host, parsed.port


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.district is not None:
        from simulators import district_demo

        return district_demo.main(args)
    out = sys.stdout
    try:
        bridge = args.bridge.read_text() if args.bridge else ""
        if bridge and not shutil.which("mosquitto"):
            raise DemoError("--bridge needs mosquitto (apt install mosquitto)")
        hall = config.load(args.config)
        plan = plan_day(hall, scenarios.load(args.scenario, hall))
        places = prepare(args.var)
    except (config.ConfigError, scenarios.ScenarioError, DemoError) as e:
        print(f"hall demo: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"hall demo: cannot read --bridge {args.bridge}: {e.strerror or e}", file=sys.stderr)
        return 2
    logging.basicConfig(
        filename=places.logs / "demo.log",
        level=logging.INFO,
        force=True,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    # One clock for the whole hall: it opens a few real seconds before the first citizen comes
    # (while the processes start) and runs `--speed` times faster than real time from there
    hall_clock.use(hall_clock.starting_at(plan.start - OPENING_LEAD_S * args.speed, args.speed))
    demo = Demo(args, hall, plan, places, out)

    def on_signal(*_: object) -> None:
        demo.interrupted = True
        demo.stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    broker = MosquittoBroker(extra_config=bridge) if shutil.which("mosquitto") else EmbeddedBroker()
    crowd: Crowd | None = None
    code, why = 0, ""
    try:
        demo.say(
            f"hall demo: {hall.names.en}: {len(hall.kiosks)} kiosks, {len(hall.callers)} callers, "
            f"{len(hall.evaluators)} evaluators, {len(hall.displays)} screens; the day of {plan.date} "
            f"at {args.speed:g}x; logs in {_shown(places.logs)}"
        )
        broker.start()
        demo.say(f"broker: {broker.version()} on {broker.url}")
        password = one_time_admin(places)
        demo.start_controller(broker.url)
        url = web_url(places.logs / "controller.log")
        if url:
            demo.say(f"management web: {url}  (user admin, password {password}: made for this run only)")
        if not demo.stop.is_set():
            demo.start_devices(broker.url)
            demo.wait_ready(broker.url)
        if demo.stop.is_set():
            raise KeyboardInterrupt
        demo.ready_s = time.monotonic() - demo.began
        demo.say(
            f"hall ready {demo.ready_s:.1f} s after start: {len(demo.children.started)} processes and "
            f"the broker; the crowd comes in"
        )
        clock = OnHallClock(hall_clock.current())
        crowd = Crowd(hall, plan, ControlKeypads(demo.control, hall), clock, seed=args.seed, speed=args.speed)
        crowd.start()
        why = demo.run(crowd, clock)
    except KeyboardInterrupt:
        why = "stopped (Ctrl-C) during start-up"
    except (BrokerError, CrowdError, DemoError) as e:
        print(f"hall demo: {e}", file=sys.stderr)
        code = 1
    finally:
        for sig in previous:  # a second Ctrl-C while stopping does not cut the stopping short
            signal.signal(sig, signal.SIG_IGN)
        if crowd is not None:
            crowd.stop(timeout=3.0)
        devices = [c.name for c in demo.children.started if c.name != "controller"]
        demo.children.stop(devices)
        demo.children.stop(["controller"])
        broker.close()
        shutil.rmtree(demo.control, ignore_errors=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    demo.read_journal()
    demo.journal.close()
    if why:
        timing = ""
        if demo.ready_s is not None:
            timing = f" Start-up: every device online {demo.ready_s:.1f} s after the start"
            if demo.first_ticket_s is not None:
                timing += f", the first ticket printed at {demo.first_ticket_s:.1f} s"
            timing += "."
        demo.say(f"\nhall demo {why}.{timing}\n")
    try:
        report = reports.report_from_journal(places.journal, hall, demo.since, hall_clock.now() + 1.0)
    except JournalError as e:
        demo.say(f"no report: {e}")
        return code or 1
    demo.say(report_text(report, args.speed, demo.ran_s, demo.pictures()))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
