"""Helpers shared by the district tests (imported by name: tests/district is on sys.path)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import psycopg

from district import pg
from district.ship import Shipper

ROOT = Path(__file__).resolve().parents[2]
DAY = dt.date(2026, 11, 17)


def role_dsn(admin_dsn: str, hall) -> tuple[str, str]:
    """Register `hall` in the district; (its role's DSN without password, the password)."""
    with psycopg.connect(admin_dsn) as admin:
        password = pg.add_hall(admin, hall.id, hall)
        return psycopg.conninfo.make_conninfo(admin_dsn, user=pg.hall_role(admin, hall.id)), password


def ship_all(journal, dsn, password, batch=500) -> Shipper:
    shipper = Shipper(journal, dsn, password=password, batch=batch)
    while shipper.step():
        pass
    shipper.close()
    return shipper


def hall_command(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hall", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def start_hall_command(*args: str, env: dict | None = None, log: Path | None = None) -> subprocess.Popen:
    if log is None:
        return subprocess.Popen(
            [sys.executable, "-m", "hall", *args],
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    with open(log, "ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "hall", *args],
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
