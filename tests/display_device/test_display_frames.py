"""The shortcut the screen takes while the notice scrolls (redraw and update only the notice band)
gives exactly the picture a full redraw gives, on the frame and on a window."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pygame
import pytest

from devices.display.board import BoardState, CurrentCall, RecentCall, ServiceWaiting
from devices.display.render import BoardPainter
from drivers.screen import WindowScreen
from hall.config import Names

NOW = dt.datetime(2026, 11, 21, 9, 41)
NOTICE = Names(
    "办理不动产登记请携带原件;中午不休息,周六上午正常办理。",
    "Bring originals for property registration. Open at lunch time and on Saturday mornings.",
)


def state(offset: int) -> BoardState:
    return BoardState(
        hall_name=Names("新华区政务服务中心", "Xinhua District Government Service Centre"),
        now=NOW,
        current=CurrentCall("A023", 5, Names("5号窗口", "Counter 5"), NOW),
        recent=(RecentCall("B017", 4),),
        waiting=(ServiceWaiting(Names("社保医保", "Social & Medical Insurance"), "A", 12, 15 * 60),),
        notice=NOTICE,
        notice_offset=offset,
    )


def pixels(surface: pygame.Surface) -> bytes:
    return pygame.image.tobytes(surface, "RGB")


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920), (1280, 720)])
def test_redrawing_only_the_notice_band_gives_the_full_picture(size):
    painter = BoardPainter()
    assert painter.notice_scrolls(NOTICE, size)
    partial, full = pygame.Surface(size), pygame.Surface(size)
    painter.paint(state(0), partial)
    for offset in (3, 250, 1777, 5000):
        band = painter.paint_notice(state(offset), partial)
        painter.paint(state(offset), full)
        assert pixels(partial) == pixels(full)
        assert band.bottom == size[1] and band.width == size[0]
    painter.paint(state(10), full)
    assert pixels(partial) != pixels(full), "the comparison can tell offsets apart"


def test_a_short_notice_does_not_scroll():
    assert not BoardPainter().notice_scrolls(Names("中午不休息", "Open at lunch time"), (1920, 1080))
    assert not BoardPainter().notice_scrolls(Names("", ""), (1920, 1080))


def test_a_window_updated_by_its_notice_band_shows_the_whole_new_frame():
    painter = BoardPainter()
    size = (1280, 720)
    with WindowScreen(size, fullscreen=False) as window:
        frame = pygame.Surface(size)
        painter.paint(state(0), frame)
        window.show(frame)
        window.show(frame, painter.paint_notice(state(400), frame))
        expected = pygame.Surface(size)
        painter.paint(dataclasses.replace(state(0), notice_offset=400), expected)
        assert pixels(pygame.display.get_surface()) == pixels(expected)
