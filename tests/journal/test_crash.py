"""Kill -9 in the middle of a burst: what was acknowledged survives, nothing twice, no number reused."""

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from hall import config
from hall_controller.engine import events as ev
from hall_controller.journal import Journal

EXAMPLE = Path(__file__).parents[2] / "examples" / "hall.toml"
WORKER = Path(__file__).with_name("worker.py")


def start_worker(db: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), str(EXAMPLE), str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=Path(__file__).parents[2],
    )
    assert proc.stdout.readline().strip() == b"ready"
    return proc


def burst(n: int, start: int = 0) -> bytes:
    lines = []
    for i in range(start, start + n):
        service = ("social", "property", "fund", "tax", "business")[i % 5]
        lines.append(json.dumps({"n": i, "cmd": "RequestTicket", "args": {"service": service, "kiosk": "K1"}}))
    return ("\n".join(lines) + "\n").encode()


def feed(proc: subprocess.Popen, data: bytes) -> None:
    try:
        proc.stdin.write(data)
        proc.stdin.flush()
    except BrokenPipeError:
        pass  # the worker was killed mid-burst: that is the point


def stop(proc: subprocess.Popen) -> None:
    for pipe in (proc.stdin, proc.stdout):
        try:
            pipe.close()
        except BrokenPipeError:
            pass
    proc.wait(timeout=10)


def reserved_events(db: Path):
    hall = config.load(EXAMPLE)
    journal = Journal(db, hall)
    try:
        return [e for e in journal.events() if isinstance(e, ev.TicketReserved)], journal.load_state(hall)
    finally:
        journal.close()


def test_acknowledged_tickets_survive_sigkill_and_numbers_are_never_reused(tmp_path):
    db = tmp_path / "journal.db"
    proc = start_worker(db)
    writer = threading.Thread(target=feed, args=(proc, burst(5000)), daemon=True)
    writer.start()
    acked = []
    while len(acked) < 1500:
        line = proc.stdout.readline().split()
        assert line, "worker died before the kill"
        assert line[1] == b"ok"
        acked.append(line[2].decode())
    os.kill(proc.pid, signal.SIGKILL)
    writer.join(timeout=10)
    stop(proc)

    reserved, state = reserved_events(db)
    ids = [e.ticket for e in reserved]
    assert len(ids) == len(set(ids)), "a ticket was journalled twice"
    assert set(acked) <= set(ids), "an acknowledged ticket was lost"
    assert set(acked) <= set(state.tickets), "the rebuilt engine lost an acknowledged ticket"
    assert len(reserved) < 5000, "the kill came too late to test anything"
    highest = {}
    for e in reserved:
        highest[e.service] = max(highest.get(e.service, 0), e.number)

    proc = start_worker(db)
    feed(proc, burst(50, start=10_000))
    proc.stdin.close()
    after = [proc.stdout.readline().split()[2].decode() for _ in range(50)]
    stop(proc)
    reserved_again, _ = reserved_events(db)
    by_id = {e.ticket: e for e in reserved_again}
    for ticket in after:
        e = by_id[ticket]
        assert e.number > highest[e.service], f"{ticket} reuses a number issued before the crash"
    all_ids = [e.ticket for e in reserved_again]
    assert len(all_ids) == len(set(all_ids))
