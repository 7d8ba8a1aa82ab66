"""`hall display` and `hall sim display` as a technician runs them: one clear sentence for bad
input, and real processes that show calls as PNG frames and stop cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devices.display import main as display_main
from simulators import display as sim_display

from .conftest import WAIT_S

ROOT = Path(__file__).parents[2]
HALL = str(ROOT / "examples" / "hall.toml")


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--id", "D9", "--config", HALL, "--broker", "mqtt://127.0.0.1:1"], "no display 'D9'"),
        (["--id", "D1", "--config", "no-such-hall.toml", "--broker", "mqtt://127.0.0.1:1"], "does not exist"),
        (["--id", "D1", "--config", HALL], "no broker"),
        (["--id", "D1", "--config", HALL, "--broker", "http://x"], "must start with mqtt://"),
        (["--id", "D1", "--config", HALL, "--broker", "mqtt://127.0.0.1:1", "--voice", "loud"], "--voice 'loud'"),
        (["--id", "D1", "--config", HALL, "--broker", "mqtt://127.0.0.1:1", "--voice", "clips:no-such-folder"], "clip"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(argv, says, capsys, monkeypatch):
    monkeypatch.delenv("HALL_MQTT_URL", raising=False)
    assert display_main.main(argv) == 2
    err = capsys.readouterr().err
    assert says in err
    assert err.startswith("hall display: ") and "Traceback" not in err


def test_sim_refuses_bad_numbers(capsys):
    assert sim_display.main(["--config", HALL, "--every", "0", "--png-dir", "x"]) == 2
    assert "--every" in capsys.readouterr().err


def _env() -> dict[str, str]:
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", PYTHONPATH=str(ROOT))
    env.pop("HALL_MQTT_URL", None)
    return env


def test_hall_display_shows_a_call_in_png_frames_and_stops_on_sigterm(mosquitto_broker, sample, tmp_path):
    controller = sample(mosquitto_broker.url)
    frames = tmp_path / "frames"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devices.display.main",
            "--id",
            "D1",
            "--config",
            HALL,
            "--broker",
            mosquitto_broker.url,
            "--png-dir",
            str(frames),
            "--voice",
            "none",
        ],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + WAIT_S
        while not (frames / "latest.png").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (frames / "latest.png").exists(), "the first frame (the hall with its clock) is drawn at once"
        first = len(list(frames.glob("frame-*.png")))
        controller.publish_call("A001", 3)
        controller.publish_board()
        while len(list(frames.glob("frame-*.png"))) == first and time.monotonic() < deadline + WAIT_S:
            time.sleep(0.05)
        assert len(list(frames.glob("frame-*.png"))) > first
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=WAIT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, out.decode()


def test_hall_sim_display_feeds_sample_calls_and_stops_after_them(tmp_path):
    frames = tmp_path / "frames"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulators.display",
            "--config",
            HALL,
            "--png-dir",
            str(frames),
            "--calls",
            "3",
            "--every",
            "0.3",
            "--voice",
            "none",
            "--linger",
            "0",
        ],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "acknowledged up to 3" in done.stdout
    assert len(list(frames.glob("frame-*.png"))) >= 4  # the empty hall, then each call (and its blink)
