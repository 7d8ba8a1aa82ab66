"""The simulated keypads: the control socket, `hall sim press`, and both simulators run as real
programs (subprocesses) against a real broker and controller, pressed from outside."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulators.control import ControlError, ControlServer, NoSimulator, ask, control_dir, press_main, send, socket_path

from .conftest import EXAMPLE_HALL, WAIT_S

ROOT = Path(__file__).parents[2]


@pytest.fixture
def control(tmp_path) -> Path:
    return control_dir(tmp_path / "ctl")


def test_the_control_directory_is_private(tmp_path, monkeypatch):
    monkeypatch.setenv("HALL_SIM_DIR", str(tmp_path / "sims"))
    d = control_dir()
    assert d == tmp_path / "sims" and (d.stat().st_mode & 0o777) == 0o700


def test_press_reaches_the_handler_and_prints_its_answer(control, capsys):
    pressed: list[list[str]] = []

    def handle(words: list[str]) -> list[str]:
        if words == ["9"]:
            raise ControlError("9 is not a button")
        pressed.append(words)
        return ["[● 4 非常满意]", "idle"]

    with ControlServer(socket_path(control, "E3"), handle) as server:
        assert (server.path.stat().st_mode & 0o777) == 0o600
        assert press_main(["E3", "4", "--control", str(control)]) == 0
        assert capsys.readouterr().out == "[● 4 非常满意]\nidle\n"
        assert press_main(["E3", "9", "--control", str(control)]) == 1
        assert "hall sim press: 9 is not a button" in capsys.readouterr().err
        assert send(control, "E3", ["open", "S", "0", "0", "5", "enter"]) == (True, ["[● 4 非常满意]", "idle"])
        with pytest.raises(ControlError, match="already running"):
            ControlServer(socket_path(control, "E3"), handle)
    assert pressed == [["4"], ["open", "S", "0", "0", "5", "enter"]]
    assert not socket_path(control, "E3").exists()


def test_a_program_asks_for_the_devices_state_as_json(control, capsys):
    pressed: list[list[str]] = []

    def handle(words: list[str]) -> list[str]:
        pressed.append(words)
        return ["A001 · 已呼叫 called"]

    with ControlServer(socket_path(control, "C3"), handle, lambda: {"device": "C3", "ticket": {"label": "A001"}}):
        assert ask(control, "C3", ["call"]) == {
            "device": "C3",
            "ticket": {"label": "A001"},
            "screen": ["A001 · 已呼叫 called"],
        }
        assert press_main(["--json", "C3", "call", "--control", str(control)]) == 0
        assert json.loads(capsys.readouterr().out)["ticket"] == {"label": "A001"}
        assert press_main(["C3", "show", "--control", str(control)]) == 0  # a person still reads the screen
        assert capsys.readouterr().out == "A001 · 已呼叫 called\n"
    with ControlServer(socket_path(control, "E3"), handle):
        with pytest.raises(ControlError, match="no state to give as JSON"):
            ask(control, "E3", ["4"])
    assert pressed == [["call"], ["call"], ["show"]]


def test_press_without_a_simulator_says_so(control, capsys):
    assert press_main(["E7", "4", "--control", str(control)]) == 2
    err = capsys.readouterr().err
    assert "no simulated device E7 is running" in err and "hall sim kiosk|evaluator|caller --id E7" in err


def test_a_socket_left_by_a_killed_simulator_is_replaced(control):
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(socket_path(control, "C3")))
    stale.close()  # the file stays, nobody listens
    with pytest.raises(NoSimulator):
        send(control, "C3", ["call"])
    with ControlServer(socket_path(control, "C3"), lambda words: ["fine"]):
        assert send(control, "C3", ["call"]) == (True, ["fine"])


# --- the simulators as programs -------------------------------------------------------------------


class Program:
    """A simulator run as `python -c 'from simulators.X import main; main([...])'` in its own directory."""

    def __init__(self, module: str, args: list[str], cwd: Path) -> None:
        code = f"import sys; from {module} import main; sys.exit(main(sys.argv[1:]))"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out: list[str] = []

    def wait_for_line(self, start: str, timeout: float = 3 * WAIT_S) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if select.select([self.proc.stdout], [], [], 0.1)[0]:
                line = self.proc.stdout.readline()
                if not line:
                    break
                self.out.append(line)
                if line.startswith(start):
                    return line
        raise AssertionError(f"no line starting {start!r}; stdout: {''.join(self.out)} stderr: {self.stop()[1]}")

    def stop(self) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return self.proc.returncode, err


def test_the_simulated_counter_end_to_end(mosquitto_broker, controller, kiosk, tmp_path, control, capsys):
    url = mosquitto_broker.url
    ctl = controller(url)
    common = ["--config", str(EXAMPLE_HALL), "--broker", url, "--control", str(control)]
    caller = Program("simulators.caller", ["--id", "C3", *common], tmp_path)
    evaluator = Program("simulators.evaluator", ["--id", "E3", *common, "--outbox", str(tmp_path / "e3.db")], tmp_path)
    try:
        assert "control socket" in caller.wait_for_line("simulated caller C3")
        assert "control socket" in evaluator.wait_for_line("simulated evaluator E3")
        kiosk(url).issue("social")

        assert press_main(["C3", "open", "S", "0", "0", "5", "enter", "--control", str(control)]) == 0
        assert "已登录 工号 S005 · signed in as S005" in capsys.readouterr().out
        assert press_main(["C3", "call", "--control", str(control)]) == 0
        screen = capsys.readouterr().out.splitlines()
        assert "A001 · 已呼叫 called" in screen and "已呼叫 A001 · called A001" in screen
        state = ask(control, "C3", ["show"])  # as the crowd reads the caller: its state, not the screen
        assert (state["state"], state["clerk"], state["ticket"]["label"], state["ticket"]["state"]) == (
            "open",
            "S005",
            "A001",
            "called",
        )
        assert press_main(["C3", "call", "--control", str(control)]) == 0  # waited out the double-press window
        assert "× 请先办结、挂起或转移当前号" in capsys.readouterr().out  # and the controller refused
        assert press_main(["C3", "start", "finish", "enter", "--control", str(control)]) == 0
        assert "A001 办结,请评价" in capsys.readouterr().out

        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            assert press_main(["E3", "show", "--control", str(control)]) == 0
            shown = capsys.readouterr().out
            if "rate A001" in shown:
                break
        assert ask(control, "E3", ["show"])["asking"] == "A001"
        assert "[◎ 4 非常满意]  [◎ 3 满意]  [◎ 2 一般]  [◎ 1 不满意]" in shown
        assert "请您对本次服务进行评价 · rate A001 (30 s to answer)" in shown
        assert press_main(["E3", "非常满意", "--control", str(control)]) == 0
        shown = capsys.readouterr().out
        assert "[● 4 非常满意]  [○ 3 满意]  [○ 2 一般]  [○ 1 不满意]" in shown
        assert "谢谢 thank you · 4 非常满意 Very satisfied" in shown
        assert press_main(["E3", "7", "--control", str(control)]) == 1
        assert "'7' is not a button of the evaluator" in capsys.readouterr().err

        prompt = next(iter(ctl.engine.state.prompts.values()))
        deadline = time.monotonic() + WAIT_S
        while prompt.level is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert prompt.level == 4 and prompt.clerk == "S005"
    finally:
        rc_caller, err_caller = caller.stop()
        rc_evaluator, err_evaluator = evaluator.stop()
    assert (rc_caller, rc_evaluator) == (0, 0), err_caller + err_evaluator
    assert not socket_path(control, "C3").exists() and not socket_path(control, "E3").exists()


def test_a_simulator_with_bad_input_says_one_sentence(tmp_path, control):
    for module, device, expected in (
        ("simulators.evaluator", "C3", "C3 is not an evaluator in the hall file"),
        ("simulators.caller", "E3", "E3 is not a caller in the hall file"),
    ):
        p = Program(
            module,
            [
                "--id",
                device,
                "--config",
                str(EXAMPLE_HALL),
                "--broker",
                "mqtt://127.0.0.1:1",
                "--control",
                str(control),
            ],
            tmp_path,
        )
        out, err = p.proc.communicate(timeout=3 * WAIT_S)
        assert p.proc.returncode == 2 and expected in err and "Traceback" not in err
