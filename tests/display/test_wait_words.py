"""The printed ticket, the calling screen and the ticket's live page say the same wait for the
same numbers (people ahead, estimated seconds): all three word it with hall.waiting.

A ticket once printed "You are next" while its own page said "about 2 min"."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import zoneinfo

import pygame
import pytest

from devices.display.board import ServiceWaiting
from devices.display.render import BoardPainter
from devices.kiosk.ticket import TicketFace, ticket_text
from devices.kiosk.ticket import wait_words as ticket_wait_words
from hall.config import Names
from hall.waiting import wait_words
from hall_controller.web.render import Pages

from .states import hall

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NUMBERS = [(0, 0), (0, 20), (0, 120), (1, 95), (12, 1500), (40, 5400), (80, 7200), (5, None), (0, None)]


def printed(ahead: int, wait_s: float | None) -> str:
    """The ticket as the printer gets it (text mode), as text, one line of it per printed line."""
    face = TicketFace(
        hall_name=Names("新华区政务服务中心", "Xinhua District Government Service Centre"),
        service_name=Names("不动产登记", "Property Registration"),
        label="B023",
        ahead=ahead,
        wait_s=wait_s,
        taken_at=dt.datetime(2026, 11, 21, 9, 32, tzinfo=SHANGHAI),
        qr_url="",
        materials=(),
        footer=Names("", ""),
    )
    data = ticket_text(face, 48)
    return re.sub(rb"[\x00-\x09\x0b-\x1f]|\x1b.|\x1d.|\x1c.", b"", data).decode("gb18030", "replace")


def on_screen(ahead: int, wait_s: float | None) -> list[str]:
    """Every text the calling screen draws for a service with `ahead` waiting (a ticket taken now)."""
    painter = BoardPainter()
    painter.paint(
        hall(waiting=(ServiceWaiting(Names("不动产登记", "Property Registration"), "B", ahead, wait_s),)),
        pygame.Surface((1920, 1080)),
    )
    return [key[0] for key in painter.text._cache]


def on_the_page(ahead: int, wait_s: float | None) -> str:
    status = {
        "label": "B023",
        "service": {"zh": "不动产登记", "en": "Property Registration"},
        "state": "waiting",
        "issued_at": 1_795_000_000.0,
        "counter": None,
        "ahead": ahead,
        "estimated_wait_s": wait_s,
        "recalls": 0,
    }
    html = Pages("Asia/Shanghai").render("_ticket.html", t=status, now=1_795_000_060.0)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("ahead, wait_s", NUMBERS)
def test_ticket_screen_and_page_say_the_same_for_the_same_numbers(ahead, wait_s):
    words = wait_words(ahead, wait_s)
    ticket, screen, page = printed(ahead, wait_s), on_screen(ahead, wait_s), on_the_page(ahead, wait_s)
    assert ticket_wait_words(_face_of(ahead, wait_s)) == words.line
    for language in ("zh", "en"):
        said_ahead, said_wait = getattr(words.ahead, language), getattr(words.wait_sentence, language)
        assert getattr(words.line, language) in ticket  # printed on one line, whole
        assert said_ahead in page and said_wait.lower() in page.lower()  # the page: the same two parts
        assert getattr(words.wait, language) in screen  # the screen: the same wait
        assert said_wait.lower().endswith(getattr(words.wait, language).lower())
    if wait_s is not None and wait_s >= 90:  # a real wait is never hidden behind "You are next"
        assert "about" in words.line.en and "about" in page.lower()


def test_being_next_is_not_being_called():
    assert wait_words(0, 120).line == Names("您是下一位 · 预计等候约 2 分钟", "You are next · about 2 min")
    assert wait_words(0, 0).line == Names("您是下一位 · 无需等候", "You are next · no wait")
    assert wait_words(3, 20).wait == Names("不到 1 分钟", "under 1 min")
    assert wait_words(40, 5430).wait == Names("约 1 小时 31 分钟", "about 1 h 31 min")


@pytest.mark.parametrize("ahead, wait_s", [(-1, 60), (True, 60), (2, -5), (2, float("nan")), (2, "60")])
def test_impossible_numbers_are_refused(ahead, wait_s):
    with pytest.raises(ValueError):
        wait_words(ahead, wait_s)


def _face_of(ahead, wait_s) -> TicketFace:
    return TicketFace(
        hall_name=Names("厅", "Hall"),
        service_name=Names("服务", "Service"),
        label="B023",
        ahead=ahead,
        wait_s=wait_s,
        taken_at=dt.datetime(2026, 11, 21, 9, 32, tzinfo=dt.UTC),
        qr_url="",
        materials=(),
        footer=Names("", ""),
    )


def test_with_no_counter_open_the_three_say_so_rather_than_a_number():
    words = wait_words(5, None, no_counter_open=True)
    face = dataclasses.replace(_face_of(5, None), no_counter_open=True)
    assert ticket_wait_words(face) == words.line
    assert words.line.en == "5 ahead · no counter open now" and words.wait.zh == "暂无窗口"
    painter = BoardPainter()
    painter.paint(
        hall(
            waiting=(ServiceWaiting(Names("不动产登记", "Property Registration"), "B", 5, None, no_counter_open=True),)
        ),
        pygame.Surface((1920, 1080)),
    )
    assert {words.wait.zh, words.wait.en} <= {key[0] for key in painter.text._cache}
    status = {
        "label": "B023",
        "service": {"zh": "不动产登记", "en": "Property Registration"},
        "state": "waiting",
        "issued_at": 1_795_000_000.0,
        "counter": None,
        "ahead": 5,
        "estimated_wait_s": None,
        "recalls": 0,
        "no_counter_open": True,
    }
    page = Pages("Asia/Shanghai").render("_ticket.html", t=status, now=1_795_000_060.0)
    assert words.wait_sentence.zh in page
