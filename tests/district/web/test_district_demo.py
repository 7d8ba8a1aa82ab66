"""`hall demo --district 3` end to end: it starts every part, the district web shows the three
halls linked and live with the printed one-time password, every hall's journal reaches
PostgreSQL, and when it stops no process of it is left."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from district_web_support import Client
from psycopg import sql

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.slow


def leftovers(marker: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline:
            found.append(cmdline)
    return found


def test_a_district_of_three_halls(pg_server, tmp_path):
    var = tmp_path / "var"
    database = "hall_demo_" + hashlib.sha1(str((var / "district").absolute()).encode()).hexdigest()[:8]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hall",
            "demo",
            "--district",
            "3",
            "--speed",
            "300",
            "--duration",
            "30s",
            "--var",
            str(var),
            "--dsn",
            pg_server,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "HALL_DISTRICT_DSN": ""},
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 120
        while not any("one-time password" in line for line in lines):
            assert time.monotonic() < deadline and process.poll() is None, "\n".join(lines)
            lines.append(process.stdout.readline().rstrip())
        text = "\n".join(lines)
        url = re.search(r"district web: (http://\S+)", text).group(1)
        password = re.search(r"one-time password: (\S+)", text).group(1)
        client = Client(url)
        assert client.login("admin", password)[0] == 303
        html = ""
        while html.count('<span class="en">linked</span>') < 3 or html.count("data-waiting") < 3:
            assert time.monotonic() < deadline + 60, html[-2000:]
            html = client.get("/")[2]
            time.sleep(0.5)
        for hall in ("xinhua", "dongcheng", "xicheng"):
            assert f'data-hall="{hall}"' in html
        out, _ = process.communicate(timeout=180)
        assert process.returncode == 0, out[-3000:]
        assert "district demo stopped" in out
        with psycopg.connect(psycopg.conninfo.make_conninfo(pg_server, dbname=database)) as conn:
            shipped = dict(conn.execute("SELECT hall_id, events FROM district.shipped").fetchall())
        assert set(shipped) == {"xinhua", "dongcheng", "xicheng"} and all(n > 0 for n in shipped.values()), shipped
        assert leftovers(str(var)) == []
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        with psycopg.connect(pg_server, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
            for (role,) in admin.execute(
                "SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (database + "\\_%",)
            ).fetchall():
                admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
