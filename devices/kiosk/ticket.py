"""The printed ticket: what is on it (TicketFace) and how it looks, as pure functions.

`render_ticket` draws the ticket as a 1-bit image the full width of the print head (576 dots on
80 mm paper, 384 on 58 mm), with the shipped Noto Sans SC font only, so it prints the same on
any ESC/POS printer that takes raster images. `ticket_text` is the other way, for printers that
print Chinese from their own font: ESC/POS commands with the Chinese encoded GB18030 and sent
as they are (never through python-escpos' code-page guessing, which prints full-width
punctuation as "?"), a large number, and a native QR code only when that printer can do it.

The ticket number is the thing a citizen looks for at arm's length, so it is drawn as large as
the paper allows; everything else wraps to the paper, never clipped. Text the font cannot draw
is refused with one error instead of being printed as boxes.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import qrcode
from PIL import Image, ImageDraw, ImageFont

from drivers import fonts
from drivers.printer.roll import ROLLS
from hall import waiting
from hall.config import TICKET_CLASSES, Names

MARGIN_DOTS = {80: 16, 58: 10}  # left blank on each side: nothing is drawn there


class TicketFaceError(ValueError):
    """A ticket face that cannot be printed as it is (bad field, or text the font cannot draw)."""


@dataclass(frozen=True)
class TicketFace:
    """Everything printed on one ticket."""

    hall_name: Names
    service_name: Names
    label: str  # "A023"
    ahead: int  # people waiting ahead
    wait_s: float | None  # estimated wait; None: not known
    taken_at: dt.datetime  # aware, in the hall's time zone
    qr_url: str  # the ticket's live status page; "" prints no code
    materials: tuple[str, ...] = ()  # each "中文 English"
    footer: Names = field(default_factory=lambda: Names("", ""))
    ticket_class: str = "normal"  # normal | priority | appointment
    priority_asked: bool = False  # priority asked for, staff still to confirm it (a "staff" kiosk)
    offline: bool = False  # issued from an offline block while the controller was away
    no_counter_open: bool = False  # no wait is printed because no counter serving it is open now

    def __post_init__(self) -> None:
        if not isinstance(self.label, str) or not self.label.strip() or len(self.label) > 12:
            raise TicketFaceError(f"ticket label {self.label!r} must be 1 to 12 characters, like 'A023'")
        if isinstance(self.ahead, bool) or not isinstance(self.ahead, int) or self.ahead < 0:
            raise TicketFaceError(f"people ahead must be a whole number 0 or more, not {self.ahead!r}")
        if self.wait_s is not None and (
            isinstance(self.wait_s, bool)
            or not isinstance(self.wait_s, (int, float))
            or not math.isfinite(self.wait_s)
            or self.wait_s < 0
        ):
            raise TicketFaceError(f"estimated wait must be seconds 0 or more, or None, not {self.wait_s!r}")
        if not isinstance(self.taken_at, dt.datetime) or self.taken_at.utcoffset() is None:
            raise TicketFaceError("the time taken must be a datetime with its time zone")
        if not isinstance(self.ticket_class, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", self.ticket_class):
            raise TicketFaceError(
                f"ticket class {self.ticket_class!r} is not a class name such as {', '.join(TICKET_CLASSES)}"
            )
        if not isinstance(self.materials, tuple) or not all(isinstance(m, str) and m.strip() for m in self.materials):
            raise TicketFaceError("materials must be a tuple of non-empty strings")
        if not isinstance(self.qr_url, str) or any(c.isspace() for c in self.qr_url):
            raise TicketFaceError(f"QR URL {self.qr_url!r} must be text without spaces")


# --- the words on the ticket (shared by image and text mode) -------------------------------

CLASS_MARKS = {"priority": "优先 PRIORITY", "appointment": "预约 APPOINTMENT"}
PRIORITY_ASKED_MARK = "优先待确认 PRIORITY: SHOW STAFF"


def class_mark(face: TicketFace) -> str | None:
    """The banner under the hall's name: priority, appointment, or a priority staff must confirm.
    Every priority class of the hall (elderly, disabled, pregnant) prints as priority; the counter
    and the reports know which it was."""
    if face.priority_asked:
        return PRIORITY_ASKED_MARK
    if face.ticket_class == "normal":
        return None
    return CLASS_MARKS.get(face.ticket_class, CLASS_MARKS["priority"])


OFFLINE_MARK = "离线出号 ISSUED OFFLINE"
OFFLINE_NOTE = Names("系统恢复后自动登记，排队顺序不变", "Recorded when the system is back; your place is kept")
MATERIALS_HEADING = "请带齐以下材料 Please bring"
QR_CAPTION = Names("扫码查看排队进度", "Scan for live queue status")
TAKEN = "取号时间 Taken"


def wait_words(face: TicketFace) -> Names:
    """ "前面还有 12 人 · 预计等候约 25 分钟" / "12 ahead · about 25 min": hall.waiting's words,
    the same the calling screen and the ticket's live page say for the same numbers."""
    return waiting.wait_words(face.ahead, face.wait_s, no_counter_open=face.no_counter_open).line


def taken_words(face: TicketFace) -> str:
    return f"{TAKEN} {face.taken_at:%Y-%m-%d %H:%M}"


def face_texts(face: TicketFace) -> dict[str, str]:
    """Every text printed for this face, by field name (what the font must be able to draw)."""
    texts = {
        "hall name (zh)": face.hall_name.zh,
        "hall name (en)": face.hall_name.en,
        "service name (zh)": face.service_name.zh,
        "service name (en)": face.service_name.en,
        "label": face.label,
        "footer (zh)": face.footer.zh,
        "footer (en)": face.footer.en,
    }
    texts.update({f"materials[{i}]": m for i, m in enumerate(face.materials)})
    return texts


def check_drawable(face: TicketFace) -> None:
    """Raise TicketFaceError naming the first field with characters the shipped font cannot draw."""
    for where, text in face_texts(face).items():
        if not isinstance(text, str):
            raise TicketFaceError(f"{where} must be text, not {text!r}")
        bad = fonts.missing(text)
        if bad:
            shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in sorted(bad))
            raise TicketFaceError(f"{where} {text!r} has characters the ticket font cannot draw: {shown}")


# --- wrapping ------------------------------------------------------------------------------

_NO_LINE_START = set(",.;:!?)]}%，。、；：！？）」』】》·")
_NO_LINE_END = set("([{（「『【《")


def _tokens(text: str) -> list[str]:
    """Break opportunities: each wide (CJK) character alone, Latin words with their spaces,
    closing punctuation glued to what comes before, opening punctuation to what follows."""
    out: list[str] = []
    word = ""
    for ch in text:
        wide = unicodedata.east_asian_width(ch) in "WF"
        if ch in _NO_LINE_START and (out or word):
            if word:
                word += ch
            else:
                out[-1] += ch
            continue
        if wide or ch == " ":
            if word:
                out.append(word)
                word = ""
            if ch == " " and out:
                out[-1] += ch
            elif ch != " ":
                out.append(ch)
        else:
            word += ch
    if word:
        out.append(word)
    glued: list[str] = []
    for tok in out:
        if glued and glued[-1] and glued[-1][-1] in _NO_LINE_END:
            glued[-1] += tok
        else:
            glued.append(tok)
    return glued


def wrap(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Lines of `text` no wider than `width`. If it does not fit on one line, it breaks first at
    " · " (the separator is dropped), then between the Chinese and the English of a "中文 English"
    text, then between words and Chinese characters."""
    text = text.strip()
    if not text:
        return []
    if measure(text) <= width:
        return [text]
    parts = text.split(" · ") if " · " in text else zh_en_split(text)
    if len(parts) > 1:
        return [line for part in parts for line in wrap(part, width, measure)]
    lines: list[str] = []
    line = ""
    for tok in _tokens(text):
        if line and measure((line + tok).rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        while measure(tok.rstrip()) > width:  # one word wider than the paper: cut it
            cut = 1
            while cut < len(tok) and measure(tok[: cut + 1]) <= width:
                cut += 1
            lines.append(tok[:cut].rstrip())
            tok = tok[cut:].lstrip()
        line += tok
    if line.strip():
        lines.append(line.rstrip())
    return lines


def zh_en_split(item: str) -> tuple[str, ...]:
    """'身份证原件 ID card (original)' -> ('身份证原件', 'ID card (original)'); else (item,)."""
    for i, ch in enumerate(item):
        if (
            ch == " "
            and any(unicodedata.east_asian_width(c) in "WF" for c in item[:i])
            and not any(unicodedata.east_asian_width(c) in "WF" for c in item[i:])
        ):
            return item[:i].strip(), item[i:].strip()
    return (item,)


# --- image mode -----------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(fonts.BOLD if bold else fonts.REGULAR), size)


@dataclass(frozen=True)
class _Look:
    width: int  # dots
    margin: int
    large: bool
    scale: float

    @property
    def inner(self) -> int:
        return self.width - 2 * self.margin

    def size(self, base: int) -> int:
        return max(16, round(base * self.scale))


class _Sheet:
    """A growing white strip of paper; blocks are drawn one under another."""

    def __init__(self, look: _Look):
        self.look = look
        self.image = Image.new("L", (look.width, 4000), 255)
        self.draw = ImageDraw.Draw(self.image)
        self.y = 10
        self.texts: list[tuple[str, tuple[float, float, float, float]]] = []  # (line, (x0, y0, x1, y1))

    def put(self, xy: tuple[float, float], text: str, font: ImageFont.FreeTypeFont, *, fill: int, anchor: str) -> None:
        """Draw one line of text and note where its ink lands (`texts`, for checking the layout)."""
        self.draw.text(xy, text, font=font, fill=fill, anchor=anchor)
        self.texts.append((text, self.draw.textbbox(xy, text, font=font, anchor=anchor)))

    def reserve(self, height: int) -> int:
        top = self.y
        while top + height + 40 > self.image.height:
            grown = Image.new("L", (self.image.width, self.image.height * 2), 255)
            grown.paste(self.image, (0, 0))
            self.image, self.draw = grown, ImageDraw.Draw(grown)
        self.y += height
        return top

    def gap(self, dots: int) -> None:
        self.y += dots

    def text(self, text: str, base: int, *, bold: bool = False, align: str = "center", pad: int = 0) -> None:
        """Wrapped lines, `pad` dots in from both margins."""
        size = self.look.size(base)
        font = _font(size, bold)
        width = self.look.inner - 2 * pad
        for line in wrap(text, width, font.getlength):
            top = self.reserve(round(size * 1.24))
            w = font.getlength(line)
            x = self.look.margin + pad + {"left": 0, "center": (width - w) / 2}[align]
            self.put((x, top + round(size * 0.88)), line, font, fill=0, anchor="ls")

    def rule(self, dashed: bool = False) -> None:
        top = self.reserve(14) + 6
        m = self.look.margin
        if dashed:
            for x in range(m, self.look.width - m, 12):
                self.draw.rectangle((x, top, min(x + 6, self.look.width - m - 1), top + 1), fill=0)
        else:
            self.draw.rectangle((m, top, self.look.width - m - 1, top + 2), fill=0)

    def bar(self, text: str, base: int) -> None:
        """White bold text on a black band the width of the paper (priority, appointment). Text too
        wide for the band (large print on 58 mm paper) goes on two lines, Chinese over English,
        at the same size: large print stays large."""
        size = self.look.size(base)
        font = _font(size, True)
        m = self.look.margin
        lines = wrap(text, self.look.inner - round(size * 0.6), font.getlength)
        line_h = round(size * 1.24)
        height = round(size * 0.36) + line_h * len(lines)
        top = self.reserve(height)
        self.draw.rectangle((m, top, self.look.width - m - 1, top + height - 1), fill=0)
        for i, line in enumerate(lines):
            self.put(
                (self.look.width / 2, top + round(size * 0.18) + i * line_h + round(size * 0.96)),
                line,
                font,
                fill=255,
                anchor="ms",
            )

    def boxed(self, title: str, note: Names) -> None:
        """A heavy frame around a bold title and a note (the offline mark)."""
        start = self.reserve(10)
        self.text(title, 28, bold=True, pad=10)
        self.gap(2)
        self.text(note.zh, 18, pad=10)
        self.text(note.en, 16, pad=10)
        end = self.reserve(10) + 10
        m = self.look.margin
        for i in range(5):
            self.draw.rectangle((m + i, start + i, self.look.width - m - 1 - i, end - 1 - i), outline=0)

    def number(self, label: str) -> None:
        """The ticket number as large as the paper allows: most of the width, capped in height."""
        look = self.look
        ref = _font(200, True)
        left, top, right, bottom = ref.getbbox(label, anchor="ls")
        ink_w, ink_h = right - left, -top
        target_w = look.inner * (0.94 if look.large else 0.84)
        max_h = look.width * (0.42 if look.large else 0.32)
        size = int(200 * min(target_w / ink_w, max_h / ink_h))
        font = _font(size, True)
        left, top, right, bottom = font.getbbox(label, anchor="ls")
        height = bottom - top
        y = self.reserve(height + 16) + 8
        x = (look.width - (right - left)) / 2 - left
        self.put((x, y - top), label, font, fill=0, anchor="ls")

    def checklist(self, items: tuple[str, ...], base: int) -> None:
        size = self.look.size(base)
        font = _font(size, False)
        box = round(size * 0.7)
        indent = box + round(size * 0.5)
        for item in items:
            lines = wrap(item, self.look.inner - indent, font.getlength)
            if self.look.large:  # fewer things a line: Chinese and English on lines of their own
                lines = [
                    ln for part in zh_en_split(item) for ln in wrap(part, self.look.inner - indent, font.getlength)
                ]
            first = True
            for line in lines:
                top = self.reserve(round(size * 1.24))
                base_y = top + round(size * 0.88)
                if first:
                    x0, y0 = self.look.margin, base_y - round(size * 0.76)
                    self.draw.rectangle((x0, y0, x0 + box, y0 + box), outline=0, width=2)
                    first = False
                self.put((self.look.margin + indent, base_y), line, font, fill=0, anchor="ls")
            self.gap(round(size * 0.15))

    def qr(self, url: str, caption: Names, *, beside: bool) -> None:
        look = self.look
        matrix = _qr_matrix(url)
        target = round((0.34 if beside else 0.5) * look.width * (1.15 if look.large else 1.0))
        module = max(3, min(8, target // len(matrix)))
        side = module * len(matrix)
        if side > look.inner:
            raise TicketFaceError(f"the QR URL is too long to print on {look.width}-dot paper ({len(url)} characters)")
        code = _qr_image(url, module)
        if beside:
            size_zh, size_en = look.size(22), look.size(18)
            text_w = look.inner - side - 24
            lines = [(ln, size_zh) for ln in wrap(caption.zh, text_w, _font(size_zh).getlength)]
            lines += [(ln, size_en) for ln in wrap(caption.en, text_w, _font(size_en).getlength)]
            text_h = sum(round(s * 1.24) for _, s in lines)
            top = self.reserve(side + 8) + 4
            self.image.paste(code, (look.margin, top))
            y = top + (side - text_h) // 2
            for line, size in lines:
                self.put((look.margin + side + 24, y + round(size * 0.88)), line, _font(size), fill=0, anchor="ls")
                y += round(size * 1.24)
        else:
            top = self.reserve(side + 8) + 4
            self.image.paste(code, ((look.width - side) // 2, top))
            self.text(caption.zh, 22)
            self.text(caption.en, 18)

    def finish(self) -> Image.Image:
        height = self.y + 10
        page = self.image.crop((0, 0, self.look.width, height))
        return page.point(lambda v: 255 if v >= 150 else 0, mode="1")


@lru_cache(maxsize=16)
def _qr_matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(url)
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())


def _qr_image(url: str, module: int) -> Image.Image:
    matrix = _qr_matrix(url)
    n = len(matrix)
    small = Image.new("L", (n, n), 255)
    small.putdata([0 if dark else 255 for row in matrix for dark in row])
    return small.resize((n * module, n * module), Image.Resampling.NEAREST)


def render_ticket(face: TicketFace, paper_mm: int = 80, large_print: bool = False) -> Image.Image:
    """The ticket as a 1-bit image, the roll's full width in dots (576 or 384), as tall as it needs."""
    return _lay_out(face, paper_mm, large_print).finish()


def text_boxes(face: TicketFace, paper_mm: int = 80, large_print: bool = False) -> list[tuple[str, tuple[float, ...]]]:
    """Every line of text of the rendered ticket with the box its ink fills, (x0, y0, x1, y1) in
    dots: to check that nothing runs off the paper, whatever the names and the print size."""
    return _lay_out(face, paper_mm, large_print).texts


def _lay_out(face: TicketFace, paper_mm: int, large_print: bool) -> _Sheet:
    if paper_mm not in ROLLS:
        raise TicketFaceError(f"paper width {paper_mm!r} mm is not one of {sorted(ROLLS)}")
    check_drawable(face)
    width = ROLLS[paper_mm].dots
    look = _Look(width=width, margin=MARGIN_DOTS[paper_mm], large=large_print, scale=1.4 if large_print else 1.0)
    beside = paper_mm == 80 and not large_print
    sheet = _Sheet(look)

    sheet.text(face.hall_name.zh, 26, bold=True)
    sheet.text(face.hall_name.en, 18)
    sheet.rule()
    if class_mark(face) is not None:
        sheet.gap(4)
        sheet.bar(class_mark(face), 30)
        sheet.gap(6)
    sheet.gap(6)
    sheet.text(face.service_name.zh, 36, bold=True)
    sheet.text(face.service_name.en, 22)
    sheet.gap(4)
    sheet.number(face.label)
    if face.offline:
        sheet.boxed(OFFLINE_MARK, OFFLINE_NOTE)
        sheet.gap(6)
    wait = wait_words(face)
    sheet.text(wait.zh, 26 if beside else 24, bold=True)
    sheet.text(wait.en, 21)
    sheet.gap(4)
    if large_print:
        sheet.text(TAKEN, 20)
        sheet.text(f"{face.taken_at:%Y-%m-%d %H:%M}", 20)
    else:
        sheet.text(taken_words(face), 20)
    if face.materials:
        sheet.rule(dashed=True)
        sheet.text(MATERIALS_HEADING, 22, bold=True, align="left")
        sheet.gap(4)
        sheet.checklist(face.materials, 20)
    if face.qr_url:
        sheet.rule(dashed=True)
        sheet.qr(face.qr_url, QR_CAPTION, beside=beside)
    if face.footer.zh or face.footer.en:
        sheet.rule(dashed=True)
        sheet.text(face.footer.zh, 18)
        sheet.text(face.footer.en, 16)
    return sheet


# --- text mode ------------------------------------------------------------------------------

ESC, GS, FS, LF = b"\x1b", b"\x1d", b"\x1c", b"\n"


def text_width(text: str) -> int:
    """Columns a Chinese-mode printer uses: one per ASCII character, two for anything else."""
    return sum(1 if ord(c) < 0x80 else 2 for c in text)


def _gbk_check(face: TicketFace) -> None:
    for where, text in face_texts(face).items():
        bad = {c for c in text if not _in_gbk(c)}
        if bad:
            shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in sorted(bad))
            raise TicketFaceError(f"{where} {text!r} has characters a Chinese printer's own font lacks: {shown}")


def _in_gbk(ch: str) -> bool:
    try:
        ch.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


def native_qr_bytes(url: str, module: int = 6) -> bytes:
    """GS ( k: QR model 2, module size, error correction M, store the data, print it."""
    data = url.encode("utf-8")
    n = len(data) + 3
    return b"".join(
        [
            GS + b"(k" + bytes((4, 0, 49, 65, 50, 0)),
            GS + b"(k" + bytes((3, 0, 49, 67, module)),
            GS + b"(k" + bytes((3, 0, 49, 69, 49)),
            GS + b"(k" + bytes((n & 0xFF, n >> 8, 49, 80, 48)) + data,
            GS + b"(k" + bytes((3, 0, 49, 81, 48)),
        ]
    )


def ticket_text(face: TicketFace, columns: int, native_qr: bool = False) -> bytes:
    """The ticket as ESC/POS text commands for a printer in Chinese (GB18030) mode.

    `columns`: the roll's `columns`, 48 on 80 mm paper, 32 on 58 mm. The QR code is printed with the
    printer's own GS ( k command only if `native_qr` (printers without it print garbage);
    otherwise it is left out. Does not cut: the printer driver feeds and cuts.
    """
    if isinstance(columns, bool) or not isinstance(columns, int) or not 24 <= columns <= 64:
        raise TicketFaceError(f"text columns {columns!r} must be a whole number from 24 to 64")
    check_drawable(face)
    _gbk_check(face)
    out = bytearray()

    def lines(text: str, *, width: int = columns, bold: bool = False, size: int = 0x00) -> None:
        for line in wrap(text, width, text_width):
            out.extend(GS + b"!" + bytes((size,)) + ESC + b"E" + bytes((int(bold),)))
            out.extend(line.encode("gb18030") + LF)
        out.extend(GS + b"!\x00" + ESC + b"E\x00")

    def align(where: int) -> None:
        out.extend(ESC + b"a" + bytes((where,)))

    out.extend(ESC + b"@" + FS + b"&")
    align(1)
    lines(face.hall_name.zh, bold=True)
    lines(face.hall_name.en)
    out.extend(b"-" * columns + LF)
    if class_mark(face) is not None:
        mark = class_mark(face)
        parts = [mark] if text_width(f" {mark} ") <= columns else mark.split(" ", 1)  # zh over en
        for part in parts:
            out.extend(
                GS + b"B\x01" + ESC + b"E\x01" + f" {part} ".encode("gb18030") + GS + b"B\x00" + ESC + b"E\x00" + LF
            )
    lines(face.service_name.zh, width=columns // 2, bold=True, size=0x11)
    lines(face.service_name.en)
    mult = next((m for m in (4, 3, 2) if text_width(face.label) * m <= columns), 1)
    out.extend(ESC + b"d\x01")
    lines(face.label, width=columns // mult, bold=True, size=(mult - 1) * 0x11)
    if face.offline:
        lines(f"** {OFFLINE_MARK} **", bold=True)
        lines(OFFLINE_NOTE.zh)
        lines(OFFLINE_NOTE.en)
    wait = wait_words(face)
    lines(wait.zh, bold=True)
    lines(wait.en)
    lines(taken_words(face))
    if face.materials:
        out.extend(b"-" * columns + LF)
        align(0)
        lines(MATERIALS_HEADING + ":", bold=True)
        for item in face.materials:
            for i, line in enumerate(wrap(item, columns - 4, text_width)):
                out.extend((b"[ ] " if i == 0 else b"    ") + line.encode("gb18030") + LF)
        align(1)
    if face.qr_url and native_qr:
        out.extend(b"-" * columns + LF)
        out.extend(native_qr_bytes(face.qr_url))
        lines(QR_CAPTION.zh)
        lines(QR_CAPTION.en)
    if face.footer.zh or face.footer.en:
        out.extend(b"-" * columns + LF)
        lines(face.footer.zh)
        lines(face.footer.en)
    return bytes(out)
