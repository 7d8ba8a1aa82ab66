"""Every pinned dependency installs on a Raspberry Pi (aarch64, CPython 3.11, Bookworm's glibc):
`make pi-check` (deploy/pi_wheels.py) run for real against the package index. Skipped, saying
so, only when the index cannot be reached from where the tests run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "deploy" / "pi_wheels.py"
OFFLINE = (
    "NewConnectionError",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "Could not fetch URL",
    "ProxyError",
    "ConnectTimeout",
    "ReadTimeout",
)


@pytest.mark.network
def test_every_pinned_dependency_has_a_wheel_for_the_pi(tmp_path):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--dest", str(tmp_path)], capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0 and any(sign in result.stderr for sign in OFFLINE):
        pytest.skip("the package index is unreachable from here: " + result.stderr.strip().splitlines()[-1])
    assert result.returncode == 0, result.stderr[-3000:]
    assert "install on aarch64, CPython 3.11" in result.stdout
    for name in ("pygame_ce", "pillow", "lgpio", "argon2_cffi_bindings"):
        line = next(line for line in result.stdout.splitlines() if line.split()[-1].startswith(name + "-"))
        assert line.startswith("aarch64"), line
    assert "UNUSABLE" not in result.stdout
