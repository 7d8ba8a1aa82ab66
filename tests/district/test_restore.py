"""`hall restore`: a hall's journal rebuilt from the district; the controller started on it
continues the day's numbering, and no ticket id (so no QR status link) is used twice."""

from __future__ import annotations

import json
from pathlib import Path

from district_support import DAY, hall_command, role_dsn, ship_all

from district.verify import digest_journal
from hall_controller.durable import DurableEngine
from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev
from hall_controller.views import status_token


def tickets_in(journal: Path) -> dict[str, ev.TicketReserved]:
    import sqlite3

    db = sqlite3.connect(journal)
    rows = db.execute("SELECT body FROM events WHERE type = 'TicketReserved' ORDER BY seq").fetchall()
    db.close()
    return {t.ticket: t for t in (ev.TicketReserved(*json.loads(body)) for (body,) in rows)}


def test_restore_continues_the_numbering(district_dsn, example_hall, day_journal, tmp_path):
    journal = tmp_path / "hall" / "journal.db"
    journal.parent.mkdir()
    day_journal(journal, DAY)
    dsn, password = role_dsn(district_dsn, example_hall)
    ship_all(journal, dsn, password)
    before = digest_journal(journal)
    issued = tickets_in(journal)
    last = max(t.at for t in issued.values())
    for suffix in ("", "-wal", "-shm"):
        Path(f"{journal}{suffix}").unlink(missing_ok=True)  # the box died with its disk

    done = hall_command(
        "restore", "--hall", example_hall.id, "--from-district", dsn, "--db", str(journal), env={"PGPASSWORD": password}
    )
    assert done.returncode == 0, done.stderr
    assert f"restored {before[0]:,} events" in done.stdout
    assert digest_journal(journal) == before

    durable = DurableEngine(example_hall, journal)  # the controller restarted on it
    try:
        service = next(iter(example_hall.services))
        numbers = [t.number for t in issued.values() if t.service == service]
        events = durable.engine.handle(cmd.RequestTicket(service=service), last + 60)
        durable.journal.append(events)
        durable.journal.commit()
        new = next(e for e in events if isinstance(e, ev.TicketReserved))
        assert new.number == max(numbers) + 1
        assert new.ticket not in issued
        secret = b"k" * 32
        assert status_token(secret, new.ticket) not in {status_token(secret, t) for t in issued}
    finally:
        durable.close()

    again = hall_command(
        "restore", "--hall", example_hall.id, "--from-district", dsn, "--db", str(journal), env={"PGPASSWORD": password}
    )
    assert again.returncode == 2
    assert (
        again.stderr.strip() == f"hall restore: {journal} already holds a journal: move it away first "
        "(a restore never overwrites one)"
    )
    assert tickets_in(journal).keys() == {*issued, new.ticket}


def test_restore_refuses_a_password_on_the_command_line(tmp_path):
    done = hall_command(
        "restore", "--hall", "x", "--from-district", "host=127.0.0.1 password=hunter2", "--db", str(tmp_path / "j.db")
    )
    assert done.returncode == 2
    assert "hunter2" not in done.stderr and "PGPASSFILE" in done.stderr
    assert not (tmp_path / "j.db").exists()


def test_restore_of_an_unknown_hall_writes_nothing(district_dsn, tmp_path):
    done = hall_command("restore", "--hall", "nowhere", "--from-district", district_dsn, "--db", str(tmp_path / "j.db"))
    assert done.returncode == 2
    assert done.stderr.strip() == "hall restore: the district has no hall 'nowhere' (or this role may not read it)"
    assert list(tmp_path.iterdir()) == []
