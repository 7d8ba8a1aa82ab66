"""The touch kiosk: taps on its screen (pygame events on the dummy video driver, drawn as PNG
frames) choose a service, a priority ticket, or check in a booking by its code."""

from __future__ import annotations

import shutil

import pygame
import pytest
from PIL import Image, ImageChops

from devices.kiosk.machine import (
    ChooseService,
    CloseCheckIn,
    OpenCheckIn,
    Phase,
    SubmitCheckIn,
    TogglePriority,
    TypeKey,
)
from devices.kiosk.menu import centre_of
from devices.kiosk.ticket import render_ticket
from drivers.screen import PngScreen
from hall import clock as hall_clock
from hall import config
from hall_controller.durable import DurableEngine
from hall_controller.engine import commands as c
from hall_controller.engine.model import TicketState

from .conftest import EXAMPLE_HALL, WAIT_S

SIZE = (1280, 800)


@pytest.fixture
def screen(tmp_path):
    with PngScreen(tmp_path / "screen", SIZE) as png:
        yield png
    pygame.display.quit()


def _tap(rig, touch) -> str:
    """Tap where the screen shows `touch` (a real pygame event) and step until it is dealt with."""
    view = rig.program.machine.view(rig.clock())
    x, y = centre_of(view, rig.running.screen.size, touch)
    seen = len(rig.program.outcomes)
    rig.clock.advance(0.6)
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=(x, y)))
    assert rig.step_until(lambda: len(rig.program.outcomes) > seen), f"tap on {touch} not handled"
    return rig.program.outcomes[seen].text


def _keep(screen: PngScreen, tmp_path, name: str) -> None:
    shutil.copy(screen.latest, tmp_path / f"{name}.png")


def _booked_journal(tmp_path, code: str, service: str):
    """A controller journal that already holds a booking (no MQTT message books appointments)."""
    hall = config.load(EXAMPLE_HALL)
    db = tmp_path / "booked.db"
    durable = DurableEngine(hall, db)
    now = hall_clock.now()
    [result] = durable.apply([(c.BookAppointment(code, service, now - 300, now + 1800), now)])
    assert result.ok
    durable.commit()
    durable.close()
    return db


def test_a_tap_on_a_tile_prints_a_large_print_ticket(mosquitto_broker, controller, make_kiosk, screen, tmp_path):
    ctl = controller(mosquitto_broker.url)
    rig = make_kiosk(mosquitto_broker.url, "K2", transport="tcp", screen=screen)
    assert rig.program.has_touch
    assert rig.online()
    rig.step_until(lambda: rig.program.frames >= 2)
    _keep(screen, tmp_path, "k2-menu")

    assert _tap(rig, ChooseService("property")) == "ticket B001 printed"
    issued = rig.program.printed[-1]
    _keep(screen, tmp_path, "k2-take")
    assert rig.program.machine.phase is Phase.TAKE
    [ticket] = rig.simulator.wait_for(1, WAIT_S)
    face = render_ticket(issued.face, 58, True)
    paper = ticket.image.convert("L")
    assert paper.width == 384 and face.width == 384
    assert ImageChops.difference(paper.crop((0, 0, 384, face.height)), face.convert("L")).getbbox() is None
    shutil.copy(rig.simulator.out_dir / "ticket-0001.png", tmp_path / "k2-ticket.png")
    assert rig.step_until(lambda: ctl.engine.state.tickets[issued.ticket_id].state is TicketState.WAITING)

    # a tap anywhere on "please take your ticket" brings the menu back for the next citizen
    assert rig.program.machine.view(rig.clock()).page is Phase.TAKE
    rig.clock.advance(0.6)
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=(SIZE[0] // 2, SIZE[1] // 2)))
    assert rig.step_until(lambda: rig.program.machine.phase is Phase.MENU)

    assert _tap(rig, TogglePriority()) == "priority selected"
    _keep(screen, tmp_path, "k2-priority")
    assert _tap(rig, ChooseService("social")) == "ticket A001 printed"
    asked = rig.program.printed[-1]  # K2 leaves priority to staff: it waits as normal until they confirm it
    assert (asked.klass, asked.face.priority_asked) == ("normal", True)
    assert ctl.engine.state.tickets[asked.ticket_id].priority_check == "asked"
    [printed] = rig.simulator.wait_for(2, WAIT_S)[-1:]
    shutil.copy(rig.simulator.out_dir / "ticket-0002.png", tmp_path / "k2-ticket-priority-asked.png")
    top = (0, 0, 384, 200)  # the banner: 优先待确认 PRIORITY: SHOW STAFF
    expected = render_ticket(asked.face, 58, True).convert("L").crop(top)
    assert ImageChops.difference(printed.image.convert("L").crop(top), expected).getbbox() is None
    # frames were written for every page the citizen saw
    with Image.open(screen.latest) as latest:
        assert latest.size == SIZE


def test_appointment_check_in_by_code(mosquitto_broker, controller, make_kiosk, screen, tmp_path):
    db = _booked_journal(tmp_path, "AB12", "fund")
    ctl = controller(mosquitto_broker.url, db=db)
    rig = make_kiosk(mosquitto_broker.url, "K2", transport="sim", screen=screen)
    assert rig.online()

    _tap(rig, OpenCheckIn())
    for ch in "AB13":
        _tap(rig, TypeKey(ch))
    assert rig.program.machine.code == "AB13"
    _keep(screen, tmp_path, "k2-check-in")
    text = _tap(rig, SubmitCheckIn())
    assert text.startswith("not issued: no booking has the code AB13")
    view = rig.program.machine.view(rig.clock())
    assert view.page is Phase.MENU and view.notice.zh == "未找到该预约，请核对预约码"
    _keep(screen, tmp_path, "k2-refused")

    _tap(rig, OpenCheckIn())
    for ch in "AB1":
        _tap(rig, TypeKey(ch))
    _tap(rig, CloseCheckIn())
    assert rig.program.machine.phase is Phase.MENU and rig.program.machine.code == ""
    _tap(rig, OpenCheckIn())
    for ch in "AB12":
        _tap(rig, TypeKey(ch))
    assert _tap(rig, SubmitCheckIn()) == "ticket C001 printed"
    issued = rig.program.printed[-1]
    assert issued.klass == "appointment" and issued.service == "fund"
    assert issued.face.ticket_class == "appointment"
    ticket = ctl.engine.state.tickets[issued.ticket_id]
    assert ticket.klass == "appointment"
    assert rig.step_until(lambda: ticket.state is TicketState.WAITING)

    rig.clock.advance(6)  # "please take your ticket" gives way to the menu by itself
    assert rig.step_until(lambda: rig.program.machine.phase is Phase.MENU)
    _tap(rig, OpenCheckIn())  # the same booking again
    for ch in "AB12":
        _tap(rig, TypeKey(ch))
    assert _tap(rig, SubmitCheckIn()).startswith("not issued: booking AB12 already has ticket C001")


def test_check_in_needs_the_controller(mosquitto_broker, controller, make_kiosk, screen):
    ctl = controller(mosquitto_broker.url)
    rig = make_kiosk(mosquitto_broker.url, "K2", transport="sim", screen=screen)
    assert rig.online()
    ctl.stop()
    assert rig.step_until(lambda: not rig.program.machine.online(rig.clock()))
    _tap(rig, OpenCheckIn())
    _tap(rig, TypeKey("7"))
    assert _tap(rig, SubmitCheckIn()).startswith("ignored: check-in needs the controller")
    assert rig.program.machine.notice.en.startswith("Check-in is not available right now")
    assert not rig.program.printed


def test_the_out_of_service_screen_is_shown_and_taps_do_nothing(
    mosquitto_broker, controller, make_kiosk, screen, tmp_path
):
    controller(mosquitto_broker.url)
    rig = make_kiosk(mosquitto_broker.url, "K2", transport="sim", screen=screen)
    assert rig.online()
    rig.simulator.set_state(paper="out")
    rig.clock.advance(1000)
    assert rig.step_until(lambda: rig.program.machine.phase is Phase.OUT_OF_SERVICE)
    _keep(screen, tmp_path, "k2-out-of-service")
    with Image.open(screen.latest) as frame:
        assert frame.convert("RGB").getpixel((5, SIZE[1] // 2)) == (120, 18, 24)  # the whole screen says stop
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=(300, 300)))
    rig.step_until(lambda: False, timeout=0.3)
    assert not rig.program.printed and rig.simulator.printed == 0
