"""The calling screen's pictures: golden images of every mode and size, and the properties that
matter in a hall (a number readable from the back, Chinese drawn from the shipped font, nothing
cut short, the notice the only thing that moves when it scrolls)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pygame
import pytest
from PIL import ImageChops

from devices.display import render
from devices.display.board import BoardError, BoardState, CounterView, CurrentCall, RecentCall, ServiceWaiting, blink_on
from devices.display.render import BoardPainter, render_board, save_png
from drivers import fonts
from hall.config import Names

from .conftest import difference, to_image
from .states import GOLDEN, HALL, NOW, counter, hall


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_matches_golden_image(name, compare_to_golden):
    state, size = GOLDEN[name]
    frame = render_board(state, size)
    assert frame.get_size() == size
    diff = compare_to_golden(frame, name)
    assert diff.same, f"{name}: mean difference {diff.mean:.2f}, {diff.strong:.3%} of pixels changed strongly"


def test_golden_comparison_notices_a_changed_digit():
    state, size = GOLDEN["hall-1920x1080"]
    first = to_image(render_board(state, size))
    big = dataclasses.replace(state, current=dataclasses.replace(state.current, label="A028"))
    small = dataclasses.replace(state, waiting=(dataclasses.replace(state.waiting[0], waiting=13),) + state.waiting[1:])
    assert not difference(first, to_image(render_board(big, size))).same
    assert not difference(first, to_image(render_board(small, size))).same
    assert difference(first, to_image(render_board(state, size))).same


def test_a_state_always_gives_the_same_picture(tmp_path):
    """Caches never change what is drawn: a fresh painter and a well-used one agree pixel for pixel."""
    state, size = GOLDEN["hall-1280x720"]
    used = render_board(state, size)
    fresh = pygame.Surface(size)
    BoardPainter().paint(state, fresh)
    assert pygame.image.tobytes(used, "RGB") == pygame.image.tobytes(fresh, "RGB")
    save_png(fresh, tmp_path / "frame.png")
    assert pygame.image.load(str(tmp_path / "frame.png")).get_size() == size


def _number_height(frame: pygame.Surface, color: tuple[int, int, int]) -> int:
    """Height in pixels of the tallest run of ticket-number-coloured ink (the current call)."""
    mask = pygame.mask.from_threshold(frame, color, (8, 8, 8, 255))
    return max(r.height for r in mask.get_bounding_rects())


@pytest.mark.parametrize("size,at_least", [((1920, 1080), 330), ((1280, 720), 220), ((1080, 1920), 280)])
def test_current_number_is_readable_from_the_back_of_the_hall(size, at_least):
    """About 1 cm of letter height per 3-4 m of distance: at 1920x1080 on a 55" screen (about
    0.63 mm a pixel) 330 px digits are 21 cm tall, readable from well over 30 m."""
    frame = render_board(hall(), size)
    assert _number_height(frame, render.NUMBER) >= at_least


def test_counter_screen_number_fills_the_window():
    frame = render_board(counter(), (1280, 720))
    assert _number_height(frame, render.NUMBER) >= 280


def test_every_text_drawn_is_in_the_shipped_font_and_nothing_is_cut_short():
    painter = BoardPainter()
    for state, size in GOLDEN.values():
        painter.paint(state, pygame.Surface(size))
    drawn = list(painter.text._cache)
    assert drawn
    for text, _weight, px, _color, _bg in drawn:
        assert not fonts.missing(text), f"{text!r} has characters the font lacks: {fonts.missing(text)}"
        assert "…" not in text, f"{text!r} was cut to fit"
        assert px >= 14, f"{text!r} drawn at {px} px"


def test_scrolling_the_notice_changes_only_the_notice_band():
    size = (1920, 1080)
    a = to_image(render_board(hall(notice_offset=0), size))
    b = to_image(render_board(hall(notice_offset=333), size))
    band = render._hall_layout(size).notice
    box = ImageChops.difference(a, b).getbbox()
    assert box is not None, "the notice did not move"
    left, top, right, bottom = box
    assert top >= band.top and bottom <= band.bottom


def test_a_notice_that_fits_stands_still():
    size = (1920, 1080)
    short = Names("欢迎光临", "Welcome")
    a = render_board(hall(notice=short, notice_offset=0), size)
    b = render_board(hall(notice=short, notice_offset=500), size)
    assert pygame.image.tobytes(a, "RGB") == pygame.image.tobytes(b, "RGB")


def test_blink_highlights_the_current_call_and_nothing_else():
    size = (1920, 1080)
    steady, lit = to_image(render_board(hall(), size)), to_image(render_board(hall(blink_on=True), size))
    box = ImageChops.difference(steady, lit).getbbox()
    current = render._hall_layout(size).current
    assert box is not None
    assert pygame.Rect(current).contains(pygame.Rect(box[0], box[1], box[2] - box[0], box[3] - box[1]))


def test_blink_phase():
    assert blink_on(100.0, 100.2)  # first half of the first second: lit
    assert not blink_on(100.0, 100.7)  # second half: steady
    assert blink_on(100.0, 105.1)
    assert not blink_on(100.0, 106.0)  # after six seconds it stops blinking
    assert not blink_on(100.0, 99.0)  # a call from the future (clock skew) does not blink


def test_long_names_shrink_but_stay_whole():
    long = Names(
        "某某市某某区人民政府政务服务中心综合受理大厅", "Some City Some District People's Government Service Centre"
    )
    state = hall(
        hall_name=long,
        waiting=(
            ServiceWaiting(
                Names("社会保险及医疗保险业务", "Social and Medical Insurance Services"), "ABC", 123, 145 * 60
            ),
        ),
    )
    painter = BoardPainter()
    painter.paint(state, pygame.Surface((1280, 720)))
    texts = [key[0] for key in painter.text._cache]
    assert long.zh in texts and long.en in texts


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720), (1080, 1920), (800, 480), (720, 1280)])
def test_every_mode_renders_at_odd_sizes_too(size):
    for state in (hall(), hall(current=None, recent=()), counter(), GOLDEN["incident-1920x1080"][0]):
        assert render_board(state, size).get_size() == size


# --- refusals: one clear error, nothing drawn -------------------------------------------------


def test_a_name_is_never_shown_where_a_ticket_number_belongs():
    with pytest.raises(BoardError, match="not a ticket number"):
        CurrentCall("张三", 5, Names("5号窗口", "Counter 5"), NOW)
    with pytest.raises(BoardError, match="not a ticket number"):
        RecentCall("Mr Smith", 5)
    with pytest.raises(BoardError, match="not a staff number"):
        CounterView(5, Names("5号窗口", "Counter 5"), clerk="王 芳")


@pytest.mark.parametrize(
    "changes,message",
    [
        (dict(mode="kiosk"), "mode"),
        (dict(mode="counter"), "counter mode needs"),
        (dict(recent=tuple(RecentCall(f"A{i:03d}", 1) for i in range(9))), "at most 8"),
        (dict(notice_offset=-1), "offset"),
    ],
)
def test_bad_board_states_are_refused(changes, message):
    base = dict(hall_name=HALL, now=NOW)
    with pytest.raises(BoardError, match=message):
        BoardState(**{**base, **changes})


def test_bad_counter_and_service_values_are_refused():
    with pytest.raises(BoardError, match="state"):
        CounterView(5, Names("5号窗口", "Counter 5"), state="gone")
    with pytest.raises(BoardError, match="pause reason"):
        CounterView(5, Names("5号窗口", "Counter 5"), state="paused", pause_reason="nap")
    with pytest.raises(BoardError, match="prefix"):
        ServiceWaiting(Names("社保", "Social"), "a1", 3, 5)
    with pytest.raises(BoardError, match="waiting"):
        ServiceWaiting(Names("社保", "Social"), "A", -1, 5)


@pytest.mark.parametrize("size", [(100, 100), (1920,), "1920x1080", (1920.0, 1080)])
def test_bad_sizes_are_refused(size):
    with pytest.raises(BoardError, match="screen size"):
        render_board(hall(), size)


def test_render_changes_nothing_in_the_state():
    state = hall()
    copy = dataclasses.replace(state)
    render_board(state, (1280, 720))
    assert state == copy
    assert state.now == dt.datetime(2026, 11, 21, 9, 41, 30)


def test_a_service_with_no_counter_open_says_so():
    state, size = GOLDEN["hall-1920x1080"]
    unknown = dataclasses.replace(state.waiting[-1], wait_s=None, no_counter_open=False)
    closed = dataclasses.replace(unknown, no_counter_open=True)
    assert unknown.waiting > 0
    frames = [
        to_image(render_board(dataclasses.replace(state, waiting=state.waiting[:-1] + (w,)), size))
        for w in (unknown, closed)
    ]
    assert not difference(*frames).same
    if __import__("os").environ.get("HALL_SCREENSHOTS"):
        frames[1].save(
            __import__("pathlib").Path(__import__("os").environ["HALL_SCREENSHOTS"]) / "board-no-counter.png"
        )
