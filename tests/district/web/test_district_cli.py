"""`hall district` as a technician runs it: users from the command line, the web started as a real
process on a real PostgreSQL with a spawned district broker, bad input in one sentence."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from district_web_support import PASSWORD, Client

from district.cluster import pg_binary

ROOT = Path(__file__).resolve().parents[3]


def hall(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hall", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=120,
        **kwargs,
    )


def test_users_from_the_command_line(district_dsn, tmp_path, example_hall):
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD + "\n")
    env = {"HALL_DISTRICT_DSN": district_dsn}
    added = hall("district", "user", "add", "ana", "--role", "admin", "--password-file", str(secret), env=env)
    assert added.returncode == 0 and "added ana (admin of district)" in added.stdout, added.stderr
    scoped = hall(
        "district",
        "user",
        "add",
        "bo",
        "--role",
        "supervisor",
        "--hall",
        "nowhere",
        "--password-file",
        str(secret),
        env=env,
    )
    assert (
        scoped.returncode == 2
        and scoped.stderr.strip() == "hall district: the district has no hall 'nowhere' (add it first)"
    )
    admin_of_hall = hall(
        "district", "user", "add", "cy", "--role", "admin", "--hall", "nowhere", "--password-file", str(secret), env=env
    )
    assert admin_of_hall.returncode == 2 and "a hall's user is a viewer or a supervisor" in admin_of_hall.stderr
    short = tmp_path / "short"
    short.write_text("short\n")
    assert (
        "at least 8 characters"
        in hall("district", "user", "add", "dee", "--role", "viewer", "--password-file", str(short), env=env).stderr
    )
    listed = hall("district", "user", "list", env=env)
    assert listed.returncode == 0 and re.search(r"^ana\s+admin\s+district$", listed.stdout, re.M)
    assert "dee" not in listed.stdout
    assert hall("district", "user", "remove", "ana", env=env).returncode == 0
    assert "there is no user 'ana'" in hall("district", "user", "remove", "ana", env=env).stderr
    no_dsn = hall("district", "user", "list", env={"HALL_DISTRICT_DSN": ""})
    assert no_dsn.returncode == 2 and "--dsn or HALL_DISTRICT_DSN" in no_dsn.stderr
    unreachable = hall("district", "user", "list", "--dsn", "host=127.0.0.1 port=1 dbname=x connect_timeout=2")
    assert unreachable.returncode == 2 and unreachable.stderr.startswith(
        "hall district: cannot reach the district database"
    )
    assert "Traceback" not in unreachable.stderr


def test_the_web_as_a_process_with_a_spawned_broker_and_a_first_admin(district_dsn):
    process = subprocess.Popen(
        [sys.executable, "-m", "hall", "district", "--listen", "127.0.0.1:0", "--first-admin", "boss"],
        cwd=ROOT,
        env={**os.environ, "HALL_DISTRICT_DSN": district_dsn, "HALL_DISTRICT_MQTT_URL": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while not any(line.startswith("district web: http") for line in lines):
            assert time.monotonic() < deadline and process.poll() is None, process.stderr.read()
            lines.append(process.stdout.readline().strip())
        password = re.search(r"one-time password: (\S+)", "\n".join(lines)).group(1)
        url = next(line for line in lines if line.startswith("district web: http")).split(": ", 1)[1]
        client = Client(url)
        assert client.login("boss", password)[0] == 303
        assert client.get("/")[0] == 200
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "started a district broker" in err


def test_bad_start_up_input_is_one_sentence(district_dsn, tmp_path):
    bad_broker = hall("district", "--dsn", district_dsn, "--broker", "http://nowhere")
    assert bad_broker.returncode == 2 and bad_broker.stderr.strip().startswith("hall district: the district broker:")
    missing = hall("district", "--dsn", district_dsn, "--broker", str(tmp_path / "no-such.url"))
    assert missing.returncode == 2 and "cannot read the credentials file" in missing.stderr
    listen = hall("district", "--dsn", district_dsn, "--listen", "nowhere")
    assert listen.returncode == 2 and listen.stderr.strip() == "hall district: --listen 'nowhere' is not HOST:PORT"


def test_without_a_dsn_it_starts_a_private_postgresql_and_says_so(tmp_path):
    if not (pg_binary("initdb") and pg_binary("pg_ctl")):
        pytest.skip("PostgreSQL's initdb and pg_ctl are not installed")
    data = Path(tempfile.mkdtemp(prefix="hall-district-web-"))  # reachable by postgres when run as root
    data.chmod(0o755)
    try:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hall",
                "district",
                "--data",
                str(data),
                "--listen",
                "127.0.0.1:0",
                "--first-admin",
                "boss",
            ],
            cwd=ROOT,
            env={**os.environ, "HALL_DISTRICT_DSN": "", "HALL_DISTRICT_MQTT_URL": ""},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            lines = []
            deadline = time.monotonic() + 120
            while not any(line.startswith("district web: http") for line in lines):
                assert time.monotonic() < deadline and process.poll() is None, process.stderr.read()
                lines.append(process.stdout.readline().strip())
            password = re.search(r"one-time password: (\S+)", "\n".join(lines)).group(1)
            url = next(line for line in lines if line.startswith("district web: http")).split(": ", 1)[1]
            assert Client(url).login("boss", password)[0] == 303
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert f"started a private PostgreSQL under {data / 'pg'}" in err
        assert not (data / "pg" / "data" / "postmaster.pid").exists(), "the private cluster was left running"
    finally:
        shutil.rmtree(data, ignore_errors=True)
