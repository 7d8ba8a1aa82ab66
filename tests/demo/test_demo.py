"""`hall demo`: its arguments and its folder, and the whole hall run end to end in real processes
(headless), stopped by --duration and by Ctrl-C, leaving no process and no open port behind."""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from simulators import demo

ROOT = Path(__file__).resolve().parents[2]


# --- arguments and the var folder ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text, seconds",
    [("90s", 90), ("2m", 120), ("1h30m", 5400), ("1m30s", 90), ("90", 90), ("1.5s", 1.5), (" 3m ", 180)],
)
def test_a_duration_is_read_in_hours_minutes_and_seconds(text, seconds):
    assert demo.duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "0", "0s", "25h", "-5s", "2x", "m"])
def test_a_duration_that_is_not_one_is_refused_in_one_sentence(text):
    with pytest.raises(argparse.ArgumentTypeError, match="duration"):
        demo.duration(text)


def test_a_new_var_folder_is_made_and_marked_as_the_demos(tmp_path):
    places = demo.prepare(tmp_path / "var")
    assert (tmp_path / "var" / demo.MARKER).is_file()
    assert all(p.is_dir() for p in (places.tickets, places.screens, places.devices, places.logs))


def test_each_run_starts_a_new_day_clearing_what_the_last_demo_left(tmp_path):
    places = demo.prepare(tmp_path / "var")
    places.journal.write_bytes(b"yesterday")
    (places.tickets / "K1").mkdir()
    (places.tickets / "K1" / "ticket-0001.png").write_bytes(b"png")
    (tmp_path / "var" / "controller.secret").write_text("kept")
    demo.prepare(tmp_path / "var")
    assert not places.journal.exists() and list(places.tickets.iterdir()) == []
    assert (tmp_path / "var" / "controller.secret").read_text() == "kept"


def test_a_journal_the_demo_did_not_make_is_never_touched(tmp_path, capsys):
    var = tmp_path / "var"
    var.mkdir()
    (var / "journal.db").write_bytes(b"a real hall's day")
    with pytest.raises(demo.DemoError, match="was not made by hall demo"):
        demo.prepare(var)
    assert (
        demo.main(
            [
                "--var",
                str(var),
                "--config",
                str(ROOT / "examples" / "hall.toml"),
                "--scenario",
                str(ROOT / "examples" / "scenario.toml"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("hall demo: ") and err.count("\n") == 1 and "--var" in err
    assert (var / "journal.db").read_bytes() == b"a real hall's day" and not (var / demo.MARKER).exists()


@pytest.mark.parametrize(
    "flag, value, words",
    [("--config", "no-such-hall.toml", "no-such-hall.toml"), ("--scenario", "no-such-day.toml", "no-such-day.toml")],
)
def test_a_missing_file_stops_the_demo_before_anything_starts(tmp_path, capsys, flag, value, words):
    args = [
        "--config",
        str(ROOT / "examples" / "hall.toml"),
        "--scenario",
        str(ROOT / "examples" / "scenario.toml"),
        "--var",
        str(tmp_path / "var"),
        flag,
        str(tmp_path / value),
    ]
    assert demo.main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("hall demo: ") and words in err and err.count("\n") == 1
    assert not (tmp_path / "var").exists()


def test_a_speed_out_of_range_is_refused(capsys):
    with pytest.raises(SystemExit) as stopped:
        demo.main(["--speed", "5000"])
    assert stopped.value.code == 2 and "--speed" in capsys.readouterr().err


# --- the whole hall, end to end --------------------------------------------------------------------


def _proc_stat(pid: int) -> tuple[int, int, str] | None:
    """(parent pid, start time in clock ticks, state) of a process, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[19]), fields[0]


class Family:
    """Every process descended from `root` while it runs, seen by scanning /proc (no psutil)."""

    def __init__(self, root: subprocess.Popen) -> None:
        self.root = root
        self.seen: dict[int, int] = {}  # pid -> start time (tells a reused pid apart)
        self.names: dict[int, str] = {}
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while self.root.poll() is None:
            parents = {}
            for entry in Path("/proc").iterdir():
                if entry.name.isdigit() and (stat := _proc_stat(int(entry.name))) is not None:
                    parents[int(entry.name)] = stat
            ours = {self.root.pid}
            grew = True
            while grew:
                grew = False
                for pid, (ppid, _, _) in parents.items():
                    if ppid in ours and pid not in ours:
                        ours.add(pid)
                        grew = True
            for pid in ours - {self.root.pid}:
                if pid not in self.seen:
                    self.seen[pid] = parents[pid][1]
                    try:
                        self.names[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                    except OSError:
                        self.names[pid] = "?"
            time.sleep(0.3)

    def left_behind(self) -> list[str]:
        self._thread.join(5)
        alive = []
        for pid, start in self.seen.items():
            stat = _proc_stat(pid)
            if stat is not None and stat[1] == start and stat[2] != "Z":
                alive.append(f"{pid} {self.names[pid]}")
        return alive


def start_demo(var: Path, *args: str) -> tuple[subprocess.Popen, Family]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "HALL_MQTT_URL")}
    process = subprocess.Popen(
        [sys.executable, "-m", "simulators.demo", "--var", str(var), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, Family(process)


def broker_port(out: str) -> int:
    return int(re.search(r"on mqtt://127\.0\.0\.1:(\d+)", out).group(1))


def refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def journal_counts(path: Path) -> dict[str, int]:
    db = sqlite3.connect(path)
    try:
        return dict(db.execute("SELECT type, count(*) FROM events GROUP BY type"))
    finally:
        db.close()


@pytest.mark.slow
def test_the_demo_runs_the_hall_for_its_duration_then_reports_and_leaves_nothing_behind(tmp_path):
    var = tmp_path / "var"
    process, family = start_demo(var, "--duration", "25s", "--seed", "2")
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err
    assert family.left_behind() == []
    assert len(family.seen) >= 27  # broker, controller, 2 kiosks, 10 + 10 keypads, 3 screens
    assert refuses(broker_port(out))

    # tickets came out of the printers as readable pictures
    tickets = sorted(var.glob("tickets/K*/ticket-*.png"))
    events = journal_counts(var / "journal.db")
    assert tickets and events.get("TicketPrinted", 0) <= len(tickets) <= events["TicketReserved"]
    for path in tickets[:5]:
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            assert image.width in (384, 576) and image.height > image.width
    # calls were made and shown; ratings counted
    assert events.get("TicketCalled", 0) >= 3 and events.get("ServiceStarted", 0) >= 1
    assert events.get("RatingRecorded", 0) >= 1
    frames = sorted((var / "screens" / "D1").glob("frame-*.png"))
    assert len(frames) >= 2
    with Image.open(var / "screens" / "D1" / "latest.png") as image:
        assert image.size == (1920, 1080)
    # the report and where the pictures are
    assert "hall demo stopped after 25 s." in out
    assert re.search(rf"Tickets: {events['TicketReserved']} taken", out)
    assert "Ratings: " in out and "tickets K1:" in out and "screens D1:" in out
    assert "Traceback" not in err + out


@pytest.mark.slow
def test_ctrl_c_stops_every_process_and_frees_the_port(tmp_path):
    var = tmp_path / "var"
    process, family = start_demo(var, "--speed", "120")
    deadline = time.monotonic() + 90
    while not list(var.glob("tickets/K*/ticket-*.png")) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    assert process.poll() is None, process.stderr.read()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "hall demo stopped (Ctrl-C)." in out and "Tickets: " in out
    assert family.left_behind() == []
    assert refuses(broker_port(out))
    assert "Traceback" not in err + out


@pytest.mark.slow
def test_the_demo_runs_the_hall_on_the_crowds_clock_so_its_alerts_agree_with_the_simulated_day(tmp_path):
    """Controller, devices and crowd on one clock at 60x: two hours of the example day raise the
    wait-past-target alerts `hall simulate` raises for the same seed (service by service, in
    number), and no long-service alert for a service that has only just begun."""
    import collections
    import json

    from hall import config
    from hall_controller.engine import events as ev
    from simulators import day, scenario

    var = tmp_path / "var"
    process, family = start_demo(var, "--duration", "120s", "--seed", "1")
    out, err = process.communicate(timeout=400)
    assert process.returncode == 0, err
    assert re.search(
        r"management web: http://127\.0\.0\.1:\d+ +\(user admin, password \S+: made for this run only\)", out
    )
    db = sqlite3.connect(var / "journal.db")
    try:
        end = db.execute("SELECT max(at) FROM events WHERE type = 'TicketCalled'").fetchone()[0]
        raised = [json.loads(body) for (body,) in db.execute("SELECT body FROM events WHERE type = 'AlertRaised'")]
    finally:
        db.close()
    demo_waits = collections.Counter(a[3] for a in raised if a[2] == "wait_over_target")

    hall = config.load(ROOT / "examples" / "hall.toml")
    plan = day.plan_day(hall, scenario.load(ROOT / "examples" / "scenario.toml", hall))
    assert end - plan.start > 3600, "the demo's hall clock ran at its speed: more than an hour of the day passed"
    events: list = []
    day.simulate(hall, plan, seed=1, on_event=events.append)
    simulated_waits = collections.Counter(
        e.subject for e in events if isinstance(e, ev.AlertRaised) and e.kind == "wait_over_target" and e.at <= end
    )
    assert simulated_waits, "the example day's morning has waits past target"
    assert {s for s, n in simulated_waits.items() if n >= 2} <= set(demo_waits)
    total_demo, total_simulated = sum(demo_waits.values()), sum(simulated_waits.values())
    assert total_simulated / 2 <= total_demo <= total_simulated * 2, (demo_waits, simulated_waits)
    assert not [a for a in raised if a[2] == "long_service" and " 0 minutes" in a[4]]
    assert family.left_behind() == []
