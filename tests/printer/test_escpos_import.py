"""python-escpos' import-time side effects are contained: no root log handler, no temp dir per
process, and the printer database it loads is the one it ships."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import logging, tempfile
import drivers.printer
import escpos.capabilities as caps
print(len(logging.getLogger().handlers), caps.pickle_dir)
"""


def run_probe(tmp_path: Path) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ESCPOS_CAPABILITIES_PICKLE_DIR", "XDG_CACHE_HOME")}
    env.update(HOME=str(tmp_path / "home"), TMPDIR=str(tmp_path / "tmp"))
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_import_adds_no_log_handler_and_no_temp_dir(tmp_path):
    (tmp_path / "tmp").mkdir()
    first = run_probe(tmp_path)
    second = run_probe(tmp_path)
    assert first == second == ["0", str(tmp_path / "home" / ".cache" / "hall" / "escpos")]
    assert list((tmp_path / "tmp").iterdir()) == []  # python-escpos alone leaves a tmpXXXX dir per run
    assert [p.name.endswith(".capabilities.pickle") for p in (tmp_path / "home/.cache/hall/escpos").iterdir()] == [True]


def test_the_primed_database_is_the_shipped_one():
    import importlib.resources

    import escpos.capabilities as caps

    import drivers.printer  # noqa: F401

    shipped = json.loads((importlib.resources.files("escpos") / "capabilities.json").read_text(encoding="utf-8"))
    assert caps.CAPABILITIES == shipped
