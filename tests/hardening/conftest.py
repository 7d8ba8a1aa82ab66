"""Real processes for the hardening tests: a Mosquitto run with the configuration `hall provision`
writes (passwords, ACL, client id = user name, size limit, named listener, persistence), a hall
controller started as a technician starts it (`hall controller --credentials FILE`), and devices
that speak with their own provisioned identities.

    provisioned        (port, passwords, folder): the provisioned files, no broker running
    secured_broker     a `SecuredBroker` running on them: .port, .passwords, .folder,
                       .credentials(user) -> path, .url(user) -> URL with password, .restart()
    hall_controller    factory: `hall_controller(broker, *args)` -> a `ControllerProcess`
                       (a real `hall controller` subprocess, stdout and stderr collected)
    device             factory: `device(broker, "K1")` -> a connected test peer speaking as K1
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from hall import config
from hall_controller import provision
from tests.conftest import EXAMPLE_HALL, WAIT_S

pytestmark = pytest.mark.skipif(shutil.which("mosquitto") is None, reason="needs the mosquitto binary")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, what: str, timeout: float = WAIT_S) -> None:
    """Poll `condition()` until true; fail naming `what` after `timeout` (never a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class SecuredBroker:
    def __init__(self, folder: Path, port: int, passwords: dict[str, str]) -> None:
        self.folder, self.port, self.passwords = folder, port, passwords
        self.conf = folder / "mosquitto" / "hall.conf"
        self.process: subprocess.Popen | None = None

    def credentials(self, user: str) -> Path:
        return self.folder / "credentials" / f"{user}.url"

    def url(self, user: str) -> str:
        return self.credentials(user).read_text().strip()

    def start(self) -> None:
        self.log = open(self.folder / "mosquitto.log", "ab")
        self.process = subprocess.Popen(["mosquitto", "-c", str(self.conf)], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + WAIT_S
        while True:
            if self.process.poll() is not None:
                raise RuntimeError((self.folder / "mosquitto.log").read_text(errors="replace")[-2000:])
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("mosquitto did not start") from None
                time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(WAIT_S)
        self.process = None
        self.log.close()

    def restart(self) -> None:
        self.stop()
        self.start()


def provision_into(folder: Path, hall_text: str | None = None) -> tuple[int, dict[str, str], config.Hall]:
    port = free_port()
    text = hall_text if hall_text is not None else EXAMPLE_HALL.read_text(encoding="utf-8")
    text = text.replace("[hall]\n", f'[hall]\nbroker_listen = "127.0.0.1:{port}"\n', 1)
    (folder / "hall.toml").write_text(text, encoding="utf-8")
    hall = config.load(folder / "hall.toml")
    passwords = provision.provision(hall, folder, f"mqtt://127.0.0.1:{port}", broker_data=folder / "broker-data")
    return port, passwords, hall


@pytest.fixture
def deploy_dir():
    """A folder the broker's own user can reach, as /etc/hall is (pytest's tmp_path is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="hall-hardening-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def secured_broker(deploy_dir):
    port, passwords, _ = provision_into(deploy_dir)
    broker = SecuredBroker(deploy_dir, port, passwords)
    broker.start()
    yield broker
    broker.stop()


class ControllerProcess:
    """`hall controller` as a subprocess; its output lines are collected on threads."""

    def __init__(self, args: list[str], cwd: Path, env: dict | None = None) -> None:
        self.args = args
        self.out: list[str] = []
        self.err: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hall.cli", "controller", *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self._readers = [
            threading.Thread(target=self._pump, args=(stream, lines), daemon=True)
            for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err))
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _pump(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))

    def line_starting(self, prefix: str) -> str:
        def found():
            if self.process.poll() is not None and not any(line.startswith(prefix) for line in self.out):
                raise AssertionError(f"the controller ended ({self.process.returncode}): {self.text()[-2000:]}")
            return any(line.startswith(prefix) for line in self.out)

        wait_until(found, f"the controller to print {prefix}", WAIT_S * 2)
        return next(line for line in self.out if line.startswith(prefix))[len(prefix) :]

    def text(self) -> str:
        return "\n".join(self.out + self.err)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(WAIT_S * 2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._close()
        return code

    def _close(self) -> None:
        for reader in self._readers:
            reader.join(WAIT_S)
        self.process.stdout.close()
        self.process.stderr.close()

    def finish(self, timeout: float = WAIT_S * 2) -> int:
        """Wait for a controller that ends by itself (a refusal at start)."""
        code = self.process.wait(timeout)
        self._close()
        return code


@pytest.fixture
def hall_controller(tmp_path):
    started: list[ControllerProcess] = []

    def start(*args: str, env: dict | None = None) -> ControllerProcess:
        process = ControllerProcess(list(args), tmp_path, env)
        started.append(process)
        return process

    yield start
    for process in started:
        if not process.process.stdout.closed:
            process.stop(signal.SIGKILL)


def controller_args(broker: SecuredBroker, journal: Path, *extra: str) -> list[str]:
    return [
        "--config",
        str(broker.folder / "hall.toml"),
        "--credentials",
        str(broker.credentials("controller")),
        "--db",
        str(journal),
        "--web",
        "off",
        "--log-level",
        "INFO",
        *extra,
    ]


def password_in(text: str, passwords: dict[str, str]) -> list[str]:
    """The users whose password (plain or as it appears in a URL) occurs in `text`."""
    return [user for user, p in passwords.items() if p in text or urllib.parse.quote(p, safe="") in text]
