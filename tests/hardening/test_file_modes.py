"""What the hall writes about its citizens and its devices is its own: the journal, the history
marker, device outboxes, leased offline numbers and the web's users are created 0600, even under
a permissive umask (a technician's shell with umask 000)."""

from __future__ import annotations

import os
import stat

import pytest

from devices.kiosk.offline import OfflineNumbers
from devices.outbox import Outbox
from hall_controller import history
from hall_controller.durable import DurableEngine
from hall_controller.web.users import UsersStore
from protocol.envelope import make_message


@pytest.fixture
def open_umask():
    old = os.umask(0)
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_everything_private_is_created_0600(tmp_path, example_hall, open_umask):
    durable = DurableEngine(example_hall, tmp_path / "journal.db")
    from hall_controller.engine import commands as c

    durable.apply([(c.ReportDevice("K1", True, "ok", None), 1.0e9)])
    durable.commit()
    outbox = Outbox(tmp_path / "outbox.db")
    outbox.put(make_message("rating.submit", {"prompt": "p", "level": 4, "pressed_at": "2026-12-04T01:00:00.000Z"}))
    numbers = OfflineNumbers(tmp_path / "offline.json", example_hall, "K1")
    numbers.add("social", "20261204", 950, 999)
    UsersStore(tmp_path / "users.db")
    paths = [
        tmp_path / "journal.db",
        tmp_path / "journal.db-wal",
        history.marker_path(tmp_path / "journal.db"),
        tmp_path / "outbox.db",
        tmp_path / "outbox.db-wal",
        tmp_path / "offline.json",
        tmp_path / "users.db",
    ]
    try:
        assert {str(p.name): oct(mode(p)) for p in paths} == {str(p.name): oct(0o600) for p in paths}
    finally:
        durable.close()
        outbox.close()
