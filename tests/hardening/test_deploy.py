"""The shipped systemd units, udev rule and system user: `hall install ROLE --root DIR` puts them in
place, `systemd-analyze verify` finds nothing to say about any unit, every unit carries the
hardening, and no unit holds a password or passes one on a command line."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from hall import install, notify

ROLES = list(install.ROLES)
INSTANCES = {"kiosk": "K1", "evaluator": "E3", "caller": "C3", "display": "D1"}
HARDENING = [
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "StateDirectory=",
    "LimitNOFILE=",
    "Restart=on-failure",
    "UMask=0077",
]
GROUPS = {
    "kiosk": {"gpio", "lp"},
    "evaluator": {"gpio", "audio"},
    "display": {"video", "render", "audio"},
    "caller": {"input"},
}
HALL = str(Path(sys.executable).parent / "hall")


def installed(tmp_path: Path, role: str) -> Path:
    result = subprocess.run(
        [HALL, "install", role, "--root", str(tmp_path), "--hall", HALL, "--id", "X1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "systemctl enable --now" in result.stdout
    unit = install.ROLES[role][0]
    return tmp_path / "etc" / "systemd" / "system" / unit


@pytest.mark.parametrize("role", ROLES)
def test_every_unit_installs_and_verifies_clean(role, tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    unit = installed(tmp_path, role)
    name = unit.name.replace("@", f"@{INSTANCES[role]}") if "@" in unit.name else unit.name
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit.parent / name)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stderr.strip() == "" and result.stdout.strip() == "", result.stderr
    text = unit.read_text()
    for directive in HARDENING:
        assert re.search(rf"^{re.escape(directive)}", text, re.M), f"{unit.name} lacks {directive}"
    groups = set(re.search(r"^SupplementaryGroups=(.*)$", text, re.M).group(1).split()) if role in GROUPS else set()
    assert GROUPS.get(role, set()) <= groups
    exec_start = re.search(r"^ExecStart=((?:.*\\\n)*.*)$", text, re.M).group(1)
    assert "://" not in exec_start and "password" not in exec_start.lower(), "no secret on a command line"
    if role != "broker":
        assert "LoadCredential=mqtt.url:/etc/hall/credentials/" in text and "--credentials %d/mqtt.url" in exec_start
        assert "User=hall" in text


def test_the_kiosk_gets_the_printer_rule_and_no_usblp(tmp_path):
    installed(tmp_path, "kiosk")
    rules = (tmp_path / "etc/udev/rules.d/60-hall-printers.rules").read_text()
    matches = re.findall(
        r'^ATTRS\{idVendor\}=="([0-9a-f]{4})", ATTRS\{idProduct\}=="([0-9a-f]{4})", '
        r'MODE="0660", GROUP="lp"$',
        rules,
        re.M,
    )
    assert ("0416", "5011") in matches and len(matches) >= 5
    for line in rules.splitlines():  # every line a comment, a GOTO guard, a printer or the label
        assert (
            not line
            or line.startswith("#")
            or "GOTO=" in line
            or line.startswith("LABEL=")
            or re.match(r"^ATTRS\{idVendor\}", line)
        ), line
    assert (tmp_path / "etc/modprobe.d/hall-no-usblp.conf").read_text().count("blacklist usblp") == 1
    assert (tmp_path / "etc/sysusers.d/hall.conf").read_text().count("\nu hall ") == 1


def test_a_bad_root_is_one_sentence(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = subprocess.run(
        [HALL, "install", "controller", "--root", str(blocker)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and result.stderr.startswith("hall install: cannot write")
    assert result.stderr.count("\n") == 1


def test_the_controller_tells_systemd_it_is_ready_alive_and_stopping(tmp_path, mosquitto_broker, hall_controller):
    """The unit's Type=notify and WatchdogSec=: READY=1 once serving, WATCHDOG=1 from the loop."""
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(path))
        listener.settimeout(20)
        from tests.conftest import EXAMPLE_HALL

        controller = hall_controller(
            "--config",
            str(EXAMPLE_HALL),
            "--broker",
            mosquitto_broker.url,
            "--db",
            str(tmp_path / "journal.db"),
            "--web",
            "off",
            env={"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "1000000"},
        )
        heard = []
        while "WATCHDOG=1" not in heard or "READY=1" not in heard:
            heard.append(listener.recv(256).decode())
        assert controller.stop() == 0
        while "STOPPING=1" not in heard:
            heard.append(listener.recv(256).decode())
    assert heard.index("READY=1") < heard.index("STOPPING=1")
    assert notify.notify("READY=1", environ={}) is False, "outside systemd: nothing"
