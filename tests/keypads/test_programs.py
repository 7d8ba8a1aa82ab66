"""`hall evaluator` and `hall caller` as the technician starts them: one sentence and exit 2 for bad
input, and both running as real processes against a real broker and controller."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from devices.caller.main import main as caller_main
from devices.evaluator.main import main as evaluator_main
from protocol import topics

from .conftest import EXAMPLE_HALL, WAIT_S

ROOT = Path(__file__).parents[2]
HALL = ["--config", str(EXAMPLE_HALL)]


@pytest.fixture(autouse=True)
def _process_state_restored():
    """The programs set up logging and signal handlers for their process; in this test process,
    put them back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    signals = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for sig, handler in signals.items():
        signal.signal(sig, handler)


@pytest.mark.parametrize(
    "argv, sentence",
    [
        (
            ["--id", "E3", "--config", "nowhere.toml", "--broker", "mqtt://127.0.0.1:1"],
            "hall file nowhere.toml does not exist",
        ),
        (
            ["--id", "E42", *HALL, "--broker", "mqtt://127.0.0.1:1", "--pins", "mock"],
            "E42 is not an evaluator in the hall file",
        ),
        (
            ["--id", "E3", *HALL, "--pins", "mock"],
            "say which broker to use: --broker mqtt://host:port or HALL_MQTT_URL",
        ),
        (["--id", "E3", *HALL, "--broker", "http://x"], "broker URL"),
        (["--id", "E3", *HALL, "--broker", "mqtt://127.0.0.1:1", "--pins", "lgpio"], "cannot be used on this machine"),
    ],
)
def test_hall_evaluator_refuses_bad_input_in_one_sentence(argv, sentence, capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("HALL_MQTT_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert evaluator_main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("hall evaluator: ") and sentence in err and err.count("\n") == 1
    assert not (tmp_path / "var").exists()  # nothing was created


@pytest.mark.parametrize(
    "argv, sentence",
    [
        (["--id", "C42", *HALL, "--broker", "mqtt://127.0.0.1:1"], "C42 is not a caller in the hall file"),
        (["--id", "C3", *HALL], "say which broker to use"),
        (["--id", "C3", *HALL, "--broker", "mqtt://127.0.0.1:1", "--screen", "hologram"], "--screen 'hologram'"),
        (["--id", "C3", *HALL, "--broker", "mqtt://127.0.0.1:1", "--timeout", "0"], "--timeout must be between"),
    ],
)
def test_hall_caller_refuses_bad_input_in_one_sentence(argv, sentence, capsys, monkeypatch):
    monkeypatch.delenv("HALL_MQTT_URL", raising=False)
    assert caller_main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("hall caller: ") and sentence in err and err.count("\n") == 1


def run(module: str, args: list[str], cwd: Path, stdin: str | None = None) -> subprocess.Popen:
    code = f"import sys; from {module} import main; sys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=env,
        text=True,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_hall_caller_takes_scripted_keys_on_stdin_and_prints_each_screen(mosquitto_broker, controller, kiosk, tmp_path):
    url = mosquitto_broker.url
    ctl = controller(url)
    kiosk(url).issue("fund")
    proc = run("devices.caller.main", ["--id", "C3", *HALL, "--broker", url], tmp_path, stdin="")
    out, err = proc.communicate("open S 0 0 5 enter\ncall start\n", timeout=6 * WAIT_S)
    assert proc.returncode == 0, err
    screens = out.split("-" * 44)
    assert "已登录 工号 S005 · signed in as S005" in out
    assert "C001 · 办理中 serving" in screens[-1] and "住房公积金 Housing Provident Fund" in screens[-1]
    assert ctl.engine.state.desks[3].clerk == "S005"


def test_hall_evaluator_runs_on_mock_pins_and_says_goodbye(mosquitto_broker, mqtt_peer, tmp_path):
    url = mosquitto_broker.url
    peer = mqtt_peer(url, "watcher")
    proc = run(
        "devices.evaluator.main",
        [
            "--id",
            "E3",
            *HALL,
            "--broker",
            url,
            "--pins",
            "mock",
            "--sound",
            "none",
            "--outbox",
            str(tmp_path / "e3.db"),
        ],
        tmp_path,
    )
    try:
        state = topics.device_state("xinhua", "E3")
        peer.subscribe(state)
        peer.expect(topic=state, where=lambda m: json.loads(m.payload)["online"], timeout=3 * WAIT_S)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 0, err
    assert not json.loads(peer.expect(topic=state).payload)["online"]
    assert (tmp_path / "e3.db").exists()
