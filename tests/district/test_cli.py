"""`hall ship` and the district's admin commands: bad input gets one sentence and changes nothing;
no password on a command line; the status file read back by `hall ship --status`."""

from __future__ import annotations

import json
import os

import psycopg
from district_support import ROOT, hall_command

from district import admin_cli, pg, ship_cli
from district.ship import Status, describe, status_path, write_status


def test_ship_refuses_a_password_on_the_command_line(tmp_path):
    done = hall_command("ship", "--db", str(tmp_path / "j.db"), "--dsn", "host=127.0.0.1 password=hunter2")
    assert done.returncode == 2
    assert "hunter2" not in done.stderr + done.stdout
    assert done.stderr.strip().startswith("hall ship: a password on the command line is visible")


def test_ship_refuses_a_password_file_others_can_read(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("hunter2\n")
    secret.chmod(0o644)
    done = hall_command(
        "ship", "--db", str(tmp_path / "j.db"), "--dsn", "host=127.0.0.1", "--password-file", str(secret)
    )
    assert done.returncode == 2
    assert done.stderr.strip() == f"hall ship: the password file {secret} may be read by others: chmod 600 {secret}"


def test_ship_without_a_district_says_how_to_give_one(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "HALL_DISTRICT_DSN"}
    done = hall_command("ship", "--db", str(tmp_path / "j.db"), env={**env, "HALL_DISTRICT_DSN": ""})
    assert done.returncode == 2
    assert done.stderr.strip() == "hall ship: give the district database with --dsn or HALL_DISTRICT_DSN"


def test_ship_status_reads_the_status_file(tmp_path, capsys):
    journal = tmp_path / "journal.db"
    done = hall_command("ship", "--db", str(journal), "--status")
    assert done.returncode == 1
    assert done.stdout.strip() == f"no shipping status beside {journal}: `hall ship` has not run for this journal"
    written = 1_795_000_000.0
    status = Status(
        hall="xinhua",
        link="up",
        journal_seq=120,
        district_seq=100,
        waiting=20,
        behind_s=12.4,
        down_since=None,
        error=None,
        updated=written,
        text="",
    )
    status.text = describe(status)
    write_status(status_path(journal), status)
    assert status_path(journal).name == "journal.district.json"
    assert json.loads(status_path(journal).read_text())["waiting"] == 20
    assert ship_cli.print_status(journal, now=written + 5) == 0
    assert capsys.readouterr().out == "district copy: 12 s behind (20 events waiting)\n"
    assert ship_cli.print_status(journal, now=written + 600) == 0
    assert capsys.readouterr().out.startswith("district copy: 12 s behind (20 events waiting) (as of ")


def test_admin_migrates_and_adds_a_hall(pg_dsn, tmp_path, capsys):
    hall_file = str(ROOT / "examples" / "hall.toml")
    assert admin_cli.main(["--dsn", pg_dsn, "migrate"]) == 0
    assert capsys.readouterr().out.startswith(f"district schema at version {pg.latest_version()} (applied 1")
    secret = tmp_path / "xinhua.pw"
    assert (
        admin_cli.main(["--dsn", pg_dsn, "add-hall", "xinhua", "--config", hall_file, "--password-file", str(secret)])
        == 0
    )
    assert oct(secret.stat().st_mode & 0o777) == "0o600"
    with psycopg.connect(pg_dsn) as conn:
        role = pg.hall_role(conn, "xinhua")
        assert conn.execute("SELECT timezone FROM district.halls").fetchone()[0] == "Asia/Shanghai"
    as_hall = psycopg.conninfo.make_conninfo(pg_dsn, user=role, password=secret.read_text().strip())
    with psycopg.connect(as_hall) as conn:
        assert conn.execute("SELECT hall_id FROM district.shipped").fetchall() == [("xinhua",)]
    assert admin_cli.main(["--dsn", pg_dsn, "add-hall", "other", "--config", hall_file]) == 2
    assert capsys.readouterr().err.strip() == "hall district: the hall file is hall 'xinhua', not 'other'"
