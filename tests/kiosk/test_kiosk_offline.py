"""The controller or the broker away: the kiosk issues from its leased numbers, marks the tickets,
and they are backfilled once, in their real arrival order, with no number given twice."""

from __future__ import annotations

import json

from devices.kiosk.machine import Phase
from devices.link import Received
from hall_controller.engine.model import TicketState
from protocol import topics
from protocol.envelope import make_message
from protocol.topics import Kind

from .conftest import WAIT_S


def _queue(ctl, service: str) -> list[str]:
    """The labels waiting for `service`, in the order they will be called (effective arrival)."""
    waiting = [t for t in list(ctl.engine.state.waiting.tickets()) if t.service == service]
    return [t.label for t in sorted(waiting, key=lambda t: t.key)]


def _controller_has(ctl, labels: list[str]) -> bool:
    have = {t.label: t for t in list(ctl.engine.state.tickets.values())}
    return all(label in have and have[label].state is TicketState.WAITING for label in labels)


def test_fifty_offline_tickets_are_backfilled_once_in_print_order(mosquitto_broker, controller, make_kiosk):
    url = mosquitto_broker.url
    ctl = controller(url)
    rig = make_kiosk(url, "K1", transport="tcp")
    assert rig.online() and rig.leased()
    block = [b for b in rig.program.numbers.blocks if b.service == "social"]
    assert [(b.first, b.last) for b in block] == [(950, 999)]
    before = [rig.press("A", advance=1.0).text for _ in range(3)]
    assert before == ["ticket A001 printed", "ticket A002 printed", "ticket A003 printed"]

    ctl.stop()  # says goodbye: the retained controller state turns offline
    assert rig.step_until(lambda: not rig.program.machine.online(rig.clock()))
    offline = [rig.press("A", advance=1.0) for _ in range(50)]
    assert all(o.text.endswith("printed (offline)") for o in offline)
    printed = [t.label for t in rig.program.printed[3:]]
    assert printed == [f"A{n}" for n in range(950, 1000)]
    assert all(t.face.offline and t.face.wait_s is None and not t.face.qr_url for t in rig.program.printed[3:])
    assert rig.press("A", advance=1.0).text.startswith("not issued: No ticket can be issued right now")
    assert rig.press("B", advance=1.0).text == "ticket B950 printed (offline)"
    assert rig.program.link.unanswered == 51
    assert rig.simulator.wait_for(3 + 50 + 1, WAIT_S)

    ctl.start()
    assert rig.online()
    assert rig.step_until(lambda: rig.program.link.unanswered == 0, timeout=30)
    offline_labels = printed + ["B950"]
    assert _controller_has(ctl, offline_labels)
    after = rig.press("A", advance=1.0)
    assert after.text == "ticket A004 printed"  # online numbering goes on below the leased block
    assert rig.step_until(lambda: _controller_has(ctl, ["A004"]))

    tickets = [t for t in list(ctl.engine.state.tickets.values()) if t.service == "social"]
    assert len(tickets) == 3 + 50 + 1  # every offline ticket exactly once
    assert sorted(t.number for t in tickets) == [1, 2, 3, 4] + list(range(950, 1000))
    assert {t.kiosk for t in tickets} == {"K1"}
    # the queue: those who came before, the fifty in the order they were printed, then the latest
    assert _queue(ctl, "social") == ["A001", "A002", "A003", *printed, "A004"]
    # and the kiosk topped its numbers up again now it is online
    assert rig.step_until(lambda: rig.program.numbers.left("social", rig.program.wall()) > 0)
    assert [(b.first, b.last) for b in rig.program.numbers.blocks if b.service == "social"][-1] == (900, 949)


def test_the_broker_away_the_kiosk_issues_offline_and_backfills_after(mosquitto_broker, controller, make_kiosk):
    url = mosquitto_broker.url
    ctl = controller(url)
    rig = make_kiosk(url, "K1", transport="sim")
    assert rig.online() and rig.leased()
    mosquitto_broker.kill()
    assert rig.step_until(lambda: not rig.program.link.connected)
    outcome = rig.press("C")
    assert outcome.text == "ticket C950 printed (offline)"
    view = rig.program.machine.view(rig.clock())
    assert view.page is Phase.TAKE and view.offline and view.ticket.offline
    mosquitto_broker.start()
    assert rig.step_until(lambda: rig.program.link.unanswered == 0, timeout=30)
    assert _controller_has(ctl, ["C950"])


def test_a_controller_that_does_not_answer_means_offline_at_once(mosquitto_broker, controller, make_kiosk, mqtt_peer):
    url = mosquitto_broker.url
    ctl = controller(url)
    rig = make_kiosk(url, "K1", transport="sim", request_timeout=1.0)
    assert rig.online() and rig.leased()
    ctl.stop()
    # a controller that died without its last will yet: its retained state still says online
    ghost = mqtt_peer(url, "ghost")
    ghost.publish(
        topics.controller_state("xinhua"),
        make_message("controller.state", {"online": True, "since": "2026-11-21T00:00:00.000Z"}),
        retain=True,
    )
    assert rig.step_until(
        lambda: rig.program.machine.controller_online is True and rig.program.machine.online(rig.clock())
    )
    assert rig.press("D").text == "ticket D950 printed (offline)"  # after the request timed out
    assert not rig.program.machine.online(rig.clock())
    assert rig.press("D").text == "ticket D951 printed (offline)"  # straight away this time
    ctl.start()
    assert rig.step_until(lambda: rig.program.link.unanswered == 0, timeout=30)
    assert _controller_has(ctl, ["D950", "D951"])


def test_a_reservation_answered_too_late_is_voided(mosquitto_broker, controller, make_kiosk):
    url = mosquitto_broker.url
    ctl = controller(url)
    rig = make_kiosk(url, "K1", transport="sim")
    assert rig.online()
    # the controller reserved a number but its reply came after the kiosk had given up
    reply = rig.program.link.request("ticket.request", {"service": "tax"})
    ticket_id = reply.body["ticket"]["id"]
    assert ctl.engine.state.tickets[ticket_id].state is TicketState.RESERVED
    rig.running.inbox.put(Received(Kind.DOWN, reply))
    assert rig.step_until(lambda: ctl.engine.state.tickets[ticket_id].state is TicketState.VOIDED)
    assert not rig.program.printed


def test_leased_numbers_survive_a_restart_and_are_never_reused(mosquitto_broker, controller, make_kiosk, tmp_path):
    url = mosquitto_broker.url
    ctl = controller(url)
    state = tmp_path / "kept"
    rig = make_kiosk(url, "K1", transport="sim", state_dir=state)
    assert rig.online() and rig.leased()
    ctl.stop()
    assert rig.step_until(lambda: not rig.program.machine.online(rig.clock()))
    assert rig.press("E").text == "ticket E950 printed (offline)"
    rig.close()
    saved = json.loads((state / "offline.json").read_text())
    assert {b["service"]: b["next"] for b in saved["blocks"]}["business"] == 951

    again = make_kiosk(url, "K1", transport="sim", state_dir=state)  # the controller is still away
    assert again.step_until(lambda: again.program.link.connected)
    assert again.step_until(lambda: again.program.machine.controller_online is False)
    assert again.press("E").text == "ticket E951 printed (offline)"
    ctl.start()
    assert again.step_until(lambda: again.program.link.unanswered == 0, timeout=30)  # the first kiosk's too
    assert _controller_has(ctl, ["E950", "E951"])


def test_offline_tickets_count_the_people_the_kiosk_knows_are_ahead(mosquitto_broker, controller, make_kiosk):
    url = mosquitto_broker.url
    ctl = controller(url)
    rig = make_kiosk(url, "K1", transport="sim")
    assert rig.online() and rig.leased()
    for _ in range(2):
        rig.press("B", advance=1.0)
    assert rig.step_until(lambda: rig.program.machine.waiting.get("property") == 2)
    ctl.stop()
    assert rig.step_until(lambda: not rig.program.machine.online(rig.clock()))
    rig.press("B", advance=1.0), rig.press("B", advance=1.0)
    assert [t.face.ahead for t in rig.program.printed[2:]] == [2, 3]
    assert "wait not known yet" in rig.program.machine.view(rig.clock()).ticket.wait_words.en
