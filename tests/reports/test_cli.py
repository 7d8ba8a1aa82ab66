"""`hall report` as a person runs it: a real subprocess on a journal the durable engine wrote (the
controller's own journalling), read-only, with --json and --csv; bad input is one sentence, exit 2."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import subprocess
import sys

import pytest

from hall_controller import report_cli
from hall_controller.durable import DurableEngine
from hall_controller.engine import events as ev
from hall_controller.reports import report_from_journal, to_json

from .conftest import DAY, MIDNIGHT, REPO, SMALL_HALL_TOML, m, play_day


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hall_controller.report_cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def durable_apply(durable: DurableEngine):
    """`apply` as the controller does it: tick and command in one batch, committed before anyone hears."""

    def apply(command, at: float) -> list:
        (result,) = durable.apply([(command, at)])
        if result.refused is not None:
            raise result.refused
        durable.commit()
        return result.events

    return apply


@pytest.fixture
def journal(tmp_path, hall):
    """The hand-made day journalled by the durable engine; (hall file, journal file)."""
    hall_file = tmp_path / "small.toml"
    hall_file.write_text(SMALL_HALL_TOML, encoding="utf-8")
    db = tmp_path / "journal.db"
    durable = DurableEngine(hall, db)
    play_day(durable_apply(durable))
    durable.close()
    return str(hall_file), str(db)


def test_json_is_the_whole_report_of_the_journal(journal, hall):
    hall_file, db = journal
    p = run("--config", hall_file, "--db", db, "--json")
    assert p.returncode == 0 and p.stderr == "", p.stderr
    printed = json.loads(p.stdout)
    expected = to_json(report_from_journal(db, hall, MIDNIGHT, MIDNIGHT + DAY))
    assert printed == json.loads(json.dumps(expected))  # no dates given: every day in the journal
    assert printed["overall"]["issued"] == 6 and printed["overall"]["transfers"] == 1
    assert printed["by_clerk"]["S2"]["served"] == 2


def test_csv_by_clerk_and_by_hour(journal):
    hall_file, db = journal
    p = run("--config", hall_file, "--db", db, "--from", "2026-03-17", "--to", "2026-03-17", "--csv", "--by", "clerk")
    assert p.returncode == 0, p.stderr
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert [(r["clerk"], r["served"], r["transfers"], r["no_shows"]) for r in rows] == [
        ("S1", "3", "1", "0"),
        ("S2", "2", "1", "1"),
    ]
    p = run("--config", hall_file, "--db", db, "--month", "2026-03", "--csv", "--by", "service")
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert [(r["name_zh"], r["issued"]) for r in rows] == [("社保医保", "4"), ("税务综合", "2")]
    p = run("--config", hall_file, "--db", db, "--csv", "--by", "hour")
    assert p.stdout.splitlines()[10].startswith("09:00,6.0,0.92,")


def test_an_empty_period_and_the_text_summary(journal):
    hall_file, db = journal
    p = run("--config", hall_file, "--db", db, "--month", "2026-04", "--json")
    assert p.returncode == 0
    empty = json.loads(p.stdout)
    assert empty["overall"]["issued"] == 0 and empty["overall"]["satisfaction_rate"] is None and empty["days"] == 0
    assert empty["from"] == "2026-04-01T00:00:00+08:00" and empty["to"] == "2026-05-01T00:00:00+08:00"
    p = run("--config", hall_file, "--db", db)
    assert p.returncode == 0 and "6 taken, 5 served" in p.stdout
    assert "social" in p.stdout and "Follow-ups: 2" in p.stdout


def test_the_report_reads_while_the_controller_writes_and_changes_nothing(tmp_path, hall):
    hall_file = tmp_path / "small.toml"
    hall_file.write_text(SMALL_HALL_TOML, encoding="utf-8")
    db = tmp_path / "journal.db"
    durable = DurableEngine(hall, db)
    play_day(durable_apply(durable))
    # the controller is in the middle of a commit: a write transaction is open
    durable.journal.db.execute("BEGIN IMMEDIATE")
    durable.journal.db.execute(
        "INSERT INTO events (at, type, body) VALUES (?, ?, ?)",
        (m(40), "NoticeSet", json.dumps([m(40), "通知", "notice"])),
    )
    p = run("--config", str(hall_file), "--db", str(db), "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["overall"]["served"] == 5
    durable.journal.db.execute("COMMIT")  # the writer was never blocked either
    durable.close()
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    rows = sqlite3.connect(db).execute("SELECT count(*) FROM events").fetchone()[0]
    assert run("--config", str(hall_file), "--db", str(db), "--csv").returncode == 0
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert sqlite3.connect(db).execute("SELECT count(*) FROM events").fetchone()[0] == rows
    assert sqlite3.connect(db).execute("SELECT type FROM events ORDER BY seq DESC LIMIT 1").fetchone()[0] == "NoticeSet"


def test_a_missing_journal_is_not_created(tmp_path, hall):
    hall_file = tmp_path / "small.toml"
    hall_file.write_text(SMALL_HALL_TOML, encoding="utf-8")
    p = run("--config", str(hall_file), "--db", str(tmp_path / "nothing.db"))
    assert p.returncode == 2 and p.stderr.strip() == f"hall report: there is no journal at {tmp_path / 'nothing.db'}"
    assert not (tmp_path / "nothing.db").exists()


@pytest.mark.parametrize(
    "args, needle",
    [
        (
            ("--from", "2026-02-30"),
            "--from: expected a date as YYYY-MM-DD or a time as YYYY-MM-DDTHH:MM, got '2026-02-30'",
        ),
        (("--to", "17/03/2026"), "--to: expected a date as YYYY-MM-DD or a time as YYYY-MM-DDTHH:MM, got '17/03/2026'"),
        (("--from", "2026-03-17T25:00"), "--from: expected a date"),
        (
            ("--from", "2026-03-17T09:30", "--to", "2026-03-17T09:30"),
            "--from 2026-03-17T09:30:00 is not before --to 2026-03-17T09:30:00",
        ),
        (("--from", "20260317"), "--from: expected a date"),
        (("--month", "2026-13"), "--month: expected a month as YYYY-MM, got '2026-13'"),
        (("--month", "2026-3"), "--month: expected a month as YYYY-MM"),
        (("--month", "March"), "--month: expected a month as YYYY-MM"),
        (("--from", "2026-03-18", "--to", "2026-03-17"), "--from 2026-03-18 is after --to 2026-03-17"),
        (("--month", "2026-03", "--from", "2026-03-01"), "give --month or --from/--to, not both"),
        (("--json", "--csv"), "--csv"),
        (("--by", "colour"), "--by"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(journal, args, needle):
    hall_file, db = journal
    p = run("--config", hall_file, "--db", db, *args)
    assert p.returncode == 2 and p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hall report: ") and needle in lines[0], p.stderr


def test_a_file_that_is_not_this_halls_journal(journal, tmp_path, capsys):
    hall_file, db = journal
    assert report_cli.main(["--config", str(REPO / "examples" / "hall.toml"), "--db", db]) == 2
    assert capsys.readouterr().err.strip() == f"hall report: {db} is the journal of hall 'small', not 'xinhua'"
    text = tmp_path / "notes.db"
    text.write_text("not a database, just notes\n" * 100, encoding="utf-8")
    assert report_cli.main(["--config", hall_file, "--db", str(text)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"hall report: {text} is not a hall journal") and "\n" not in err
    assert report_cli.main(["--config", str(tmp_path / "missing.toml"), "--db", db]) == 2
    assert "missing.toml" in capsys.readouterr().err


def test_the_journal_holds_what_the_engine_did(journal):
    """The subprocess reads a journal with real content: the rows are the day's events."""
    _, db = journal
    names = [name for (name,) in sqlite3.connect(db).execute("SELECT type FROM events ORDER BY seq")]
    assert names.count("TicketReserved") == 6 and names.count("TicketTransferred") == 2
    assert names.count("RatingRecorded") == 4 and set(names) <= set(ev.EVENT_TYPES)


def test_a_period_from_any_time_to_any_time(journal, hall):
    """--from/--to with a time: the period starts and ends there (local), the end excluded."""
    hall_file, db = journal
    p = run(
        "--config", hall_file, "--db", db, "--from", "2026-03-17T09:00", "--to", "2026-03-17T09:05:00"[:16], "--json"
    )
    assert p.returncode == 0, p.stderr
    early = json.loads(p.stdout)
    assert (early["from"], early["to"]) == ("2026-03-17T09:00:00+08:00", "2026-03-17T09:05:00+08:00")
    assert early == json.loads(json.dumps(to_json(report_from_journal(db, hall, m(0), m(5)))))
    assert early["overall"]["issued"] == 5  # A001-A004 and B001 were taken before 09:05
    assert early["overall"]["wait_mean_s"] is None  # the first calls came at 09:05: not in it
    p = run("--config", hall_file, "--db", db, "--from", "2026-03-17T09:05", "--to", "2026-03-17", "--json")
    later = json.loads(p.stdout)
    assert later["to"] == "2026-03-18T00:00:00+08:00" and later["overall"]["issued"] == 1
    assert later["by_hour"]["9"]["wait_p95_s"] is not None  # the calls, by the hour they came
