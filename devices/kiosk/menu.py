"""The kiosk's screen: a `KioskView` in, a pygame Surface out; and where a touch lands.

One layout function (`hotspots`, over `_Layout`) places everything a citizen can touch, and both
the painter and the hit-test use it, so what is drawn is exactly what answers a touch. Pages:

- menu: the hall's name, a tile per service (ticket prefix, Chinese and English name, how many
  wait), and on a touch kiosk a priority choice and appointment check-in; a button kiosk shows
  the same tiles as the legend of its buttons. Offline, an amber band says tickets are still
  valid; a notice (a refusal, "could not print") sits over the bottom for a few seconds.
- check-in: the typed booking code and a pad of digits and capital letters.
- printing, "please take your ticket" (the number large), and out of service (what is wrong,
  and where to go instead).

The layout is computed from the screen's size, landscape or portrait. Only the shipped Noto Sans
SC subset is used (pygame.freetype), so Chinese is never drawn as boxes. Draw from one thread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import pygame
import pygame.freetype

from devices.kiosk import words
from devices.kiosk.machine import (
    CODE_KEYS,
    ChooseService,
    CloseCheckIn,
    DeleteKey,
    Dismiss,
    KioskView,
    OpenCheckIn,
    Phase,
    SubmitCheckIn,
    TogglePriority,
    Touch,
    TypeKey,
)
from devices.kiosk.ticket import CLASS_MARKS, OFFLINE_MARK
from drivers import fonts
from hall.config import Names

Color = tuple[int, int, int]
Box = tuple[int, int, int, int]  # x, y, width, height

BG: Color = (240, 244, 249)
HEADER: Color = (14, 60, 120)
WHITE: Color = (255, 255, 255)
INK: Color = (24, 32, 44)
MUTED: Color = (92, 106, 126)
TILE_EDGE: Color = (196, 208, 224)
BADGE: Color = (22, 102, 196)
AMBER: Color = (255, 190, 40)
PRIORITY_ON: Color = (214, 96, 20)
TEAL: Color = (0, 128, 120)
KEY: Color = (226, 233, 243)
NOTICE_BG: Color = (40, 48, 60)
STOP_BG: Color = (120, 18, 24)
STOP_INK: Color = (255, 236, 232)
DISABLED: Color = (180, 188, 200)


class MenuError(ValueError):
    """A screen size the kiosk cannot lay out."""


@dataclass(frozen=True)
class Hotspot:
    box: Box
    touch: Touch
    kind: str  # tile | priority | check_in | key | delete | back | confirm | dismiss


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    if (
        not isinstance(size, tuple)
        or len(size) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and 320 <= v <= 8192 for v in size)
    ):
        raise MenuError(f"screen size {size!r} is not (width, height) in pixels, each 320-8192")
    return size


def _inside(box: Box, pos: tuple[float, float]) -> bool:
    x, y, w, h = box
    return x <= pos[0] < x + w and y <= pos[1] < y + h


def _grid(area: Box, count: int, cols: int, gap: int) -> list[Box]:
    x, y, w, h = area
    rows = max(1, math.ceil(count / cols))
    cw, ch = (w - gap * (cols - 1)) / cols, (h - gap * (rows - 1)) / rows
    return [
        (round(x + (i % cols) * (cw + gap)), round(y + (i // cols) * (ch + gap)), round(cw), round(ch))
        for i in range(count)
    ]


@dataclass(frozen=True)
class _Layout:
    """The bands of a page, top to bottom."""

    size: tuple[int, int]
    unit: int
    header: Box
    banner: Box | None
    prompt: Box
    body: Box
    bottom: Box | None


def _layout(view: KioskView, size: tuple[int, int]) -> _Layout:
    w, h = _check_size(size)
    u = max(4, round(min(w, h) / 100))
    m = 3 * u
    y = 0
    header = (0, 0, w, round(h * 0.12))
    y = header[3]
    banner = None
    if view.offline and view.page in (Phase.MENU, Phase.CHECK_IN, Phase.TAKE):
        banner = (0, y, w, round(h * 0.07))
        y += banner[3]
    prompt = (m, y + u, w - 2 * m, round(h * 0.09))
    y = prompt[1] + prompt[3] + u
    bottom = None
    if view.page is Phase.MENU and view.touch:
        bottom = (m, h - m - round(h * 0.13), w - 2 * m, round(h * 0.13))
    elif view.page is Phase.CHECK_IN:
        bottom = (m, h - m - round(h * 0.11), w - 2 * m, round(h * 0.11))
    end = (bottom[1] - 2 * u) if bottom else h - m
    return _Layout(size, u, header, banner, prompt, (m, y, w - 2 * m, end - y), bottom)


def _tile_boxes(view: KioskView, lay: _Layout) -> list[Box]:
    n = len(view.tiles)
    landscape = lay.size[0] >= lay.size[1]
    cols = (2 if n > 2 else 1) if landscape else (1 if n <= 6 else 2)
    return _grid(lay.body, n, cols, 2 * lay.unit)


def _code_layout(lay: _Layout) -> tuple[Box, list[Box]]:
    """The code field and the key pad under it."""
    x, y, w, h = lay.body
    field_h = round(h * 0.2)
    field = (x + w // 6, y, w - w // 3, field_h)
    pad = (x, y + field_h + 2 * lay.unit, w, h - field_h - 2 * lay.unit)
    return field, _grid(pad, len(CODE_KEYS), 10, lay.unit)


def hotspots(view: KioskView, size: tuple[int, int]) -> list[Hotspot]:
    """Everything on this page that answers a touch (none on a button kiosk's menu)."""
    lay = _layout(view, size)
    out: list[Hotspot] = []
    if view.page is Phase.MENU and view.touch:
        for tile, box in zip(view.tiles, _tile_boxes(view, lay)):
            out.append(Hotspot(box, ChooseService(tile.id), "tile"))
        if view.priority_mode == "off":  # no priority at this kiosk: check-in takes the whole row
            out.append(Hotspot(lay.bottom, OpenCheckIn(), "check_in"))
        else:
            left, right = _grid(lay.bottom, 2, 2, 2 * lay.unit)
            out += [Hotspot(left, TogglePriority(), "priority"), Hotspot(right, OpenCheckIn(), "check_in")]
    elif view.page is Phase.CHECK_IN:
        _, keys = _code_layout(lay)
        out += [Hotspot(box, TypeKey(ch), "key") for ch, box in zip(CODE_KEYS, keys)]
        delete, back, confirm = _grid(lay.bottom, 3, 3, 2 * lay.unit)
        out += [
            Hotspot(delete, DeleteKey(), "delete"),
            Hotspot(back, CloseCheckIn(), "back"),
            Hotspot(confirm, SubmitCheckIn(), "confirm"),
        ]
    elif view.page is Phase.TAKE and view.touch:
        out.append(Hotspot((0, 0, *size), Dismiss(), "dismiss"))
    return out


def hit(view: KioskView, size: tuple[int, int], pos: tuple[float, float]) -> Touch | None:
    """What a touch at `pos` (pixels) asks for on this page, or None (nothing there)."""
    for spot in hotspots(view, size):
        if _inside(spot.box, pos):
            return spot.touch
    return None


def centre_of(view: KioskView, size: tuple[int, int], touch: Touch) -> tuple[int, int]:
    """Where to touch for `touch` on this page (the simulator's finger); LookupError if nowhere."""
    for spot in hotspots(view, size):
        if spot.touch == touch:
            x, y, w, h = spot.box
            return x + w // 2, y + h // 2
    raise LookupError(f"nothing on the {view.page.value} page answers {touch!r}")


# --- painting ---------------------------------------------------------------------------------------


class _Pen:
    def __init__(self) -> None:
        pygame.freetype.init()
        self.fonts = {
            "regular": pygame.freetype.Font(str(fonts.REGULAR), 16),
            "bold": pygame.freetype.Font(str(fonts.BOLD), 16),
        }
        for f in self.fonts.values():
            f.pad = True
            f.kerning = False

    def fit(self, text: str, weight: str, size: float, max_w: float) -> int:
        """The largest font size up to `size` at which `text` is no wider than `max_w`."""
        size = max(8, int(size))
        width = self.fonts[weight].get_rect(text, size=size).width
        if width > max_w > 0:
            size = max(8, int(size * max_w / width))
        return size

    def text(
        self,
        target: pygame.Surface,
        text: str,
        *,
        weight: str = "regular",
        size: float,
        color: Color,
        at: tuple[float, float],
        anchor: str = "center",
        max_w: float | None = None,
    ) -> pygame.Rect:
        """Draw one line: `anchor` is "center" (at = the middle), "left" (at = left edge, vertical
        middle) or "right"."""
        if not text:
            return pygame.Rect(int(at[0]), int(at[1]), 0, 0)
        size = self.fit(text, weight, size, max_w) if max_w else max(8, int(size))
        surface, rect = self.fonts[weight].render(text, color, size=size)
        box = surface.get_rect()
        if anchor == "left":
            box.midleft = (round(at[0]), round(at[1]))
        elif anchor == "right":
            box.midright = (round(at[0]), round(at[1]))
        else:
            box.center = (round(at[0]), round(at[1]))
        target.blit(surface, box)
        return box


@lru_cache(maxsize=1)
def _pen() -> _Pen:
    return _Pen()


def render_view(view: KioskView, size: tuple[int, int]) -> pygame.Surface:
    """The screen for `view` at `size` as a new Surface."""
    lay = _layout(view, size)
    target = pygame.Surface(size)
    pen = _pen()
    if view.page is Phase.OUT_OF_SERVICE:
        _out_of_service(target, pen, view, lay)
        return target
    target.fill(BG)
    _header(target, pen, view, lay)
    if lay.banner:
        _band(target, pen, lay.banner, words.OFFLINE_BANNER, AMBER, INK, lay.unit)
    if view.page is Phase.MENU:
        _menu(target, pen, view, lay)
    elif view.page is Phase.CHECK_IN:
        _check_in(target, pen, view, lay)
    elif view.page is Phase.PRINTING:
        _printing(target, pen, view, lay)
    elif view.page is Phase.TAKE:
        _take(target, pen, view, lay)
    if view.notice is not None:
        _notice(target, pen, view.notice, lay)
    return target


def _two_lines(
    target,
    pen: _Pen,
    box: Box,
    names: Names,
    *,
    zh_size: float,
    en_size: float,
    color: Color,
    anchor: str = "center",
    zh_weight: str = "bold",
) -> None:
    x, y, w, h = box
    total = zh_size * 1.25 + en_size * 1.25
    top = y + (h - total) / 2
    ax = x + w / 2 if anchor == "center" else x
    pen.text(
        target,
        names.zh,
        weight=zh_weight,
        size=zh_size,
        color=color,
        at=(ax, top + zh_size * 0.62),
        anchor=anchor,
        max_w=w,
    )
    pen.text(
        target,
        names.en,
        size=en_size,
        color=color,
        at=(ax, top + zh_size * 1.25 + en_size * 0.62),
        anchor=anchor,
        max_w=w,
    )


def _header(target, pen: _Pen, view: KioskView, lay: _Layout) -> None:
    x, y, w, h = lay.header
    pygame.draw.rect(target, HEADER, lay.header)
    _two_lines(
        target,
        pen,
        (x + 3 * lay.unit, y, w - 6 * lay.unit, h),
        view.hall_name,
        zh_size=h * 0.36,
        en_size=h * 0.2,
        color=WHITE,
    )


def _band(target, pen: _Pen, box: Box, names: Names, bg: Color, ink: Color, u: int) -> None:
    pygame.draw.rect(target, bg, box)
    x, y, w, h = box
    _two_lines(target, pen, (x + 2 * u, y, w - 4 * u, h), names, zh_size=h * 0.36, en_size=h * 0.26, color=ink)


def _button(
    target, pen: _Pen, box: Box, names: Names, *, bg: Color, ink: Color, u: int, sub: Names | None = None
) -> None:
    pygame.draw.rect(target, bg, box, border_radius=2 * u)
    x, y, w, h = box
    if sub is None:
        _two_lines(target, pen, (x + u, y, w - 2 * u, h), names, zh_size=h * 0.3, en_size=h * 0.19, color=ink)
    else:
        _two_lines(target, pen, (x + u, y, w - 2 * u, h * 0.62), names, zh_size=h * 0.26, en_size=h * 0.16, color=ink)
        pen.text(target, f"{sub.zh}  {sub.en}", size=h * 0.14, color=ink, at=(x + w / 2, y + h * 0.78), max_w=w - 2 * u)


def _menu(target, pen: _Pen, view: KioskView, lay: _Layout) -> None:
    u = lay.unit
    if view.priority:
        prompt = words.PRIORITY_ARMED_STAFF if view.priority_mode == "staff" else words.PRIORITY_ARMED
        pygame.draw.rect(target, PRIORITY_ON, lay.prompt, border_radius=2 * u)
        color = WHITE
    else:
        prompt = words.CHOOSE_TOUCH if view.touch else words.CHOOSE_BUTTONS
        color = INK
    _two_lines(target, pen, lay.prompt, prompt, zh_size=lay.prompt[3] * 0.38, en_size=lay.prompt[3] * 0.24, color=color)
    for tile, box in zip(view.tiles, _tile_boxes(view, lay)):
        _tile(target, pen, tile, box, u)
    if lay.bottom is not None:
        if view.priority_mode == "off":
            _button(
                target, pen, lay.bottom, words.CHECK_IN_BUTTON, bg=DISABLED if view.offline else TEAL, ink=WHITE, u=u
            )
            return
        left, right = _grid(lay.bottom, 2, 2, 2 * u)
        who = words.PRIORITY_WHO
        if view.priority_mode == "staff":
            who = Names(f"{who.zh} · {words.PRIORITY_STAFF.zh}", f"{who.en} · {words.PRIORITY_STAFF.en}")
        _button(
            target,
            pen,
            left,
            words.PRIORITY_BUTTON,
            sub=who,
            bg=PRIORITY_ON if view.priority else WHITE,
            ink=WHITE if view.priority else PRIORITY_ON,
            u=u,
        )
        if not view.priority:
            pygame.draw.rect(target, PRIORITY_ON, left, width=max(2, u // 2), border_radius=2 * u)
        _button(target, pen, right, words.CHECK_IN_BUTTON, bg=DISABLED if view.offline else TEAL, ink=WHITE, u=u)


def _tile(target, pen: _Pen, tile, box: Box, u: int) -> None:
    x, y, w, h = box
    pygame.draw.rect(target, WHITE, box, border_radius=2 * u)
    pygame.draw.rect(target, TILE_EDGE, box, width=max(1, u // 3), border_radius=2 * u)
    d = min(h * 0.72, w * 0.22)
    cx, cy = x + 2 * u + d / 2, y + h / 2
    pygame.draw.circle(target, BADGE, (round(cx), round(cy)), round(d / 2))
    pen.text(target, tile.prefix, weight="bold", size=d * 0.55, color=WHITE, at=(cx, cy), max_w=d * 0.8)
    left = x + 4 * u + d
    right_w = w * 0.22 if tile.waiting is not None else 0
    name_w = x + w - 2 * u - right_w - left
    _two_lines(
        target,
        pen,
        (left, y, name_w, h),
        tile.names,
        zh_size=min(h * 0.3, 9 * u),
        en_size=min(h * 0.17, 5 * u),
        color=INK,
        anchor="left",
    )
    if tile.waiting is not None:
        rx = x + w - 2 * u - right_w
        line = Names(words.WAITING.zh.format(n=tile.waiting), words.WAITING.en.format(n=tile.waiting))
        _two_lines(
            target,
            pen,
            (rx, y, right_w, h),
            line,
            zh_size=min(h * 0.2, 6 * u),
            en_size=min(h * 0.14, 4 * u),
            color=MUTED,
            zh_weight="regular",
        )


def _check_in(target, pen: _Pen, view: KioskView, lay: _Layout) -> None:
    u = lay.unit
    title = Names(
        f"{words.CHECK_IN_TITLE.zh} · {words.CHECK_IN_PROMPT.zh}",
        f"{words.CHECK_IN_TITLE.en} · {words.CHECK_IN_PROMPT.en}",
    )
    _two_lines(target, pen, lay.prompt, title, zh_size=lay.prompt[3] * 0.38, en_size=lay.prompt[3] * 0.24, color=INK)
    field, keys = _code_layout(lay)
    pygame.draw.rect(target, WHITE, field, border_radius=u)
    pygame.draw.rect(target, BADGE, field, width=max(2, u // 2), border_radius=u)
    fx, fy, fw, fh = field
    shown = view.code if view.code else "_"
    pen.text(
        target,
        shown,
        weight="bold",
        size=fh * 0.6,
        color=INK if view.code else MUTED,
        at=(fx + fw / 2, fy + fh / 2),
        max_w=fw - 4 * u,
    )
    for ch, box in zip(CODE_KEYS, keys):
        pygame.draw.rect(target, KEY, box, border_radius=u)
        pen.text(target, ch, weight="bold", size=box[3] * 0.5, color=INK, at=(box[0] + box[2] / 2, box[1] + box[3] / 2))
    delete, back, confirm = _grid(lay.bottom, 3, 3, 2 * u)
    _button(target, pen, delete, words.DELETE, bg=KEY, ink=INK, u=u)
    _button(target, pen, back, words.CANCEL, bg=KEY, ink=INK, u=u)
    _button(target, pen, confirm, words.CONFIRM, bg=TEAL if view.code else DISABLED, ink=WHITE, u=u)


def _printing(target, pen: _Pen, view: KioskView, lay: _Layout) -> None:
    x, y, w, h = lay.body
    _two_lines(target, pen, (x, y, w, h * 0.45), words.PRINTING, zh_size=h * 0.13, en_size=h * 0.07, color=INK)
    if view.choosing is not None:
        _two_lines(
            target, pen, (x, y + h * 0.5, w, h * 0.35), view.choosing, zh_size=h * 0.09, en_size=h * 0.055, color=MUTED
        )


def _take(target, pen: _Pen, view: KioskView, lay: _Layout) -> None:
    ticket = view.ticket
    x, y, w, h = lay.body
    _two_lines(
        target,
        pen,
        lay.prompt,
        words.TAKE_TICKET,
        zh_size=lay.prompt[3] * 0.42,
        en_size=lay.prompt[3] * 0.26,
        color=INK,
    )
    if ticket is None:
        return
    marks = []
    if ticket.klass in CLASS_MARKS:
        marks.append(CLASS_MARKS[ticket.klass])
    if ticket.offline:
        marks.append(OFFLINE_MARK)
    _two_lines(target, pen, (x, y, w, h * 0.2), ticket.service_names, zh_size=h * 0.085, en_size=h * 0.05, color=INK)
    pen.text(
        target, ticket.label, weight="bold", size=h * 0.34, color=BADGE, at=(x + w / 2, y + h * 0.41), max_w=w * 0.9
    )
    if marks:
        pen.text(
            target,
            " · ".join(marks),
            weight="bold",
            size=h * 0.05,
            color=PRIORITY_ON,
            at=(x + w / 2, y + h * 0.64),
            max_w=w,
        )
    _two_lines(
        target, pen, (x, y + h * 0.7, w, h * 0.28), ticket.wait_words, zh_size=h * 0.07, en_size=h * 0.05, color=MUTED
    )


def _out_of_service(target, pen: _Pen, view: KioskView, lay: _Layout) -> None:
    w, h = lay.size
    target.fill(STOP_BG)
    _two_lines(
        target,
        pen,
        (0, 0, w, lay.header[3]),
        view.hall_name,
        zh_size=lay.header[3] * 0.32,
        en_size=lay.header[3] * 0.18,
        color=STOP_INK,
    )
    m = 4 * lay.unit
    _two_lines(
        target,
        pen,
        (m, h * 0.16, w - 2 * m, h * 0.3),
        words.OUT_OF_SERVICE,
        zh_size=h * 0.14,
        en_size=h * 0.07,
        color=WHITE,
    )
    problem = words.PROBLEMS.get(view.problem or "")
    if problem is not None:
        _two_lines(
            target,
            pen,
            (m, h * 0.5, w - 2 * m, h * 0.18),
            problem,
            zh_size=h * 0.065,
            en_size=h * 0.045,
            color=STOP_INK,
            zh_weight="regular",
        )
    box = (m, round(h * 0.72), w - 2 * m, round(h * 0.2))
    pygame.draw.rect(target, WHITE, box, border_radius=2 * lay.unit)
    _two_lines(target, pen, box, words.GO_ELSEWHERE, zh_size=box[3] * 0.3, en_size=box[3] * 0.2, color=STOP_BG)


def _notice(target, pen: _Pen, notice: Names, lay: _Layout) -> None:
    x, y, w, h = lay.body
    box = (x + w // 12, y + h - round(h * 0.3), w - w // 6, round(h * 0.28))
    pygame.draw.rect(target, NOTICE_BG, box, border_radius=2 * lay.unit)
    bx, by, bw, bh = box
    _two_lines(
        target,
        pen,
        (bx + 2 * lay.unit, by, bw - 4 * lay.unit, bh),
        notice,
        zh_size=bh * 0.26,
        en_size=bh * 0.17,
        color=WHITE,
    )
