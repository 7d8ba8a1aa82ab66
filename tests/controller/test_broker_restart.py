"""The broker dies and comes back while a kiosk backfills the tickets it issued offline: every one
arrives exactly once. Only a spawned mosquitto can be killed, so this runs on mosquitto alone.

The kiosk sends through its outbox (`send_durable`), which resends until the controller answers;
the controller counts each message once by its id. A spy on the kiosk's down topic sees every
copy of every reply: a resent message must get the very same reply (the same reply id), never a
second processing. Resends after a lost reply are rare on loopback, so the test also makes some
for sure: the kiosk loses power during the outage and comes back with its outbox as it was then,
so everything it had not yet heard answered goes out again.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import defaultdict
from contextlib import closing

from hall import clock as hall_clock
from hall_controller.engine import events as ev
from protocol import topics
from protocol.envelope import decode, format_epoch

from .conftest import HALL, wait_until

BLOCK = 50  # examples/hall.toml: offline_block


def test_offline_backfill_arrives_exactly_once_across_a_broker_restart(
    mosquitto_broker, controller, hall_device, mqtt_peer, tmp_path
):
    url = mosquitto_broker.url
    ctl = controller(url)
    kiosk = hall_device(url, "K1", outbox=tmp_path / "kiosk.db")
    copies: dict[str, list[bytes]] = defaultdict(list)  # request id -> every reply payload seen for it
    lock = threading.Lock()

    def record(peer, mqtt_message):
        with lock:
            copies[decode(mqtt_message.payload).re].append(mqtt_message.payload)

    spy = mqtt_peer(url, "spy")
    spy.on_message = record
    spy.subscribe(topics.device_down(HALL, "K1"))

    block = kiosk.request("offline.lease", {"service": "social"}).body["block"]
    numbers = list(range(block["first"], block["last"] + 1))
    assert len(numbers) == BLOCK

    def backfill(number):
        ticket = {"service": "social", "number": number, "class": "normal", "issued_at": format_epoch(hall_clock.now())}
        return kiosk.send_durable("offline.backfill", {"tickets": [ticket]})

    # The kiosk works through its backfill at a steady pace; the broker is killed once a few are
    # answered, so some are on their way when it dies and more are written while it is away.
    sent, restarted = [], threading.Event()

    def steady():
        for n in numbers:
            sent.append(backfill(n))
            restarted.wait(0.005)

    sender = threading.Thread(target=steady)
    sender.start()
    wait_until(lambda: len(kiosk.seen.replies()) >= 15, "the first backfills answered")
    mosquitto_broker.kill()
    wait_until(lambda: not kiosk.connected, "the kiosk notices the broker is gone")
    wait_until(lambda: not ctl.gateway.connected.is_set(), "the controller notices the broker is gone")
    wait_until(lambda: len(sent) >= 40, "the kiosk goes on issuing during the outage")
    with (
        closing(sqlite3.connect(tmp_path / "kiosk.db")) as disk,
        closing(sqlite3.connect(tmp_path / "kiosk-at-power-cut.db")) as copy,
    ):
        disk.backup(copy)  # the kiosk's outbox as a power cut would leave it
    mosquitto_broker.start()
    restarted.set()
    sender.join()
    wait_until(lambda: kiosk.unanswered == 0, "every backfill answered", timeout=30)

    replies = kiosk.seen.replies()
    for message, number in zip(sent, numbers):
        reply = replies[message.id]
        assert reply.ok and reply.body["results"] == [
            {"ok": True, "service": "social", "number": number, "ticket": f"{block['day']}-A{number}"}
        ]

    # The kiosk after its power cut: everything not answered at that moment goes out again.
    assert spy.wait_connected()
    spy.subscribe(topics.device_down(HALL, "K1"))  # and wait for the SUBACK: its own re-subscription is not waited for
    revived = hall_device(url, "K1", outbox=tmp_path / "kiosk-at-power-cut.db")
    resent = revived.unanswered
    assert resent >= 20
    wait_until(lambda: revived.unanswered == 0, "every resent backfill answered", timeout=30)
    for request_id, reply in revived.seen.replies().items():
        assert reply.id == replies[request_id].id, "a resent backfill got a new reply"

    offline = sorted(t.number for t in ctl.engine.state.tickets.values() if t.offline)
    assert offline == numbers
    assert ctl.engine.state.waiting.count["social"] == BLOCK
    with closing(sqlite3.connect(ctl.db)) as db:
        issued = [
            ev.decode(name, body).ticket
            for name, body in db.execute("SELECT type, body FROM events WHERE type = 'TicketIssuedOffline'")
        ]
    assert len(issued) == len(set(issued)) == BLOCK

    def resent_copies_seen() -> bool:  # the spy is another client: its copies may come after the kiosk's
        with lock:
            return sum(len(payloads) > 1 for payloads in copies.values()) >= resent

    wait_until(resent_copies_seen, "the spy saw every resent backfill answered again")
    with lock:
        for request_id, payloads in copies.items():
            assert len(set(payloads)) == 1, f"a resent {request_id} was processed again instead of answered"


def test_the_board_is_retained_again_after_a_broker_restart_lost_it(mosquitto_broker, controller, mqtt_peer):
    """The broker keeps no persistence here, so its restart loses the retained board: the controller
    gives it again on reconnecting, and a screen switched on afterwards still finds one at once."""
    url, board = mosquitto_broker.url, topics.board(HALL)
    ctl = controller(url)
    screen = mqtt_peer(url, "screen")
    screen.subscribe(board)
    before = decode(screen.expect(topic=board).payload).body
    mosquitto_broker.kill()
    wait_until(lambda: not ctl.gateway.connected.is_set(), "the controller notices the broker is gone")
    mosquitto_broker.start()
    wait_until(ctl.gateway.connected.is_set, "the controller is back on the broker")

    late = mqtt_peer(url, "late-screen")
    late.subscribe(board)
    again = late.expect(topic=board)
    assert again.retain, "a screen switched on after the restart gets the board at once"
    assert decode(again.payload).body == before
