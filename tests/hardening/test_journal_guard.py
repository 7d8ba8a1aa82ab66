"""The journal guard with a real controller process: a deleted, emptied, damaged or swapped
journal is refused at start with one sentence (and left as it was); `--new-journal` starts a
genuinely new hall whose tickets can never open an old ticket's page; a journal restored from a
copy (the same journal id) is accepted."""

from __future__ import annotations

import shutil
import sqlite3
import stat
import subprocess
import sys

import pytest

from hall_controller import history
from protocol import envelope
from tests.conftest import EXAMPLE_HALL

from .conftest import wait_until

HALL = "xinhua"


@pytest.fixture
def hall_run(mosquitto_broker, hall_controller, mqtt_peer, tmp_path):
    """run(*extra) starts `hall controller` on tmp_path/journal.db; tickets(n) issues n tickets."""
    journal = tmp_path / "journal.db"
    kiosk = mqtt_peer(mosquitto_broker.url, "kiosk")
    kiosk.subscribe(f"hall/{HALL}/dev/K1/down")
    onlines: list[bool] = []
    watch = mqtt_peer(mosquitto_broker.url, "watch")
    watch.on_message = lambda peer, m: onlines.append(b'"online":true' in m.payload)
    watch.subscribe(f"hall/{HALL}/controller/state")

    def run(*extra: str):
        seen = sum(onlines)
        controller = hall_controller(
            "--config",
            str(EXAMPLE_HALL),
            "--broker",
            mosquitto_broker.url,
            "--db",
            str(journal),
            "--web",
            "off",
            *extra,
        )
        controller.online = lambda: sum(onlines) > seen  # subscribed, so no request is lost
        return controller

    def tickets(n: int) -> list[dict]:
        issued = []
        for _ in range(n):
            request = envelope.make_message("ticket.request", {"service": "social"})
            kiosk.publish(f"hall/{HALL}/dev/K1/up", request)
            reply = envelope.decode(
                kiosk.expect(
                    topic=f"hall/{HALL}/dev/K1/down", where=lambda m: envelope.decode(m.payload).re == request.id
                ).payload
            )
            assert reply.ok, reply
            issued.append(reply.body["ticket"])
        return issued

    return journal, run, tickets


def started(controller) -> None:
    wait_until(lambda: controller.online() or controller.process.poll() is not None, "the controller to start")
    assert controller.process.poll() is None, controller.text()


def refused(controller, *words: str) -> str:
    assert controller.finish() == 2, controller.text()
    err = "\n".join(controller.err)
    assert err.startswith("hall controller: ") and err.count("\n") == 0, err
    for word in words:
        assert word in err, err
    return err


def test_a_deleted_or_emptied_journal_is_refused_never_a_fresh_day(hall_run):
    journal, run, tickets = hall_run
    first = run()
    started(first)
    old = tickets(3)
    assert [t["label"] for t in old] == ["A001", "A002", "A003"]
    assert first.stop() == 0
    marker = history.read(history.marker_path(journal))
    assert marker.last_seq > 0 and marker.next_numbers["social"] == 4

    journal.unlink()
    err = refused(run(), "is missing or empty", "hall restore", "--new-journal", "last numbers social 3")
    assert not journal.exists(), "nothing was created in its place"

    journal.write_bytes(b"")  # emptied
    refused(run(), "is missing or empty")
    assert journal.read_bytes() == b"", "the emptied file was left as it was"

    # a genuinely new hall: A001 again, but its QR page is not the old A001's
    journal.unlink()
    new = run("--new-journal")
    started(new)
    (again,) = tickets(1)
    assert again["label"] == "A001" and again["id"] == old[0]["id"]
    assert again["status_url"] != old[0]["status_url"]
    assert new.stop() == 0
    assert history.read(history.marker_path(journal)).journal_id != marker.journal_id
    assert "missing or empty" in err


def test_a_journal_with_events_cannot_be_replaced_by_new_journal(hall_run):
    journal, run, tickets = hall_run
    first = run()
    started(first)
    tickets(1)
    assert first.stop() == 0
    refused(run("--new-journal"), "holds", "move it away first")


@pytest.mark.parametrize("where", ["last", "middle"])
def test_a_zeroed_page_is_refused_at_start_with_what_to_do(hall_run, where):
    journal, run, tickets = hall_run
    first = run()
    started(first)
    tickets(40)
    assert first.stop() == 0
    size = journal.stat().st_size
    page = sqlite3.connect(journal).execute("PRAGMA page_size").fetchone()[0]
    assert size >= 4 * page
    with open(journal, "r+b") as f:  # zero one page of the file
        f.seek(size - page if where == "last" else (size // page // 2) * page)
        f.write(b"\0" * page)
    damaged = journal.read_bytes()
    refused(run(), "is damaged", "hall restore", "keep the damaged file")
    assert journal.read_bytes() == damaged, "not written on"
    report = subprocess.run(
        [sys.executable, "-m", "hall.cli", "report", "--config", str(EXAMPLE_HALL), "--db", str(journal)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert report.returncode in (0, 2) and "Traceback" not in report.stderr, report.stderr


def test_a_restored_journal_passes_and_a_swapped_one_does_not(hall_run, tmp_path):
    journal, run, tickets = hall_run
    first = run()
    started(first)
    tickets(2)
    assert first.stop() == 0
    copy = tmp_path / "copy.db"
    shutil.copy(journal, copy)  # the district copy: the same journal, behind the hall
    second = run()
    started(second)
    tickets(2)
    assert second.stop() == 0

    shutil.copy(copy, journal)  # `hall restore` puts the copy back
    restored = run()
    started(restored)
    assert "events are missing" in restored.text()
    (next_ticket,) = tickets(1)
    assert next_ticket["label"] == "A003", "numbering goes on from the restored journal"
    assert restored.stop() == 0

    other = tmp_path / "other.db"  # another hall's past (another journal id) put in its place
    db = sqlite3.connect(journal)
    db.execute("UPDATE meta SET value = 'ffffffffffffffffffffffffffffffff' WHERE key = 'journal_id'")
    db.commit()
    db.close()
    refused(run(), "is journal ffffffff", "put the hall's own journal back")
    assert not other.exists()


def test_the_journal_and_marker_are_private(hall_run):
    journal, run, tickets = hall_run
    first = run()
    started(first)
    tickets(1)
    for path in (journal, history.marker_path(journal)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert first.stop() == 0
