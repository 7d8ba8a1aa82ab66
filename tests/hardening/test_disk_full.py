"""A full disk under a real controller process, on a real tmpfs of a few megabytes: requests get
`unavailable` (nothing is done, nothing acknowledged that is not journalled), the log gets one
line, not a traceback a round; the controller recovers by itself when space returns; SIGTERM
while full exits cleanly, and everything acknowledged is there at the next start."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import uuid
from pathlib import Path

import pytest

from protocol import envelope
from tests.conftest import EXAMPLE_HALL

HALL = "xinhua"


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB tmpfs (needs the right to mount: root in the test container)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", str(disk)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=True)


def fill(disk: Path) -> Path:
    """Fill the disk to the last byte; the filler's path (remove it to give the space back)."""
    filler = disk / f"filler-{uuid.uuid4().hex[:6]}"
    with open(filler, "wb", buffering=0) as f:
        block = b"\0" * 65536
        try:
            while True:
                f.write(block)
        except OSError as e:
            assert e.errno == errno.ENOSPC
        try:
            while True:
                f.write(b"\0")
        except OSError:
            pass
    return filler


def test_a_full_disk_is_refused_logged_once_recovered_and_survives_sigterm(
    small_disk, mosquitto_broker, hall_controller, mqtt_peer
):
    journal = small_disk / "journal.db"
    args = ["--config", str(EXAMPLE_HALL), "--broker", mosquitto_broker.url, "--db", str(journal), "--web", "off"]
    kiosk = mqtt_peer(mosquitto_broker.url, "kiosk")
    kiosk.subscribe(f"hall/{HALL}/dev/K1/down", f"hall/{HALL}/controller/state")

    def online():
        kiosk.expect(topic=f"hall/{HALL}/controller/state", where=lambda m: b'"online":true' in m.payload)

    def ask() -> envelope.Message:
        request = envelope.make_message("ticket.request", {"service": "social"})
        kiosk.publish(f"hall/{HALL}/dev/K1/up", request)
        return envelope.decode(
            kiosk.expect(
                topic=f"hall/{HALL}/dev/K1/down", where=lambda m: envelope.decode(m.payload).re == request.id
            ).payload
        )

    controller = hall_controller(*args)
    online()
    acknowledged = [ask().body["ticket"]["label"] for _ in range(3)]
    filler = fill(small_disk)
    replies = []
    for _ in range(300):  # until the WAL must grow and cannot
        reply = ask()
        replies.append(reply)
        if reply.ok:
            acknowledged.append(reply.body["ticket"]["label"])
        else:
            break
    refused = replies[-1]
    assert not refused.ok and refused.error.code == "unavailable", refused
    assert "disk is full" in refused.error.message
    for _ in range(20):  # every round while full: refused, never a traceback
        reply = ask()
        assert not reply.ok and reply.error.code == "unavailable"
    log = controller.text()
    assert "Traceback" not in log
    assert log.count("requests are answered `unavailable`") == 1, log[-3000:]

    os.unlink(filler)  # space returns: the controller recovers by itself
    recovered = ask()
    assert recovered.ok, recovered
    acknowledged.append(recovered.body["ticket"]["label"])
    assert "the journal is written again" in controller.text()

    filler = fill(small_disk)  # full again, and SIGTERM: a clean exit with what was committed
    controller.process.send_signal(signal.SIGTERM)
    assert controller.stop() == 0, controller.text()[-3000:]
    assert "Traceback" not in controller.text()

    os.unlink(filler)
    again = hall_controller(*args)
    online()
    following = ask()
    assert following.ok
    numbers = [int(label[1:]) for label in acknowledged]
    assert numbers == list(range(1, len(numbers) + 1)), "every acknowledged ticket once, in order"
    assert following.body["ticket"]["label"] == f"A{len(numbers) + 1:03d}", "none lost, none twice"
    assert again.stop() == 0
