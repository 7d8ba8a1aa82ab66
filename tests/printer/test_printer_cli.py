"""`hall sim printer` as a technician runs it: a real process, real socket and pty, Ctrl-C."""

from __future__ import annotations

import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PIL import Image

from devices.kiosk.ticket import render_ticket
from drivers.printer import PaperOut, open_printer
from drivers.printer.twin import SimulatedPrinter
from simulators.printer_cli import apply_command, main

ROOT = Path(__file__).resolve().parents[2]
RUN = "import sys; from simulators.printer_cli import main; sys.exit(main(sys.argv[1:]))"


class Simulator:
    """The simulator as a child process; its output lines are read on a thread, so a test
    waiting for a line that never comes fails after a while instead of hanging."""

    def __init__(self, *args: str):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", RUN, *args],
            cwd=ROOT,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)

    def read_until(self, pattern: str, timeout: float = 30) -> re.Match:
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {pattern!r} in {''.join(self.seen)!r}") from None
            self.seen.append(line)
            found = re.search(pattern, line)
            if found:
                return found

    def type(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdin.close()
        self.proc.stdout.close()


def test_prints_over_tcp_and_serial_changes_state_and_stops_on_ctrl_c(tmp_path, make_face):
    out = tmp_path / "tickets"
    sim = Simulator("--out", str(out), "--tcp", "0", "--serial", "--paper-mm", "58")
    try:
        tcp = sim.read_until(r"kiosk connector: (tcp:\S+)").group(1)
        serial = sim.read_until(r"kiosk connector: (serial:\S+)").group(1)
        sim.read_until("Ctrl-C stops")
        image = render_ticket(make_face(), 58)
        for connector in (tcp, serial):
            with open_printer(connector, 58) as printer:
                printer.print_ticket(image)
        announced = {sim.read_until(r"ticket-(\d+)\.png").group(1) for _ in range(2)}
        assert announced == {"0001", "0002"}  # in either order: each transport has its own thread
        sim.type("paper out")
        sim.read_until("paper out, cover closed, answering")
        with open_printer(tcp, 58) as printer, pytest.raises(PaperOut):
            printer.print_ticket(image)
        sim.proc.send_signal(signal.SIGINT)
        assert sim.proc.wait(timeout=10) == 0
    finally:
        sim.close()
    assert sorted(p.name for p in out.iterdir()) == [
        "ticket-0001.bin",
        "ticket-0001.png",
        "ticket-0002.bin",
        "ticket-0002.png",
    ]
    with Image.open(out / "ticket-0002.png") as png:
        assert png.width == 384


def test_a_port_in_use_is_one_clear_error(tmp_path, capsys):
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        assert main(["--out", str(tmp_path), "--tcp", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and err.count("\n") == 1


def test_an_unusable_out_dir_is_one_clear_error(tmp_path, capsys):
    (tmp_path / "file").write_text("not a directory")
    assert main(["--out", str(tmp_path / "file" / "tickets"), "--tcp", "0"]) == 2
    assert "cannot use" in capsys.readouterr().err


def test_typed_commands_change_the_state():
    sim = SimulatedPrinter(80)
    assert apply_command(sim, "paper low\n") == "paper low, cover closed, answering"
    assert apply_command(sim, "cover open") == "paper low, cover open, answering"
    assert apply_command(sim, "silent") == "paper low, cover open, silent"
    assert apply_command(sim, "answer").endswith("answering")
    assert apply_command(sim, "paper gone").startswith("unknown command 'paper gone'")
    assert sim.paper == "low" and sim.cover_open
