"""The kiosk's screen: every touchable thing is hit where it is drawn, and every page renders (PNGs
written to tmp_path, to look at)."""

from __future__ import annotations

import dataclasses

import pygame
import pytest

from devices.kiosk.machine import (
    CODE_KEYS,
    ChooseService,
    CloseCheckIn,
    DeleteKey,
    Dismiss,
    KioskMachine,
    OpenCheckIn,
    Phase,
    SubmitCheckIn,
    TakenTicket,
    TogglePriority,
    TypeKey,
)
from devices.kiosk.menu import MenuError, centre_of, hit, hotspots, render_view
from drivers.printer.status import PrinterStatus
from hall.config import Names

SIZES = [(1280, 800), (1080, 1920), (800, 480), (1920, 1080)]


@pytest.fixture(autouse=True)
def _pygame():
    pygame.display.init()
    yield
    pygame.display.quit()


def _views(hall):
    """One view of every page, from a touch kiosk's machine."""
    m = KioskMachine(hall, hall.kiosks["K2"], touch=True, now=0)
    m.connection(True, 0)
    m.controller_seen(True, 0)
    m.board_seen({"social": 12, "property": 3, "fund": 0})
    out = {"menu": m.view(1)}
    m.touched(TogglePriority(), 1)
    out["menu-priority"] = m.view(1)
    m.touched(OpenCheckIn(), 1)
    for ch in "Q7X2":
        m.touched(TypeKey(ch), 1)
    out["check-in"] = m.view(1)
    m.touched(CloseCheckIn(), 1)
    m.touched(ChooseService("fund"), 2)
    out["printing"] = m.view(2)
    m.issued(
        TakenTicket(
            "C017",
            "fund",
            hall.services["fund"].names,
            4,
            Names("前面还有 4 人 · 预计等候约 12 分钟", "4 ahead · about 12 min"),
            "appointment",
            False,
        ),
        3,
    )
    out["take"] = m.view(3)
    m.connection(False, 4)
    m.refused(Names("系统暂时无法出号，请到服务台", "No ticket can be issued right now; please ask at the desk"), 4)
    out["menu-offline-notice"] = m.view(4)
    m.printer_seen(PrinterStatus(online=False, paper="ok", cover_open=True), 5)
    out["out-of-service"] = m.view(5)
    return out


def test_every_hotspot_is_hit_at_its_centre_and_nothing_else_is(example_hall):
    views = _views(example_hall)
    for size in SIZES:
        menu = views["menu"]
        spots = hotspots(menu, size)
        assert [s.touch for s in spots] == [ChooseService(s) for s in example_hall.kiosks["K2"].services] + [
            TogglePriority(),
            OpenCheckIn(),
        ]
        for spot in spots:
            assert hit(menu, size, centre_of(menu, size, spot.touch)) == spot.touch
            x, y, w, h = spot.box
            assert 0 <= x and x + w <= size[0] and 0 <= y and y + h <= size[1]
        # hotspots do not overlap
        for a in spots:
            for b in spots:
                if a is not b:
                    ax, ay, aw, ah = a.box
                    bx, by, bw, bh = b.box
                    assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay
        assert hit(menu, size, (1, 1)) is None  # the header answers nothing
        check_in = views["check-in"]
        touches = [s.touch for s in hotspots(check_in, size)]
        assert touches == [TypeKey(ch) for ch in CODE_KEYS] + [DeleteKey(), CloseCheckIn(), SubmitCheckIn()]
        for touch in touches:
            assert hit(check_in, size, centre_of(check_in, size, touch)) == touch
        assert hit(views["take"], size, (size[0] - 1, size[1] - 1)) == Dismiss()
        assert hotspots(views["printing"], size) == [] and hotspots(views["out-of-service"], size) == []


def test_a_kiosk_without_priority_shows_no_choice_and_ignores_one(example_hall, tmp_path):
    kiosk = dataclasses.replace(example_hall.kiosks["K2"], priority="off")
    m = KioskMachine(example_hall, kiosk, touch=True, now=0)
    m.connection(True, 0)
    m.controller_seen(True, 0)
    view = m.view(0)
    size = (1280, 800)
    spots = hotspots(view, size)
    assert TogglePriority() not in [s.touch for s in spots] and spots[-1].touch == OpenCheckIn()
    assert spots[-1].box[2] > size[0] * 0.8  # check-in takes the whole row
    [ignored] = m.touched(TogglePriority(), 1)
    assert ignored.reason == "kiosk K2 offers no priority tickets" and not m.view(1).priority
    frame = render_view(view, size)
    pygame.image.save(frame, str(tmp_path / "menu-no-priority.png"))
    staff = KioskMachine(example_hall, example_hall.kiosks["K2"], touch=True, now=0)
    staff.touched(TogglePriority(), 1)
    assert staff.view(1).priority and staff.view(1).priority_mode == "staff"
    pygame.image.save(render_view(staff.view(1), size), str(tmp_path / "menu-priority-staff.png"))


def test_a_button_kiosk_has_nothing_to_touch(example_hall):
    m = KioskMachine(example_hall, example_hall.kiosks["K1"], touch=False, now=0)
    view = m.view(0)
    assert hotspots(view, (1280, 800)) == []
    assert hit(view, (1280, 800), (640, 400)) is None


def test_every_page_renders_at_every_size(example_hall, tmp_path):
    views = _views(example_hall)
    for size in SIZES:
        for name, view in views.items():
            frame = render_view(view, size)
            assert frame.get_size() == size
            pygame.image.save(frame, str(tmp_path / f"{name}-{size[0]}x{size[1]}.png"))
    frame = render_view(views["menu"], (1280, 800))
    # the tile of "fund" is drawn where it is touched: a white tile with a blue badge
    spot = next(s for s in hotspots(views["menu"], (1280, 800)) if s.touch == ChooseService("fund"))
    bx, by, bw, bh = spot.box
    assert frame.get_at((bx + bw // 2, by + 8))[:3] == (255, 255, 255)
    assert any(frame.get_at((px, by + bh // 2))[:3] == (22, 102, 196) for px in range(bx, bx + bw // 4))
    stop = render_view(views["out-of-service"], (1280, 800))
    assert stop.get_at((4, 400))[:3] == (120, 18, 24)
    offline = render_view(views["menu-offline-notice"], (1280, 800))
    assert offline.get_at((4, 110))[:3] == (255, 190, 40)  # the amber offline band under the header
    assert render_view(views["menu"], (1280, 800)).get_at((4, 110))[:3] != (255, 190, 40)


def test_a_screen_it_cannot_lay_out_is_refused(example_hall):
    view = _views(example_hall)["menu"]
    for size in [(100, 100), (1280,), (1280.0, 800), "1280x800"]:
        with pytest.raises(MenuError):
            render_view(view, size)  # type: ignore[arg-type]
        with pytest.raises(MenuError):
            hit(view, size, (1, 1))  # type: ignore[arg-type]
    assert view.page is Phase.MENU
