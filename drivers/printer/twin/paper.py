"""What a ticket's bytes put on the paper: the twin's print head, drawn as a 1-bit image.

It draws only what the bytes say (raster images GS v 0, ESC * and GS ( L; text, GB18030 in
Chinese mode, in the shipped font's 12x24 / 24x24 cells; native QR codes GS ( k). It never sees
the TicketFace the kiosk rendered, so a PNG of this paper shows what a real printer would print.
Commands it does not know are listed in `unknown`, never fatal: the rest of the paper still shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import qrcode
from PIL import Image, ImageDraw, ImageFont, ImageOps

from drivers import fonts
from drivers.printer.roll import ROLLS

from .decoder import Command, command_at

DEFAULT_LINE_SPACING = 30  # dots; ESC 2


@lru_cache(maxsize=2)
def _font(bold: bool) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(fonts.BOLD if bold else fonts.REGULAR), 21)


@lru_cache(maxsize=4096)
def _glyph(ch: str, bold: bool) -> Image.Image:
    """A printer-font cell for one character: 12x24 dots (ASCII) or 24x24 (anything else);
    a Latin letter wider than its cell is squeezed into it, as a printer's condensed font is."""
    target = 24 if ord(ch) >= 0x80 else 12
    font = _font(bold)
    width = max(target, math.ceil(font.getlength(ch)))
    cell = Image.new("L", (width, 24), 255)
    ImageDraw.Draw(cell).text((width / 2, 19), ch, font=font, fill=0, anchor="ms")
    if width != target:
        cell = cell.resize((target, 24), Image.Resampling.LANCZOS)
    return cell.point(lambda v: 255 if v >= 150 else 0, mode="1")


@dataclass
class _Style:
    bold: bool = False
    wide: int = 1
    tall: int = 1
    reverse: bool = False


@dataclass
class Paper:
    """What the print head puts on the paper, fed one command at a time."""

    width: int
    rows: list[Image.Image] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # commands this decoder does not know

    def __post_init__(self) -> None:
        self.reset()
        self.chinese = True  # Chinese-market printers start in Chinese (GB18030) mode
        self.line: list[Image.Image] = []  # cells and column images waiting for the line feed
        self.stored_graphic: Image.Image | None = None
        self.qr = {"size": 3, "ec": 49, "data": b""}

    def reset(self) -> None:
        self.style = _Style()
        self.align = 0
        self.spacing = DEFAULT_LINE_SPACING

    def feed(self, dots: int) -> None:
        if dots > 0:
            self.rows.append(Image.new("1", (self.width, dots), 255))

    def put(self, img: Image.Image) -> None:
        """A full-height block (raster image, QR) at the current alignment."""
        self.flush_line(feed=False)
        img = img.crop((0, 0, min(img.width, self.width), img.height))
        row = Image.new("1", (self.width, img.height), 255)
        row.paste(img, (self._x(img.width), 0))
        self.rows.append(row)

    def _x(self, w: int) -> int:
        return {0: 0, 1: (self.width - w) // 2, 2: self.width - w}.get(self.align % 48, 0)

    def text(self, data: bytes) -> None:
        text = data.decode("gb18030" if self.chinese else "cp437", errors="replace")
        s = self.style
        for ch in text:
            cell = _glyph(ch, s.bold)
            if s.reverse:
                cell = ImageOps.invert(cell.convert("L")).convert("1")
            if s.wide > 1 or s.tall > 1:
                cell = cell.resize((cell.width * s.wide, cell.height * s.tall), Image.Resampling.NEAREST)
            if sum(c.width for c in self.line) + cell.width > self.width:
                self.flush_line()  # the printer wraps a line longer than the paper
            self.line.append(cell)

    def flush_line(self, feed: bool = True) -> None:
        if not self.line:
            if feed:
                self.feed(self.spacing)
            return
        width = sum(c.width for c in self.line)
        height = max(c.height for c in self.line)
        row = Image.new("1", (self.width, max(height, self.spacing if feed else height)), 255)
        x = self._x(width)
        for cell in self.line:
            row.paste(cell, (x, height - cell.height))
            x += cell.width
        self.rows.append(row)
        self.line = []

    def raster(self, args: bytes, data: bytes) -> Image.Image:
        m, xl, xh, yl, yh = args
        w, h = (xl + 256 * xh) * 8, yl + 256 * yh
        img = Image.frombytes("1", (w, h), data, "raw", "1;I")
        return img.resize((w * (2 if m & 1 else 1), h * (2 if m & 2 else 1)), Image.Resampling.NEAREST)

    def column_image(self, args: bytes, data: bytes) -> Image.Image:
        m, nl, nh = args
        k = nl + 256 * nh
        dots = 24 if m in (32, 33) else 8
        per = dots // 8
        # each column is `per` bytes top to bottom: as a (k x dots) raster it is the transpose
        img = Image.frombytes("1", (dots, k), data, "raw", "1;I").transpose(Image.Transpose.TRANSPOSE)
        return img.resize((k * (1 if m & 1 else 2), dots * (1 if per == 3 else 3)), Image.Resampling.NEAREST)

    def graphics(self, data: bytes) -> None:
        fn = data[1]
        if fn == 0x70 and len(data) >= 10:  # store: a bx by c xL xH yL yH d…
            bx, by = data[3], data[4]
            w, h = data[6] + 256 * data[7], data[8] + 256 * data[9]
            img = Image.frombytes("1", ((w + 7) // 8 * 8, h), data[10:], "raw", "1;I").crop((0, 0, w, h))
            self.stored_graphic = img.resize((w * bx, h * by), Image.Resampling.NEAREST)
        elif fn == 0x32 and self.stored_graphic is not None:
            self.put(self.stored_graphic)
        elif fn not in (0x30, 0x31, 0x32, 0x70):
            self.unknown.append(f"GS ( L fn {fn}")

    def qr_code(self, data: bytes) -> None:
        cn, fn = data[0], data[1]
        if cn != 49:
            self.unknown.append(f"GS ( k cn {cn}")
        elif fn == 67:
            self.qr["size"] = data[2]
        elif fn == 69:
            self.qr["ec"] = data[2]
        elif fn == 80:
            self.qr["data"] = data[3:]
        elif fn == 81 and self.qr["data"]:
            ec = {
                48: qrcode.constants.ERROR_CORRECT_L,
                49: qrcode.constants.ERROR_CORRECT_M,
                50: qrcode.constants.ERROR_CORRECT_Q,
                51: qrcode.constants.ERROR_CORRECT_H,
            }.get(self.qr["ec"])
            code = qrcode.QRCode(error_correction=ec, border=0, box_size=1)
            code.add_data(self.qr["data"].decode("utf-8", errors="replace"))
            code.make(fit=True)
            matrix = code.get_matrix()
            n = len(matrix)
            img = Image.new("1", (n, n), 255)
            img.putdata([0 if dark else 255 for row in matrix for dark in row])
            self.put(img.resize((n * self.qr["size"], n * self.qr["size"]), Image.Resampling.NEAREST))

    def do(self, cmd: Command) -> None:
        name, a = cmd.name, cmd.args
        s = self.style
        if name == "text":
            self.text(cmd.data)
        elif name == "lf":
            self.flush_line()
        elif name == "ESC @":
            self.flush_line(feed=False)
            self.reset()
        elif name == "ESC a":
            self.align = a[0]
        elif name == "ESC E":
            s.bold = bool(a[0] & 1)
        elif name == "ESC !":
            s.bold, s.tall, s.wide = bool(a[0] & 0x08), 2 if a[0] & 0x10 else 1, 2 if a[0] & 0x20 else 1
        elif name == "GS !":
            s.wide, s.tall = (a[0] >> 4) + 1, (a[0] & 0x0F) + 1
        elif name == "GS B":
            s.reverse = bool(a[0] & 1)
        elif name == "ESC d":
            self.flush_line(feed=False)
            self.feed(a[0] * self.spacing)
        elif name == "ESC J":
            self.flush_line(feed=False)
            self.feed(a[0])
        elif name == "ESC 2":
            self.spacing = DEFAULT_LINE_SPACING
        elif name == "ESC 3":
            self.spacing = a[0]
        elif name == "FS &":
            self.chinese = True
        elif name == "FS .":
            self.chinese = False
        elif name == "GS v 0":
            self.put(self.raster(cmd.args, cmd.data))
        elif name == "ESC *":
            self.line.append(self.column_image(cmd.args, cmd.data))
        elif name == "GS ( L":
            self.graphics(cmd.data)
        elif name == "GS ( k":
            self.qr_code(cmd.data)
        elif name == "ctl" and a in (b"\r", b"\x00"):
            pass
        elif name in ("unknown", "ctl", "GS k") or name.startswith("GS ( "):
            self.unknown.append(f"{name} {cmd.args.hex(' ')}".strip())
        # every other known command changes nothing a 1-bit paper image shows

    def image(self) -> Image.Image:
        self.flush_line(feed=False)
        height = sum(r.height for r in self.rows)
        out = Image.new("1", (self.width, max(1, height)), 255)
        y = 0
        for row in self.rows:
            out.paste(row, (0, y))
            y += row.height
        return out


def paper_from_bytes(data: bytes, width: int = ROLLS[80].dots) -> Paper:
    """Decode one ticket's bytes onto a strip of paper `width` dots wide."""
    paper = Paper(width)
    i = 0
    while i < len(data):
        found = command_at(data, i)
        if found is None:
            paper.unknown.append(f"{len(data) - i} bytes of an unfinished command")
            break
        cmd, i = found
        try:
            paper.do(cmd)
        except (ValueError, IndexError) as e:  # a malformed command: show the rest of the paper
            paper.unknown.append(f"{cmd.name}: {e}")
    return paper
