"""`--credentials FILE` on every device program and the controller: each connects to the
provisioned broker as itself, with its password in a private file, never on its command line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hall.mqtt import BrokerUrlError, device_broker_url, read_credentials
from tests.conftest import EXAMPLE_HALL

from .conftest import WAIT_S, controller_args, password_in, wait_until

PROGRAMS = {
    "kiosk": ("K2", ["--printer", "sim", "--pins", "mock", "--png-dir", "{tmp}/k", "--state-dir", "{tmp}/ks"]),
    "evaluator": ("E1", ["--pins", "mock", "--outbox", "{tmp}/e.db", "--sound", "none"]),
    "caller": ("C1", ["--screen", "png:{tmp}/c"]),
    "display": ("D1", ["--png-dir", "{tmp}/d", "--voice", "none"]),
}


@pytest.mark.parametrize("program", list(PROGRAMS))
def test_every_device_program_connects_with_its_credentials_file(program, secured_broker, tmp_path):
    device, extra = PROGRAMS[program]
    args = [a.replace("{tmp}", str(tmp_path)) for a in extra]
    env = {k: v for k, v in os.environ.items() if k != "HALL_MQTT_URL"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hall.cli",
            program,
            "--id",
            device,
            "--config",
            str(secured_broker.folder / "hall.toml"),
            "--credentials",
            str(secured_broker.credentials(device)),
            *args,
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        log = secured_broker.folder / "mosquitto.log"
        wait_until(
            lambda: f"as {device} (" in log.read_text(errors="replace") or process.poll() is not None,
            f"{device} to connect",
            WAIT_S * 2,
        )
        assert process.poll() is None, process.stdout.read()
        assert f"u'{device}'" in log.read_text(errors="replace"), "connected with its own user"
        with open(f"/proc/{process.pid}/cmdline", "rb") as f:
            assert password_in(f.read().decode(), secured_broker.passwords) == []
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=WAIT_S * 2)
    assert password_in(output, secured_broker.passwords) == []


def test_the_controller_takes_credentials_too(secured_broker, hall_controller, tmp_path):
    controller = hall_controller(*controller_args(secured_broker, tmp_path / "journal.db"))
    wait_until(lambda: "connected to the broker" in controller.text(), "the controller to connect")
    assert "as controller (" in (secured_broker.folder / "mosquitto.log").read_text(errors="replace")
    assert controller.stop() == 0


def test_a_credentials_file_others_can_read_is_refused(tmp_path):
    path = tmp_path / "K1.url"
    path.write_text("mqtt://K1:s3cret@127.0.0.1:1883\n")
    path.chmod(0o644)
    with pytest.raises(BrokerUrlError, match=r"can be read by other users; make it private with chmod 600"):
        read_credentials(path)
    path.chmod(0o600)
    assert read_credentials(path).password == "s3cret"
    assert device_broker_url("mqtt://hall-server:1884", credentials=path) == "mqtt://K1:s3cret@hall-server:1884"
    (tmp_path / "nouser.url").write_text("mqtt://127.0.0.1:1883\n")
    (tmp_path / "nouser.url").chmod(0o600)
    with pytest.raises(BrokerUrlError, match="holds no user and password"):
        read_credentials(tmp_path / "nouser.url")
    with pytest.raises(BrokerUrlError, match="cannot read the credentials file"):
        read_credentials(tmp_path / "missing.url")


def test_a_bad_credentials_file_stops_a_program_with_one_sentence(tmp_path):
    path = tmp_path / "K1.url"
    path.write_text("mqtt://K1:s3cret@127.0.0.1:1883\n")
    path.chmod(0o640)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hall.cli",
            "caller",
            "--id",
            "C1",
            "--config",
            str(EXAMPLE_HALL),
            "--credentials",
            str(path),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=WAIT_S * 2,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "chmod 600" in result.stderr and "s3cret" not in result.stderr
