"""A press becomes a printed, confirmed ticket; a print that fails voids its number; a printer in
trouble stops the kiosk issuing until it recovers. Real broker, real controller, real kiosk
program on mock pins, the simulated printer behind a real socket (or pty)."""

from __future__ import annotations

import json

import pytest
from PIL import Image, ImageChops

from devices.kiosk.faces import printable
from devices.kiosk.machine import Phase
from devices.kiosk.ticket import render_ticket
from devices.link import DeviceLink, Refused
from drivers.gpio import Held, Released
from drivers.printer import TicketPrinter
from hall_controller.engine.model import TicketState
from protocol import topics

from .conftest import WAIT_S


def _waiting(ctl, ticket_id: str) -> bool:
    t = ctl.engine.state.tickets.get(ticket_id)
    return t is not None and t.state is TicketState.WAITING


def _same_picture(paper: Image.Image, face: Image.Image) -> bool:
    """The paper shows the rendered face, then only the blank feed before the cut."""
    paper, face = paper.convert("L"), face.convert("L")
    if paper.width != face.width or paper.height < face.height:
        return False
    top = paper.crop((0, 0, face.width, face.height))
    feed = paper.crop((0, face.height, paper.width, paper.height))
    return ImageChops.difference(top, face).getbbox() is None and feed.getextrema() == (255, 255)


def test_a_press_prints_the_ticket_and_confirms_it(broker_url, controller, make_kiosk, tmp_path):
    ctl = controller(broker_url)
    rig = make_kiosk(broker_url, "K1", transport="tcp")
    assert rig.online()

    outcome = rig.press("B")
    assert outcome.text == "ticket B001 printed"
    issued = rig.program.printed[-1]
    assert (issued.label, issued.service, issued.klass, issued.offline) == ("B001", "property", "normal", False)
    # the controller has it waiting (confirmed through the outbox), with the label printed
    assert rig.step_until(lambda: _waiting(ctl, issued.ticket_id))
    assert ctl.engine.state.tickets[issued.ticket_id].label == "B001"
    assert rig.step_until(lambda: rig.program.link.unanswered == 0)

    # the paper: decoded from the bytes the printer took, the same picture as the face rendered
    [ticket] = rig.simulator.wait_for(1, WAIT_S)
    png = rig.simulator.out_dir / "ticket-0001.png"
    assert png.exists()
    with Image.open(png) as paper:
        assert _same_picture(paper, render_ticket(issued.face, 80, False))
    assert not ticket.paper.unknown
    face = issued.face
    assert face.service_name.en == "Property Registration" and face.ahead == 0 and not face.offline
    assert face.qr_url.startswith("http://hall.local:8080/t/")
    assert face.materials == rig.hall.services["property"].materials
    assert rig.program.machine.phase is Phase.TAKE


def test_people_ahead_and_priority_come_from_the_controller(mosquitto_broker, controller, make_kiosk):
    ctl = controller(mosquitto_broker.url)
    rig = make_kiosk(mosquitto_broker.url, "K1", transport="sim")
    assert rig.online()
    for _ in range(3):
        rig.press("A", advance=1.0)
    assert rig.press("priority").text == "priority selected"
    assert rig.press("A").text == "ticket A004 printed"
    first, *_, last = rig.program.printed
    assert last.klass == "priority" and last.face.ticket_class == "priority"
    assert last.face.ahead == 0  # ten minutes' head start: ahead of the three who just came
    assert rig.program.printed[2].face.ahead == 2
    assert rig.step_until(lambda: all(_waiting(ctl, t.ticket_id) for t in rig.program.printed))


def test_a_second_press_while_printing_gets_no_second_ticket(mosquitto_broker, controller, make_kiosk):
    controller(mosquitto_broker.url)
    rig = make_kiosk(mosquitto_broker.url, "K1", transport="sim")
    assert rig.online()
    seen = len(rig.program.outcomes)
    rig.clock.advance(2)
    rig.finger.press("social")  # both presses are queued before the program takes the first
    rig.clock.advance(0.1)
    rig.finger.press("property")
    assert rig.step_until(lambda: len(rig.program.outcomes) >= seen + 2)
    texts = [o.text for o in rig.program.outcomes[seen:]]
    assert texts[0] == "ticket A001 printed"
    assert texts[1].startswith("ignored: pressed while a ticket was printing")
    assert len(rig.program.printed) == 1


class _FailsAfterReserving(TicketPrinter):
    """The printer goes wrong between the check before the reservation and the print itself."""

    def __init__(self, printer: TicketPrinter, trouble) -> None:
        super().__init__(printer.link, printer.roll, status_timeout=printer.status_timeout)
        self.trouble = trouble
        self.armed = True

    def print_ticket(self, ticket):
        if self.armed:
            self.armed = False
            self.trouble()
        return super().print_ticket(ticket)


@pytest.mark.parametrize("trouble", ["paper out", "silent"])
def test_a_failed_print_voids_the_number_and_it_is_never_called(mosquitto_broker, controller, make_kiosk, trouble):
    url = mosquitto_broker.url
    ctl = controller(url)
    rig = make_kiosk(url, "K1", transport="tcp")
    assert rig.online()
    sim = rig.simulator
    state = {"paper out": dict(paper="out"), "silent": dict(silent=True)}[trouble]
    rig.program.printer = _FailsAfterReserving(rig.program.printer, lambda: sim.set_state(**state))

    outcome = rig.press("A")
    assert "printed" not in outcome.text
    assert sim.printed == 0 and not rig.program.printed
    [voided] = [t for t in ctl.engine.state.tickets.values() if t.label == "A001"] or [None]
    assert voided is not None
    assert rig.step_until(lambda: voided.state is TicketState.VOIDED)
    assert rig.program.machine.phase is Phase.OUT_OF_SERVICE
    assert rig.program.machine.problem == {"paper out": "paper_out", "silent": "printer_offline"}[trouble]

    # the printer comes back; the next ticket prints, and only it is ever called
    sim.set_state(paper="ok", silent=False)
    rig.clock.advance(1.5)
    assert rig.step_until(lambda: rig.program.machine.phase is Phase.MENU)
    assert rig.press("A").text == "ticket A002 printed"
    assert rig.step_until(lambda: _waiting(ctl, rig.program.printed[-1].ticket_id))
    with DeviceLink(url, "xinhua", "C1") as clerk:
        assert clerk.wait_connected(WAIT_S)
        clerk.request("counter.open", {"clerk": "S001"})
        view = clerk.request("counter.call_next").body["view"]
        assert view["ticket"]["label"] == "A002"
        clerk.request("counter.start")
        clerk.request("counter.finish")
        with pytest.raises(Refused) as nothing:
            clerk.request("counter.call_next")
        assert nothing.value.code == "nothing_waiting"


def test_paper_out_stops_issuing_raises_the_alert_and_recovers(mosquitto_broker, controller, make_kiosk, mqtt_peer):
    url = mosquitto_broker.url
    ctl = controller(url)
    staff = mqtt_peer(url, "staff")
    staff.subscribe(topics.alerts("xinhua"))
    rig = make_kiosk(url, "K1", transport="tcp")
    assert rig.online()
    rig.simulator.set_state(paper="out")
    rig.clock.advance(1000)  # the idle poll notices
    assert rig.step_until(lambda: rig.program.machine.phase is Phase.OUT_OF_SERVICE)

    outcome = rig.press("A")
    assert outcome.text.startswith("ignored: out of service")
    assert not ctl.engine.state.tickets and rig.simulator.printed == 0
    assert rig.step_until(lambda: rig.program.link.state.get("paper") == "out")
    alert = staff.expect(where=lambda m: json.loads(m.payload).get("kind") == "printer_paper")
    assert "K1" in json.loads(alert.payload)["message"]
    assert rig.step_until(lambda: getattr(ctl.engine.state.devices.get("K1"), "paper", None) == "out")
    view = rig.program.machine.view(rig.clock())
    assert view.page is Phase.OUT_OF_SERVICE and view.problem == "paper_out"

    rig.simulator.set_state(paper="ok")
    rig.clock.advance(1.5)  # the next poll while out of service
    assert rig.step_until(lambda: rig.program.machine.phase is Phase.MENU)
    assert rig.step_until(lambda: getattr(ctl.engine.state.devices.get("K1"), "paper", None) == "ok")
    assert rig.press("A").text == "ticket A001 printed"


def test_paper_low_is_reported_and_tickets_still_print(mosquitto_broker, controller, make_kiosk):
    ctl = controller(mosquitto_broker.url)
    rig = make_kiosk(mosquitto_broker.url, "K1", transport="sim")
    assert rig.online()
    rig.simulator.set_state(paper="low")
    assert rig.press("C").text == "ticket C001 printed"
    assert rig.step_until(lambda: getattr(ctl.engine.state.devices.get("K1"), "paper", None) == "low")
    assert rig.program.link.state["paper"] == "low"


def test_cover_open_stops_issuing_and_recovers(mosquitto_broker, controller, make_kiosk):
    ctl = controller(mosquitto_broker.url)
    rig = make_kiosk(mosquitto_broker.url, "K1", transport="serial")
    assert rig.online()
    rig.simulator.set_state(cover_open=True)
    outcome = rig.press("D")  # found by the check before the reservation: nothing reserved
    assert "printed" not in outcome.text
    assert not ctl.engine.state.tickets and rig.simulator.printed == 0
    assert rig.program.machine.phase is Phase.OUT_OF_SERVICE and rig.program.machine.problem == "cover_open"
    assert rig.program.link.state["cover_open"] is True
    assert rig.step_until(lambda: getattr(ctl.engine.state.devices.get("K1"), "fault", None) == "printer cover open")

    rig.simulator.set_state(cover_open=False)
    rig.clock.advance(1.5)
    assert rig.step_until(lambda: rig.program.machine.phase is Phase.MENU)
    assert rig.program.link.state["cover_open"] is False and "fault" not in rig.program.link.state
    assert rig.press("D").text == "ticket D001 printed"


@pytest.mark.parametrize("transport", ["sim", "tcp", "serial"])
def test_a_printer_fixed_or_failing_otherwise_is_seen_at_once(mosquitto_broker, controller, make_kiosk, transport):
    """Paper out; the staff open the cover to load paper, then close it. The fake clock stands
    still, so no periodic poll is due: the kiosk follows because the printer tells it."""
    controller(mosquitto_broker.url)
    rig = make_kiosk(mosquitto_broker.url, "K1", transport=transport)
    assert rig.online()
    machine = rig.program.machine
    rig.simulator.set_state(paper="out")
    assert rig.step_until(lambda: machine.phase is Phase.OUT_OF_SERVICE and machine.problem == "paper_out")

    rig.simulator.set_state(paper="ok", cover_open=True)
    assert rig.step_until(lambda: machine.problem == "cover_open")
    assert machine.view(rig.clock()).problem == "cover_open"  # the screen says the current reason
    assert rig.step_until(lambda: rig.program.link.state.get("fault") == "printer cover open")
    assert rig.press("D", advance=0).text == "ignored: out of service: the ticket printer's cover is open"

    rig.simulator.set_state(cover_open=False)
    assert rig.step_until(lambda: machine.phase is Phase.MENU)
    assert rig.press("D", advance=1.0).text == "ticket D001 printed"


def test_text_mode_sends_gb18030_text(mosquitto_broker, controller, make_kiosk, kiosk_hall):
    hall = kiosk_hall("K1", text_mode=True, paper_mm=58)
    ctl = controller(mosquitto_broker.url, hall=hall)
    rig = make_kiosk(mosquitto_broker.url, "K1", hall=hall, transport="tcp")
    assert rig.online()
    assert rig.press("E").text == "ticket E001 printed"
    [ticket] = rig.simulator.wait_for(1, WAIT_S)
    assert "市场主体登记".encode("gb18030") in ticket.raw and b"E001" in ticket.raw
    assert ticket.raw.startswith(b"\x1b@")
    assert (rig.simulator.out_dir / "ticket-0001.png").exists()
    assert ticket.image.width == 384
    assert printable(rig.program.printed[0].face, hall.kiosks["K1"]) in ticket.raw
    assert rig.step_until(lambda: _waiting(ctl, rig.program.printed[0].ticket_id))


def test_a_button_held_down_is_reported_as_a_fault_until_released(mosquitto_broker, controller, make_kiosk):
    ctl = controller(mosquitto_broker.url)
    rig = make_kiosk(mosquitto_broker.url, "K1", transport="sim")
    assert rig.online()
    rig.running.inbox.put(Held("tax", rig.clock()))  # what the button's hold timer puts on the queue
    assert rig.step_until(lambda: rig.program.link.state.get("fault") == "button tax held down")
    assert rig.step_until(lambda: getattr(ctl.engine.state.devices.get("K1"), "fault", None) == "button tax held down")
    rig.simulator.set_state(cover_open=True)
    rig.clock.advance(1000)
    assert rig.step_until(lambda: rig.program.link.state.get("fault") == "printer cover open")
    rig.simulator.set_state(cover_open=False)
    rig.clock.advance(2)
    assert rig.step_until(lambda: rig.program.link.state.get("fault") == "button tax held down")
    rig.running.inbox.put(Released("tax", rig.clock()))
    assert rig.step_until(lambda: "fault" not in rig.program.link.state)
