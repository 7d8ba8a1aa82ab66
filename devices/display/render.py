"""Draw the calling screen: a `BoardState` in, a pygame Surface out, nothing else touched.

Three layouts, each computed from the screen's size (not scaled from one picture): a landscape
hall screen (the current call very large on the left, recent calls and waiting per service on
the right), a portrait hall screen (the same blocks stacked), and a counter screen (one window's
ticket). Incident mode replaces the calls with a notice that the calling system is recovering.

Only the Noto Sans SC subset shipped in `drivers/fonts` is used, through `pygame.freetype`, so
Chinese is drawn, never boxes, and every screen looks the same. A frame must take a few
milliseconds in software on a Pi, so `BoardPainter` keeps its font objects, every text it has
drawn (by text, size and colour) and the static layer of each layout (background, panels,
headings, hall name) and only blits per frame. `render_board` uses one shared painter; its
caches never change what is drawn. Draw from one thread only (the screen's main thread).
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pygame
import pygame.freetype

from devices.display.board import BoardError, BoardState, CounterView, CurrentCall, Incident
from drivers import fonts
from hall.config import Names
from hall.waiting import wait_words

Color = tuple[int, int, int]

BG: Color = (7, 22, 44)
PANEL: Color = (14, 38, 72)
PANEL_EDGE: Color = (36, 74, 126)
TEXT: Color = (242, 246, 252)
MUTED: Color = (158, 178, 206)
NUMBER: Color = (255, 208, 64)  # ticket numbers: amber on dark blue
COUNTER: Color = (96, 226, 186)  # counters: green
ALERT: Color = (255, 128, 96)
NOTICE_BG: Color = (4, 14, 30)

ZH_WEEKDAYS = "一二三四五六日"
# above the counter's ticket: called (the citizen is to come) or being served (the clerk started)
COUNTER_CAPTION = {False: "请到窗口  Please come to the counter", True: "正在办理  Now serving"}
EN_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
PAUSE_TEXT = {
    "break": Names("休息", "Short break"),
    "meal": Names("用餐", "Meal break"),
    "meeting": Names("开会", "Meeting"),
    "consultation": Names("业务咨询", "Consultation"),
    "training": Names("培训", "Training"),
    "system": Names("系统维护", "System maintenance"),
    "other": Names("其他事务", "Other duties"),
}

# Ink extents of the font, in ems, measured on Noto Sans SC: CJK ink reaches 0.88 above the
# baseline, Latin descenders 0.25 below; digits and capitals are 0.76 tall.
INK_TOP = 0.88
INK_BOTTOM = 0.22
CAP = 0.76


def render_board(state: BoardState, size: tuple[int, int]) -> pygame.Surface:
    """The screen for `state` at `size` (width, height) as a new Surface."""
    target = pygame.Surface(_check_size(size))
    _shared_painter().paint(state, target)
    return target


def save_png(surface: pygame.Surface, path: str | Path) -> None:
    pygame.image.save(surface, str(path))


@lru_cache(maxsize=1)
def _shared_painter() -> BoardPainter:
    return BoardPainter()


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    if (
        not isinstance(size, tuple)
        or len(size) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and 320 <= v <= 8192 for v in size)
    ):
        raise BoardError(f"screen size {size!r} is not (width, height) in pixels, each 320-8192")
    return size


# --- text -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ink:
    surface: pygame.Surface
    dx: int  # from the pen position to the ink's left edge
    ascent: int  # from the baseline up to the ink's top
    width: int


class _Text:
    """Fonts and a cache of drawn texts. Sizes are font sizes in pixels (one em).

    Texts are drawn opaque on the colour they will sit on (every background here is a flat
    colour), so a cached text is copied, not alpha-blended: that is what makes a frame cheap.
    """

    def __init__(self, cache_size: int = 600):
        pygame.freetype.init()
        self.fonts = {
            "regular": pygame.freetype.Font(str(fonts.REGULAR), 16),
            "bold": pygame.freetype.Font(str(fonts.BOLD), 16),
        }
        for f in self.fonts.values():
            f.pad = False
            f.kerning = False
        self._cache: OrderedDict[tuple, _Ink] = OrderedDict()
        self._cache_size = cache_size
        self._plain = pygame.Surface((1, 1))  # the pixel format of frames (32-bit, no alpha)
        self._widths: dict[tuple, int] = {}

    def ink(self, text: str, weight: str, size: int, color: Color, bg: Color) -> _Ink:
        key = (text, weight, size, color, bg)
        got = self._cache.get(key)
        if got is not None:
            self._cache.move_to_end(key)
            return got
        # Drawn straight onto a surface of the frame's plain format filled with the background
        # (the same pixels as `render(text, color, bg)`, without its per-pixel-alpha surface and
        # the conversion after it: half the cost of a new call's big number), so every later
        # blit is a copy.
        font = self.fonts[weight]
        rect = font.get_rect(text, size=size)
        inked = pygame.Surface(rect.size, 0, self._plain)
        inked.fill(bg)
        font.render_to(inked, (0, 0), text, color, size=size)
        got = _Ink(inked, rect.x, rect.y, rect.width)
        self._cache[key] = got
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return got

    def width(self, text: str, weight: str, size: int) -> int:
        key = (text, weight, size)
        w = self._widths.get(key)
        if w is None:
            if len(self._widths) > 4000:
                self._widths.clear()
            w = self._widths[key] = self.fonts[weight].get_rect(text, size=size).width
        return w

    def fit(self, text: str, weight: str, size: int, max_w: int, min_size: int = 10) -> tuple[str, int]:
        """The largest size <= `size` at which `text` fits `max_w`; below `min_size`, cut with '…'."""
        size = max(1, int(size))
        w = self.width(text, weight, size)
        if w <= max_w:
            return text, size
        size = max(min_size, int(size * max_w / max(1, w)))
        while size > min_size and self.width(text, weight, size) > max_w:
            size -= 1
        while len(text) > 1 and self.width(text, weight, size) > max_w:
            text = text[:-2].rstrip() + "…"
        return text, size

    def pen(self, target: pygame.Surface, bg: Color) -> _Pen:
        return _Pen(self, target, bg)


class _Pen:
    """Draws texts onto one surface, over one background colour."""

    def __init__(self, text: _Text, target: pygame.Surface, bg: Color):
        self.text, self.target, self.bg = text, target, bg

    def draw(self, text: str, weight: str, size: int, color: Color, x: int, baseline: int, align: str = "left") -> int:
        """Blit `text` with its baseline at `baseline`; returns the ink width."""
        if not text:
            return 0
        ink = self.text.ink(text, weight, size, color, self.bg)
        if align == "left":
            left = x + ink.dx
        elif align == "right":
            left = x - ink.width
        else:
            left = x - ink.width // 2
        self.target.blit(ink.surface, (left, baseline - ink.ascent))
        return ink.width

    def line(
        self,
        text: str,
        box: pygame.Rect,
        weight: str,
        color: Color,
        align: str = "left",
        size: int | None = None,
        min_size: int = 10,
    ) -> int:
        """Fit one line of text into `box` (its height sets the size unless `size` is smaller),
        centred vertically by the font's ink extents. Returns the size used."""
        want = int(box.height / (INK_TOP + INK_BOTTOM))
        text, used = self.text.fit(text, weight, min(want, size or want), box.width, min_size)
        baseline = box.top + round((box.height - (INK_TOP + INK_BOTTOM) * used) / 2 + INK_TOP * used)
        x = box.left if align == "left" else box.right if align == "right" else box.centerx
        self.draw(text, weight, used, color, x, baseline, align)
        return used

    def big(self, text: str, box: pygame.Rect, color: Color, max_cap: int) -> None:
        """A ticket number as large as `box` allows (digits at most `max_cap` pixels tall), centred."""
        size = int(min(box.height, max_cap) / CAP)
        text, size = self.text.fit(text, "bold", size, box.width)
        ink = self.text.ink(text, "bold", size, color, self.bg)
        h = ink.surface.get_height()
        self.target.blit(ink.surface, (box.centerx - ink.width // 2, box.top + (box.height - h) // 2))


# --- layout -----------------------------------------------------------------------------------


def _rows(box: pygame.Rect, shares: list[float], gap: int = 0) -> list[pygame.Rect]:
    """Split `box` top to bottom by `shares` (fractions of the height left after the gaps)."""
    avail = box.height - gap * (len(shares) - 1)
    total = sum(shares)
    out, y = [], box.top
    for s in shares:
        h = round(avail * s / total)
        out.append(pygame.Rect(box.left, y, box.width, h))
        y += h + gap
    return out


def _cols(box: pygame.Rect, shares: list[float], gap: int = 0) -> list[pygame.Rect]:
    avail = box.width - gap * (len(shares) - 1)
    total = sum(shares)
    out, x = [], box.left
    for s in shares:
        w = round(avail * s / total)
        out.append(pygame.Rect(x, box.top, w, box.height))
        x += w + gap
    return out


@dataclass(frozen=True)
class _HallLayout:
    header: pygame.Rect
    current: pygame.Rect
    recent: pygame.Rect
    waiting: pygame.Rect
    notice: pygame.Rect
    body: pygame.Rect  # everything between header and notice (incident mode uses it whole)
    margin: int
    pad: int
    head_h: int  # height of a panel heading ("最近叫号 Recent calls")
    portrait: bool


@lru_cache(maxsize=16)
def _hall_layout(size: tuple[int, int]) -> _HallLayout:
    w, h = size
    portrait = h > w
    m = max(8, round(min(w, h) * 0.018))
    pad = max(6, round(min(w, h) * 0.016))
    header_h = round(h * (0.075 if portrait else 0.105))
    notice_h = round(h * (0.045 if portrait else 0.075))
    header = pygame.Rect(0, 0, w, header_h)
    notice = pygame.Rect(0, h - notice_h, w, notice_h)
    body = pygame.Rect(m, header.bottom + m, w - 2 * m, notice.top - header.bottom - 2 * m)
    if portrait:
        current, recent, waiting = _rows(body, [0.43, 0.24, 0.33], m)
    else:
        left, right = _cols(body, [0.61, 0.39], m)
        current = left
        recent, waiting = _rows(right, [0.43, 0.57], m)
    head_h = round(min(w, h) * 0.042)
    return _HallLayout(header, current, recent, waiting, notice, body, m, pad, head_h, portrait)


@dataclass(frozen=True)
class _CounterLayout:
    header: pygame.Rect
    body: pygame.Rect
    footer: pygame.Rect
    margin: int
    pad: int


@lru_cache(maxsize=16)
def _counter_layout(size: tuple[int, int]) -> _CounterLayout:
    w, h = size
    m = max(8, round(min(w, h) * 0.025))
    pad = max(6, round(min(w, h) * 0.02))
    header = pygame.Rect(0, 0, w, round(h * (0.17 if w >= h else 0.11)))
    footer = pygame.Rect(0, h - round(h * (0.14 if w >= h else 0.09)), w, round(h * (0.14 if w >= h else 0.09)))
    body = pygame.Rect(m, header.bottom + m, w - 2 * m, footer.top - header.bottom - 2 * m)
    return _CounterLayout(header, body, footer, m, pad)


def _split_in_two(text: str) -> tuple[str, str] | None:
    """Break a sentence near its middle: after a Chinese comma, or at a space."""
    cuts = [i + 1 for i, ch in enumerate(text) if ch in ",,、;;"] or [i for i, ch in enumerate(text) if ch == " "]
    cuts = [i for i in cuts if 0 < i < len(text) - 1]
    if not cuts:
        return None
    i = min(cuts, key=lambda c: abs(c - len(text) / 2))
    return text[:i].strip(), text[i:].strip()


def _notice_text(notice: Names) -> str:
    return "      ".join(x for x in (notice.zh, notice.en) if x)


def _notice_box(band: pygame.Rect, m: int) -> tuple[pygame.Rect, int]:
    """The part of the notice band text goes in, and the font size that fills its height."""
    inner = band.inflate(-2 * m, -round(band.height * 0.28))
    return inner, int(inner.height / (INK_TOP + INK_BOTTOM))


# --- the painter ------------------------------------------------------------------------------


class BoardPainter:
    """Draws board states; keeps fonts, drawn texts and static layers between frames."""

    def __init__(self) -> None:
        self.text = _Text()
        self._static: OrderedDict[tuple, pygame.Surface] = OrderedDict()

    def paint(self, state: BoardState, target: pygame.Surface) -> None:
        size = _check_size(target.get_size())
        if state.mode == "counter":
            self._paint_counter(state, target, size)
        else:
            self._paint_hall(state, target, size)

    def _layer(self, key: tuple, size: tuple[int, int], draw) -> pygame.Surface:
        """The static layer for `key`, drawn once by `draw(surface)` and kept for later frames."""
        layer = self._static.get(key)
        if layer is None:
            layer = pygame.Surface(size)
            draw(layer)
            self._static[key] = layer
            if len(self._static) > 8:
                self._static.popitem(last=False)
        else:
            self._static.move_to_end(key)
        return layer

    @staticmethod
    def _panel(surf: pygame.Surface, rect: pygame.Rect) -> None:
        radius = max(4, min(rect.width, rect.height) // 40)
        pygame.draw.rect(surf, PANEL, rect, border_radius=radius)
        pygame.draw.rect(surf, PANEL_EDGE, rect, width=max(1, radius // 4), border_radius=radius)

    def _heading(self, surf: pygame.Surface, rect: pygame.Rect, pad: int, head_h: int, zh: str, en: str) -> None:
        """A two-language heading at the top of a panel, and a rule under it."""
        pen = self.text.pen(surf, PANEL)
        head = pygame.Rect(rect.left + pad, rect.top + pad // 2, rect.width - 2 * pad, head_h)
        size = pen.line(zh, head, "bold", TEXT)
        zh_w = self.text.width(zh, "bold", size)
        en_box = pygame.Rect(head.left + zh_w + pad, head.top, head.width - zh_w - pad, head.height)
        pen.line(en, en_box, "regular", MUTED, size=round(size * 0.7))
        y = head.bottom + pad // 3
        pygame.draw.line(surf, PANEL_EDGE, (rect.left + pad, y), (rect.right - pad, y), max(1, pad // 6))

    @staticmethod
    def _heading_area(rect: pygame.Rect, pad: int, head_h: int) -> pygame.Rect:
        """The part of a panel below its heading."""
        y = rect.top + pad // 2 + head_h + pad // 3
        return pygame.Rect(rect.left + pad, y + pad // 2, rect.width - 2 * pad, rect.bottom - y - pad)

    # hall mode

    def _paint_hall(self, state: BoardState, target: pygame.Surface, size: tuple[int, int]) -> None:
        lay = _hall_layout(size)
        incident = state.incident is not None

        def draw_static(surf: pygame.Surface) -> None:
            surf.fill(BG)
            self._header_static(surf, lay.header, lay.margin, state.hall_name)
            if incident:
                self._panel(surf, lay.body)
            else:
                for panel in (lay.current, lay.recent, lay.waiting):
                    self._panel(surf, panel)
                self._heading(surf, lay.recent, lay.pad, lay.head_h, "最近叫号", "Recent calls")
                self._heading(surf, lay.waiting, lay.pad, lay.head_h, "等候情况", "Waiting")
            pygame.draw.rect(surf, NOTICE_BG, lay.notice)

        target.blit(self._layer(("hall", size, state.hall_name, incident), size, draw_static), (0, 0))
        self._clock(target, lay.header, lay.margin, state.now, lay.portrait)
        if state.incident is not None:
            self._incident(self.text.pen(target, PANEL), lay.body.inflate(-2 * lay.pad, -2 * lay.pad), state.incident)
        else:
            self._current(target, lay.current, lay.pad, state.current, state.blink_on)
            self._recent(target, self._heading_area(lay.recent, lay.pad, lay.head_h), lay.pad, state)
            self._waiting(target, self._heading_area(lay.waiting, lay.pad, lay.head_h), lay.pad, state)
        self._notice(target, lay.notice, lay.margin, state.notice, state.notice_offset)

    def _header_static(self, surf: pygame.Surface, header: pygame.Rect, m: int, name: Names) -> None:
        pygame.draw.rect(surf, PANEL, header)
        pygame.draw.line(surf, PANEL_EDGE, header.bottomleft, (header.right, header.bottom - 1), max(1, m // 6))
        left = pygame.Rect(header.left + m, header.top, round(header.width * 0.62) - m, header.height)
        zh_box, en_box = _rows(left.inflate(0, -round(header.height * 0.18)), [0.62, 0.38])
        pen = self.text.pen(surf, PANEL)
        pen.line(name.zh, zh_box, "bold", TEXT)
        pen.line(name.en, en_box, "regular", MUTED)

    def _clock(self, target: pygame.Surface, header: pygame.Rect, m: int, now: dt.datetime, portrait: bool) -> None:
        right = pygame.Rect(round(header.width * 0.62), header.top, round(header.width * 0.38) - m, header.height)
        inner = right.inflate(0, -round(header.height * 0.2))
        zh = f"{now.year}年{now.month}月{now.day}日 星期{ZH_WEEKDAYS[now.weekday()]}"
        en = f"{EN_WEEKDAYS[now.weekday()]} {now.day} {EN_MONTHS[now.month - 1]} {now.year}"
        if portrait:  # a narrow header: the time above the date
            clock_box, zh_box, en_box = _rows(inner, [0.5, 0.28, 0.22])
        else:  # a wide one: the date beside the time
            clock_w = round(inner.width * 0.34)
            clock_box = pygame.Rect(inner.right - clock_w, inner.top, clock_w, inner.height)
            date_box = pygame.Rect(inner.left, inner.top, inner.width - clock_w - m, inner.height)
            zh_box, en_box = _rows(date_box, [0.55, 0.45])
        pen = self.text.pen(target, PANEL)
        pen.line(f"{now:%H:%M}", clock_box, "bold", TEXT, align="right")
        pen.line(zh, zh_box, "regular", TEXT, align="right")
        pen.line(en, en_box, "regular", MUTED, align="right")

    def _current(
        self, target: pygame.Surface, rect: pygame.Rect, pad: int, call: CurrentCall | None, blink: bool
    ) -> None:
        if blink and call is not None:  # the highlighted half of the blink: dark on amber
            pygame.draw.rect(target, NUMBER, rect.inflate(-pad // 2, -pad // 2), border_radius=max(4, pad // 2))
            pen = self.text.pen(target, NUMBER)
            number = text = muted = counter = recall = BG
        else:
            pen = self.text.pen(target, PANEL)
            number, text, muted, counter, recall = NUMBER, TEXT, MUTED, COUNTER, ALERT
        inner = rect.inflate(-2 * pad, -2 * pad)
        caption, label, counter_row, zh_row, en_row = _rows(inner, [0.075, 0.5, 0.14, 0.075, 0.06], pad // 2)
        if call is None:
            pen.line("请留意叫号", label.inflate(0, -label.height // 2), "bold", muted, align="center")
            pen.line("Please wait for your number to be called", counter_row, "regular", muted, align="center")
            return
        left, right = _cols(caption, [0.42, 0.58], 2 * pad)
        pen.line("正在呼叫  Now calling", left, "regular", muted)
        if call.recall:
            pen.line(f"再次呼叫 Recall · {call.at:%H:%M}", right, "bold", recall, align="right")
        else:
            pen.line(f"{call.at:%H:%M}", right, "regular", muted, align="right")
        pen.big(call.label, label.inflate(-2 * pad, 0), number, max_cap=label.height)
        name = f"→ {call.counter_name.zh}  {call.counter_name.en}"
        if self.text.width(name, "bold", int(counter_row.height / (INK_TOP + INK_BOTTOM))) <= counter_row.width * 1.35:
            pen.line(name, counter_row, "bold", counter, align="center")
        else:  # a long counter name: Chinese above, English below, both still large
            zh_box, en_box = _rows(counter_row, [0.6, 0.4])
            pen.line(f"→ {call.counter_name.zh}", zh_box, "bold", counter, align="center")
            pen.line(call.counter_name.en, en_box, "bold", counter, align="center")
        pen.line(f"请 {call.label} 号到 {call.counter} 号窗口办理", zh_row, "regular", text, align="center")
        pen.line(f"Ticket {call.label}, please go to counter {call.counter}", en_row, "regular", muted, align="center")

    def _recent(self, target: pygame.Surface, area: pygame.Rect, pad: int, state: BoardState) -> None:
        pen = self.text.pen(target, PANEL)
        cells = [c for row in _rows(area, [1] * 4, pad // 3) for c in _cols(row, [1, 1], 3 * pad)]
        if not state.recent:
            pen.line(
                "暂无叫号  No calls yet",
                cells[0].union(cells[1]),
                "regular",
                MUTED,
                align="center",
                size=round(cells[0].height * 0.5),
            )
            return
        x = (cells[0].right + cells[1].left) // 2
        pygame.draw.line(target, PANEL_EDGE, (x, area.top), (x, area.bottom), max(1, pad // 6))
        for call, cell in zip(state.recent, cells):
            label_box, where = _cols(cell, [0.5, 0.5], pad // 2)
            pen.line(call.label, label_box.inflate(0, -cell.height // 5), "bold", NUMBER)
            zh_box, en_box = _rows(where.inflate(0, -cell.height // 8), [0.58, 0.42])
            pen.line(f"{call.counter}号窗口", zh_box, "bold", COUNTER, align="right")
            pen.line(f"Counter {call.counter}", en_box, "regular", MUTED, align="right")

    def _waiting(self, target: pygame.Surface, area: pygame.Rect, pad: int, state: BoardState) -> None:
        pen = self.text.pen(target, PANEL)
        badge_pen = self.text.pen(target, PANEL_EDGE)
        row_h = min(area.height // max(4, len(state.waiting)), round(area.width * 0.16))
        for i, svc in enumerate(state.waiting):
            row = pygame.Rect(area.left, area.top + i * row_h, area.width, row_h - pad // 3)
            badge, name, count, wait = _cols(row, [0.085, 0.465, 0.16, 0.29], pad)
            side = min(badge.width, badge.height)
            square = pygame.Rect(badge.left, badge.centery - side // 2, side, side)
            pygame.draw.rect(target, PANEL_EDGE, square, border_radius=max(3, side // 6))
            badge_pen.line(svc.prefix, square.inflate(-side // 4, -side // 4), "bold", NUMBER, align="center")
            zh_box, en_box = _rows(name, [0.58, 0.42])
            pen.line(svc.name.zh, zh_box, "bold", TEXT)
            pen.line(svc.name.en, en_box, "regular", MUTED)
            top, bottom = _rows(count, [0.58, 0.42])
            pen.line(f"{svc.waiting} 人", top, "bold", TEXT, align="right")
            pen.line("waiting", bottom, "regular", MUTED, align="right")
            top, bottom = _rows(wait, [0.58, 0.42])
            words = wait_words(
                svc.waiting, svc.wait_s, no_counter_open=svc.no_counter_open
            ).wait  # for a ticket taken now: as it would print
            color = MUTED if svc.wait_s is None else COUNTER if svc.wait_s < 1 else TEXT
            pen.line(words.zh, top, "bold", color, align="right")
            pen.line(words.en, bottom, "regular", MUTED, align="right")

    def paint_notice(self, state: BoardState, target: pygame.Surface) -> pygame.Rect:
        """Redraw only the notice band of a hall screen, for a `state` that differs from the one
        last painted on `target` in nothing but `notice_offset` (the scroll); returns the band,
        the only part of the picture that changed."""
        lay = _hall_layout(_check_size(target.get_size()))
        pygame.draw.rect(target, NOTICE_BG, lay.notice)
        self._notice(target, lay.notice, lay.margin, state.notice, state.notice_offset)
        return lay.notice

    def notice_scrolls(self, notice: Names, size: tuple[int, int]) -> bool:
        """Whether `notice` is too wide for the notice band of a hall screen of `size`, so that it
        scrolls (and `notice_offset` changes the picture); a counter screen has no notice band."""
        lay = _hall_layout(_check_size(size))
        text = _notice_text(notice)
        if not text:
            return False
        inner, font_size = _notice_box(lay.notice, lay.margin)
        return self.text.width(text, "regular", font_size) > inner.width

    def _notice(self, target: pygame.Surface, band: pygame.Rect, m: int, notice: Names, offset: int) -> None:
        """The notice band: still when it fits, else scrolling left by `offset` pixels, repeating."""
        text = _notice_text(notice)
        if not text:
            return
        pen = self.text.pen(target, NOTICE_BG)
        inner, size = _notice_box(band, m)
        baseline = inner.top + round((inner.height - (INK_TOP + INK_BOTTOM) * size) / 2 + INK_TOP * size)
        width = self.text.width(text, "regular", size)
        clip = target.get_clip()
        target.set_clip(inner)
        if width <= inner.width:
            pen.draw(text, "regular", size, TEXT, inner.centerx, baseline, "center")
        else:
            period = width + inner.width // 3
            x = inner.left - offset % period
            while x < inner.right:
                pen.draw(text, "regular", size, TEXT, x, baseline)
                x += period
        target.set_clip(clip)

    def _incident(self, pen: _Pen, area: pygame.Rect, incident: Incident) -> None:
        """Calling has stopped: say so, since when, until when, and that every ticket keeps its place."""
        since = f"{incident.since:%H:%M}"
        lines: list[tuple[str, str, Color, float]] = [
            ("叫号系统正在恢复", "bold", NUMBER, 1.6),
            ("The calling system is recovering", "bold", NUMBER, 1.0),
            (f"自 {since} 起暂停叫号", "regular", TEXT, 0.8),
            (f"Calling paused since {since}", "regular", MUTED, 0.65),
        ]
        if incident.expected_back is not None:
            back = f"{incident.expected_back:%H:%M}"
            lines += [(f"预计 {back} 恢复", "regular", TEXT, 0.8), (f"Expected back by {back}", "regular", MUTED, 0.65)]
        lines += [
            ("您的号票继续有效,排队顺序不变,请保留号票。", "bold", COUNTER, 0.9),
            ("Your ticket stays valid and you keep your place in the queue.", "regular", COUNTER, 0.72),
        ]
        if incident.message.zh:
            lines.append((incident.message.zh, "regular", TEXT, 0.8))
        if incident.message.en:
            lines.append((incident.message.en, "regular", MUTED, 0.65))
        lines += [
            ("给您带来不便,敬请谅解。", "regular", MUTED, 0.7),
            ("We apologise for the inconvenience.", "regular", MUTED, 0.6),
        ]
        inner = area.inflate(-area.width // 16, -area.height // 10)
        gap = max(2, round(inner.height * 0.028))
        boxes = _rows(inner, [s for *_, s in lines], gap)
        wrapped: list[tuple[str, str, Color, float]] = []
        for (text, weight, color, share), box in zip(lines, boxes):  # a narrow screen: long lines in two
            want = int(box.height / (INK_TOP + INK_BOTTOM))
            halves = _split_in_two(text) if self.text.width(text, weight, want) > box.width * 1.3 else None
            if halves:
                wrapped += [(halves[0], weight, color, share * 0.8), (halves[1], weight, color, share * 0.8)]
            else:
                wrapped.append((text, weight, color, share))
        for (text, weight, color, _), box in zip(wrapped, _rows(inner, [s for *_, s in wrapped], gap)):
            pen.line(text, box, weight, color, align="center")

    # counter mode

    def _paint_counter(self, state: BoardState, target: pygame.Surface, size: tuple[int, int]) -> None:
        lay = _counter_layout(size)
        view = state.counter
        assert view is not None  # BoardState guarantees it in counter mode
        inner = lay.header.inflate(-2 * lay.margin, -round(lay.header.height * 0.16))

        def draw_static(surf: pygame.Surface) -> None:
            surf.fill(BG)
            pygame.draw.rect(surf, PANEL, lay.header)
            pygame.draw.rect(surf, PANEL, lay.footer)
            side = inner.height
            badge = pygame.Rect(inner.left, inner.top, round(side * 1.3), side)
            pygame.draw.rect(surf, COUNTER, badge, border_radius=max(4, side // 8))
            self.text.pen(surf, COUNTER).line(
                str(view.number), badge.inflate(-side // 5, -side // 4), "bold", BG, align="center"
            )
            names = pygame.Rect(
                badge.right + lay.margin, inner.top, round(inner.width * 0.68) - badge.width - lay.margin, inner.height
            )
            zh_box, en_box = _rows(names, [0.6, 0.4])
            pen = self.text.pen(surf, PANEL)
            pen.line(view.name.zh, zh_box, "bold", TEXT)
            pen.line(view.name.en, en_box, "regular", MUTED)

        target.blit(self._layer(("counter", size, view.number, view.name), size, draw_static), (0, 0))
        clock = pygame.Rect(inner.left + round(inner.width * 0.7), inner.top, round(inner.width * 0.3), inner.height)
        time_box, date_box = _rows(clock, [0.62, 0.38])
        pen = self.text.pen(target, PANEL)
        pen.line(f"{state.now:%H:%M}", time_box, "bold", TEXT, align="right")
        pen.line(
            f"{state.now.month}月{state.now.day}日 星期{ZH_WEEKDAYS[state.now.weekday()]}",
            date_box,
            "regular",
            MUTED,
            align="right",
        )
        if state.incident is not None:
            self._incident(self.text.pen(target, BG), lay.body, state.incident)
        else:
            self._counter_body(target, lay.body, lay.pad, view, state.blink_on)
        self._counter_footer(
            pen, lay.footer.inflate(-2 * lay.margin, -round(lay.footer.height * 0.25)), view, state.incident is None
        )

    def _counter_body(
        self, target: pygame.Surface, body: pygame.Rect, pad: int, view: CounterView, blink: bool
    ) -> None:
        pen = self.text.pen(target, BG)
        caption, main = _rows(body, [0.14, 0.86], pad // 2)
        if view.state != "open" or view.ticket is None:
            if view.state == "closed":
                big, small, color = "本窗口暂停服务", "This counter is closed · please go to another counter", ALERT
            elif view.state == "paused":
                reason = PAUSE_TEXT.get(view.pause_reason or "other", PAUSE_TEXT["other"])
                big, small, color = f"暂停服务 · {reason.zh}", f"Paused · {reason.en} · back soon", NUMBER
            else:
                big, small, color = "欢迎办理", "Welcome · please wait for your number", TEXT
            top, bottom = _rows(main.inflate(0, -main.height // 4), [0.6, 0.4], pad)
            pen.line(big, top, "bold", color, align="center")
            pen.line(small, bottom, "regular", MUTED, align="center")
            return
        color, caption_color = NUMBER, MUTED
        if blink:
            pygame.draw.rect(target, NUMBER, body, border_radius=max(4, pad))
            pen = self.text.pen(target, NUMBER)
            color = caption_color = BG
        pen.line(COUNTER_CAPTION[view.serving], caption, "regular", caption_color, align="center")
        pen.big(view.ticket, main, color, max_cap=round(main.height * 0.8))

    @staticmethod
    def _counter_footer(pen: _Pen, footer: pygame.Rect, view: CounterView, state_known: bool) -> None:
        left, right = _cols(footer, [0.65, 0.35])
        if state_known:  # during an incident nobody can tell this counter's state
            text, color = {
                "open": ("服务中  Open", COUNTER),
                "paused": ("暂停服务  Paused", NUMBER),
                "closed": ("停止服务  Closed", ALERT),
            }[view.state]
            pen.line(text, left, "bold", color)
        if view.clerk:
            pen.line(f"工号 Staff No. {view.clerk}", right, "regular", MUTED, align="right")
