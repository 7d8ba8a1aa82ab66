"""The controller as the hall runs it, a process of its own (`python -m hall controller`), killed
with SIGKILL in the middle of a burst of ticket requests and started again on the same journal.

Every ticket a kiosk got a reply for is in the journal, none twice, and the numbering goes on
after the restart without reusing a number issued before the crash. The retained
controller.state says online=false when the process dies (its last will) and online=true when it
is back. The restart time is measured and printed, never asserted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devices.link import ReplyTimeout
from hall import config
from hall_controller.engine import events as ev
from hall_controller.journal import Journal
from protocol import topics
from protocol.envelope import decode

from .conftest import HALL

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "hall.toml"
SERVICES = ("social", "property", "fund", "tax", "business")
BURST = 400
WINDOW = 40  # requests in flight at most, so the kill lands in the middle of the burst
KILL_AFTER = 150  # replies


@pytest.fixture
def controller_process(tmp_path) -> Iterator[Callable[[str], subprocess.Popen]]:
    """Factory: `controller_process(url)` starts `python -m hall controller` on tmp_path/journal.db."""
    started: list[subprocess.Popen] = []

    def start(url: str) -> subprocess.Popen:
        with open(tmp_path / f"controller-{len(started)}.log", "wb") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "hall",
                    "controller",
                    "--config",
                    str(EXAMPLE),
                    "--broker",
                    url,
                    "--db",
                    str(tmp_path / "journal.db"),
                    "--log-level",
                    "WARNING",
                    "--web",
                    "off",
                ],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)


class Presence:
    """Follows the retained controller.state: `wait(online)` returns once it says so."""

    def __init__(self, peer):
        self.states: list[bool] = []
        self._changed = threading.Condition()
        peer.on_message = self._heard
        peer.subscribe(topics.controller_state(HALL))

    def _heard(self, peer, mqtt_message) -> None:
        with self._changed:
            self.states.append(decode(mqtt_message.payload).body["online"])
            self._changed.notify_all()

    def wait(self, online: bool, timeout: float = 20.0) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: self.states and self.states[-1] is online, timeout), (
                f"controller.state never said online={online} (it said {self.states})"
            )


def serving(caller) -> None:
    """Wait until the controller answers (a counter.status is harmless to ask again)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            caller.request("counter.status", timeout=0.2)
            return
        except ReplyTimeout:
            assert time.monotonic() < deadline, "the controller never answered"


def read_journal(db: Path):
    hall = config.load(EXAMPLE)
    journal = Journal(db, hall)
    try:
        return [e for e in journal.events() if isinstance(e, ev.TicketReserved)], journal.load_state(hall)
    finally:
        journal.close()


def test_replied_tickets_survive_sigkill_and_numbers_go_on(
    broker_url, controller_process, hall_device, mqtt_peer, tmp_path, request
):
    presence = Presence(mqtt_peer(broker_url, "web"))
    process = controller_process(broker_url)
    kiosk, caller = hall_device(broker_url, "K1"), hall_device(broker_url, "C1")
    presence.wait(online=True)
    serving(caller)

    sent: list[str] = []
    killed = threading.Event()

    def burst():
        for i in range(BURST):
            while not killed.is_set() and len(kiosk.seen.replies()) < i - WINDOW:
                kiosk.seen.wait_for(lambda _: killed.is_set(), 0.05)
            if killed.is_set():
                return
            sent.append(kiosk.send("ticket.request", {"service": SERVICES[i % len(SERVICES)]}).id)

    sender = threading.Thread(target=burst)
    sender.start()
    assert kiosk.seen.wait_for(lambda _: len(kiosk.seen.replies()) >= KILL_AFTER, 20), "the burst stalled"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
    killed.set()
    sender.join(10)
    presence.wait(online=False)

    replies = kiosk.seen.replies()
    assert set(replies) <= set(sent) and all(r.ok and r.type == "ticket.request" for r in replies.values())
    acknowledged = [r.body["ticket"] for r in replies.values()]
    assert KILL_AFTER <= len(acknowledged) < BURST, "the kill did not land in the middle of the burst"
    reserved, state = read_journal(tmp_path / "journal.db")
    assert len({t["id"] for t in acknowledged}) == len(acknowledged), "two replies gave the same ticket"
    assert Counter(e.ticket for e in reserved).most_common(1)[0][1] == 1, "a ticket was journalled twice"
    for ticket in acknowledged:
        kept = state.tickets.get(ticket["id"])
        assert kept is not None, f"ticket {ticket['label']} was acknowledged, then lost"
        assert (kept.label, kept.service, kept.number) == (ticket["label"], ticket["service"], ticket["number"])
    before = {s: {e.number for e in reserved if e.service == s} for s in SERVICES}

    started = time.perf_counter()
    again = controller_process(broker_url)
    presence.wait(online=True)
    restart_s = time.perf_counter() - started
    serving(caller)
    answering_s = time.perf_counter() - started
    broker = request.node.callspec.params["broker_url"]
    print(
        f"\ncontroller restart after SIGKILL [{broker}]: online after {restart_s:.2f} s, first reply within "
        f"{answering_s:.2f} s ({len(reserved)} tickets in the journal, {len(acknowledged)} of them acknowledged)"
    )

    after = {}
    for service in SERVICES:
        ticket = kiosk.request("ticket.request", {"service": service}).body["ticket"]
        assert ticket["number"] == max(before[service]) + 1, f"{service} did not go on from its last number"
        after[ticket["id"]] = ticket
    again.terminate()
    assert again.wait(10) == 0

    reserved, state = read_journal(tmp_path / "journal.db")
    assert Counter(e.ticket for e in reserved).most_common(1)[0][1] == 1, "a ticket was journalled twice"
    for service in SERVICES:
        numbers = [e.number for e in reserved if e.service == service]
        assert len(numbers) == len(set(numbers)), f"a {service} number was issued twice"
    assert {t["id"] for t in acknowledged} | set(after) <= set(state.tickets)


def test_controller_state_is_offline_while_the_controller_is_dead(broker_url, controller_process, mqtt_peer):
    presence = Presence(mqtt_peer(broker_url, "web"))
    process = controller_process(broker_url)
    presence.wait(online=True)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
    presence.wait(online=False)  # its last will
    latecomer = Presence(mqtt_peer(broker_url, "screen"))
    latecomer.wait(online=False)  # retained for whoever looks later

    process = controller_process(broker_url)
    presence.wait(online=True)
    Presence(mqtt_peer(broker_url, "kiosk")).wait(online=True)
    process.terminate()  # a clean stop says goodbye the same way
    assert process.wait(10) == 0
    presence.wait(online=False)
