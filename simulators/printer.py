"""The simulated ticket printer: an ESC/POS printer a kiosk can print to without the hardware.

It takes the same bytes a real printer takes, over TCP (port-9100 style, on 127.0.0.1), over a
serial pty, or in-process (the `sim` connector), and:

- answers DLE EOT 1/2/4 status questions from its settable state (paper ok/low/out, cover
  open, or silent: answers nothing, like a printer that is off or on the wrong wire);
- keeps the raw bytes of each ticket, split at the cut command (status questions are answered,
  not kept);
- turns each ticket's bytes back into the paper a real printer would show, by decoding what was
  sent: raster images (GS v 0, ESC *, GS ( L), text (GB18030 in Chinese mode, drawn with the
  shipped font in 12x24 / 24x24 cells), native QR codes (GS ( k). It never sees the TicketFace,
  so what the PNG shows is what the bytes say.

With an output directory it writes ticket-0001.png and ticket-0001.bin for each ticket. The
byte decoding (`command_at`, `Paper`) is pure; the TCP and pty transports only pump bytes.
"""

from __future__ import annotations

import math
import os
import re
import selectors
import socket
import threading
import tty
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Callable, NamedTuple

import qrcode
from PIL import Image, ImageDraw, ImageFont, ImageOps

from drivers import fonts
from drivers.printer.status import encode as status_bytes
from drivers.printer.status import status_back

PAPER_DOTS = {80: 576, 58: 384}
DEFAULT_LINE_SPACING = 30  # dots; ESC 2


# --- reading the byte stream -----------------------------------------------------------------

class Command(NamedTuple):
    """One ESC/POS command: `name` ('text', 'lf', 'GS v 0', …), its argument bytes, its data."""

    name: str
    args: bytes = b""
    data: bytes = b""


# Fixed-length commands: prefix -> number of argument bytes after the prefix.
_FIXED = {
    b"\x10\x04": 1, b"\x10\x05": 1, b"\x10\x14": 3,
    b"\x1b@": 0, b"\x1b2": 0, b"\x1bi": 0, b"\x1bm": 0, b"\x1b<": 0,
    b"\x1b!": 1, b"\x1bE": 1, b"\x1bG": 1, b"\x1b-": 1, b"\x1ba": 1, b"\x1bd": 1, b"\x1bJ": 1,
    b"\x1bK": 1, b"\x1bM": 1, b"\x1bt": 1, b"\x1bR": 1, b"\x1bV": 1, b"\x1b{": 1, b"\x1b3": 1,
    b"\x1b ": 1, b"\x1br": 1, b"\x1bU": 1, b"\x1bS": 0, b"\x1bL": 0, b"\x1bT": 1, b"\x1b%": 1,
    b"\x1b$": 2, b"\x1b\\": 2, b"\x1bB": 2, b"\x1bp": 3, b"\x1bc3": 1, b"\x1bc4": 1, b"\x1bc5": 1,
    b"\x1c&": 0, b"\x1c.": 0, b"\x1c!": 1, b"\x1cW": 1, b"\x1cC": 1, b"\x1c-": 1, b"\x1cS": 2,
    b"\x1d!": 1, b"\x1dB": 1, b"\x1dH": 1, b"\x1dh": 1, b"\x1dw": 1, b"\x1df": 1, b"\x1da": 1,
    b"\x1db": 1, b"\x1dI": 1, b"\x1dr": 1, b"\x1dL": 2, b"\x1dW": 2, b"\x1dP": 2, b"\x1d$": 2,
    b"\x1d\\": 2,
}
_PREFIX_NAMES = {0x10: "DLE", 0x1B: "ESC", 0x1C: "FS", 0x1D: "GS"}


@lru_cache(maxsize=None)
def _name(prefix: bytes) -> str:
    """b"\x1ba" -> "ESC a", b"\x10\x04" -> "DLE EOT", b"\x1bc5" -> "ESC c 5"."""
    rest = ["EOT" if b == 4 else "ENQ" if b == 5 else "DC4" if b == 0x14 else chr(b) for b in prefix[1:]]
    return " ".join([_PREFIX_NAMES[prefix[0]], *rest])



def command_at(buf: bytes | bytearray, i: int) -> tuple[Command, int] | None:
    """The command starting at buf[i] and the index after it; None if it is not complete yet."""
    b = buf[i]
    if b >= 0x20:  # printable run (in Chinese mode a run of GB18030 bytes: none is below 0x20)
        j = i + 1
        while j < len(buf) and buf[j] >= 0x20:
            j += 1
        return Command("text", data=bytes(buf[i:j])), j
    if b == 0x0A:
        return Command("lf"), i + 1
    if b not in (0x10, 0x1B, 0x1C, 0x1D):
        return Command("ctl", bytes((b,))), i + 1
    if i + 1 >= len(buf):
        return None
    two = bytes(buf[i:i + 2])
    if two == b"\x1bc":
        if i + 2 >= len(buf):
            return None
        two = bytes(buf[i:i + 3])
    if two in _FIXED:
        end = i + len(two) + _FIXED[two]
        if end > len(buf):
            return None
        return Command(_name(two), bytes(buf[i + len(two):end])), end
    if two == b"\x1dV":
        if i + 2 >= len(buf):
            return None
        end = i + (4 if buf[i + 2] in (65, 66, 97, 98, 103, 104) else 3)
        return (Command("GS V", bytes(buf[i + 2:end])), end) if end <= len(buf) else None
    if two == b"\x1dv":
        if i + 8 > len(buf):
            return None
        m, xl, xh, yl, yh = buf[i + 3:i + 8]
        end = i + 8 + (xl + 256 * xh) * (yl + 256 * yh)
        return (Command("GS v 0", bytes(buf[i + 3:i + 8]), bytes(buf[i + 8:end])), end) if end <= len(buf) else None
    if two == b"\x1b*":
        if i + 5 > len(buf):
            return None
        m, nl, nh = buf[i + 2:i + 5]
        end = i + 5 + (nl + 256 * nh) * (3 if m in (32, 33) else 1)
        return (Command("ESC *", bytes(buf[i + 2:i + 5]), bytes(buf[i + 5:end])), end) if end <= len(buf) else None
    if two == b"\x1d(":
        if i + 5 > len(buf):
            return None
        fn, pl, ph = buf[i + 2:i + 5]
        end = i + 5 + pl + 256 * ph
        name = {0x4C: "GS ( L", 0x6B: "GS ( k"}.get(fn, f"GS ( {chr(fn)}")
        return (Command(name, data=bytes(buf[i + 5:end])), end) if end <= len(buf) else None
    if two == b"\x1dk":
        if i + 3 > len(buf):
            return None
        m = buf[i + 2]
        if m < 65:
            nul = bytes(buf).find(b"\x00", i + 3)
            return (Command("GS k", bytes((m,)), bytes(buf[i + 3:nul])), nul + 1) if nul >= 0 else None
        if i + 4 > len(buf):
            return None
        end = i + 4 + buf[i + 3]
        return (Command("GS k", bytes((m,)), bytes(buf[i + 4:end])), end) if end <= len(buf) else None
    return Command("unknown", two), i + 2


# --- drawing the paper -----------------------------------------------------------------------

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
        m, fn = data[0], data[1]
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
            ec = {48: qrcode.constants.ERROR_CORRECT_L, 49: qrcode.constants.ERROR_CORRECT_M,
                  50: qrcode.constants.ERROR_CORRECT_Q, 51: qrcode.constants.ERROR_CORRECT_H}.get(self.qr["ec"])
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


def paper_from_bytes(data: bytes, width: int = 576) -> Paper:
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


# --- the printer -----------------------------------------------------------------------------

@dataclass
class PrintedTicket:
    number: int
    raw: bytes
    width: int

    @cached_property
    def paper(self) -> Paper:
        return paper_from_bytes(self.raw, self.width)

    @cached_property
    def image(self) -> Image.Image:
        return self.paper.image()


class SimulatedPrinter:
    """The printer's state machine: bytes in, status answers out, tickets kept. Thread-safe."""

    def __init__(self, paper_mm: int = 80, *, out_dir: str | os.PathLike | None = None,
                 on_ticket: Callable[[PrintedTicket], None] | None = None, keep: int = 100):
        """`keep`: how many of the latest tickets stay in `tickets` (a demo kiosk prints all day)."""
        if paper_mm not in PAPER_DOTS:
            raise ValueError(f"paper width {paper_mm!r} mm is not one of {sorted(PAPER_DOTS)}")
        self.paper_mm = paper_mm
        self.width = PAPER_DOTS[paper_mm]
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.on_ticket = on_ticket
        self.paper = "ok"
        self.cover_open = False
        self.silent = False
        self.tickets: list[PrintedTicket] = []
        self.keep = keep
        self.printed = 0  # tickets cut since the start
        self.questions = 0  # status questions received (answered or not)
        self._buffer = bytearray()
        self._ticket = bytearray()
        self._lock = threading.Lock()
        self._delivered = threading.Condition()
        self._delivered_count = 0
        self._first_number = 1
        self.status_back = False  # GS a n received: say every change of state unasked
        self._unasked = bytearray()
        self._listeners: list[Callable[[], None]] = []
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            taken = [int(m.group(1)) for p in self.out_dir.iterdir() if (m := re.fullmatch(r"ticket-(\d+)\.bin", p.name))]
            self._first_number = max(taken, default=0) + 1

    def set_state(self, *, paper: str | None = None, cover_open: bool | None = None, silent: bool | None = None) -> None:
        """Change the printer's state; with Automatic Status Back on, it then says so unasked."""
        with self._lock:
            before = (self.paper, self.cover_open, self.silent)
            if paper is not None:
                if paper not in ("ok", "low", "out"):
                    raise ValueError(f"paper state {paper!r} is not one of ok, low, out")
                self.paper = paper
            if cover_open is not None:
                self.cover_open = cover_open
            if silent is not None:
                self.silent = silent
            told = self.status_back and not self.silent and before != (self.paper, self.cover_open, self.silent)
            if told:
                self._unasked.extend(status_back(online=True, paper=self.paper, cover_open=self.cover_open))
        if told:
            for listener in list(self._listeners):
                listener()

    def on_unasked(self, listener: Callable[[], None]) -> None:
        """Call `listener` (on the thread that changed the state) when there are unasked bytes."""
        self._listeners.append(listener)

    def take_unasked(self) -> bytes:
        """What the printer has sent by itself (Automatic Status Back) since the last take."""
        with self._lock:
            told, self._unasked = bytes(self._unasked), bytearray()
            return told

    @property
    def pending(self) -> bytes:
        """Bytes received since the last cut (an unfinished ticket)."""
        with self._lock:
            return bytes(self._ticket + self._buffer)

    def receive(self, data: bytes) -> bytes:
        """Take bytes as the printer would; return its answers to status questions."""
        finished: list[PrintedTicket] = []
        reply = bytearray()
        with self._lock:
            self._buffer.extend(data)
            i = 0
            while i < len(self._buffer):
                found = command_at(self._buffer, i)
                if found is None:
                    break
                cmd, end = found
                if cmd.name == "DLE EOT":
                    self.questions += 1
                    if not self.silent:
                        answers = status_bytes(online=True, paper=self.paper, cover_open=self.cover_open)
                        reply.append(answers.get(cmd.args[0], 0x12))
                elif cmd.name == "GS a":  # a setting of the printer, not part of a ticket
                    self.status_back = bool(cmd.args[0] & 0x0E)
                    if self.status_back and not self.silent:  # the first status, sent at once
                        self._unasked.extend(status_back(online=True, paper=self.paper, cover_open=self.cover_open))
                else:
                    self._ticket.extend(self._buffer[i:end])
                if cmd.name == "GS V":
                    ticket = PrintedTicket(self._first_number + self.printed, bytes(self._ticket), self.width)
                    self.printed += 1
                    self.tickets = [*self.tickets[-(self.keep - 1):], ticket] if self.keep > 1 else [ticket]
                    finished.append(ticket)
                    self._ticket.clear()
                i = end
            del self._buffer[:i]
        for ticket in finished:
            self._deliver(ticket)
        return bytes(reply)

    def _deliver(self, ticket: PrintedTicket) -> None:
        if self.out_dir is not None:
            stem = self.out_dir / f"ticket-{ticket.number:04d}"
            _write_atomically(stem.with_suffix(".bin"), ticket.raw)
            tmp = stem.with_suffix(".png.tmp")
            ticket.image.save(tmp, format="PNG")
            os.replace(tmp, stem.with_suffix(".png"))
        if self.on_ticket is not None:
            self.on_ticket(ticket)
        with self._delivered:
            self._delivered_count += 1
            self._delivered.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[PrintedTicket]:
        """The tickets, once `count` of them have been cut and written (bytes over TCP or a pty
        arrive on the simulator's own thread, after the kiosk's send has returned)."""
        with self._delivered:
            if not self._delivered.wait_for(lambda: self._delivered_count >= count, timeout):
                raise TimeoutError(f"the simulated printer has {self._delivered_count} tickets, not {count}")
        with self._lock:
            return list(self.tickets)


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


# --- transports: TCP and serial pty ---------------------------------------------------------

class _Pump:
    """One background thread moving bytes between file descriptors and the printer."""

    def __init__(self, printer: SimulatedPrinter):
        self.printer = printer
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._stopping = False
        printer.on_unasked(self._wake)

    def start(self):
        self._thread.start()
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        if self._thread.is_alive():
            self._stopping = True
            self._wake_w.send(b"x")
            self._thread.join(timeout=5)
        for key in list(self._selector.get_map().values()):
            self._forget(key.fileobj)
        self._selector.close()
        self._wake_w.close()

    def _forget(self, fileobj) -> None:
        self._selector.unregister(fileobj)
        if isinstance(fileobj, socket.socket):
            fileobj.close()

    def _run(self) -> None:
        while not self._stopping:
            for key, _ in self._selector.select():
                if key.data is None:  # woken: stopping, or the printer has something to say unasked
                    self._wake_r.recv(4096)
                    self._tell(self.printer.take_unasked())
                    continue
                key.data(key.fileobj)

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"t")
        except OSError:  # closed: nobody to tell
            pass

    def _tell(self, data: bytes) -> None:
        """Send what the printer says unasked (Automatic Status Back) to whoever is connected."""


class TcpPrinterServer(_Pump):
    """The simulated printer listening on 127.0.0.1:port (0: a free port), like a LAN printer on 9100."""

    def __init__(self, printer: SimulatedPrinter, port: int = 0, host: str = "127.0.0.1"):
        self._listener = socket.create_server((host, port))  # first: if the port is taken, nothing to undo
        super().__init__(printer)
        self._listener.setblocking(False)
        self.host, self.port = self._listener.getsockname()[:2]
        self._selector.register(self._listener, selectors.EVENT_READ, self._accept)
        self.start()

    @property
    def connector(self) -> str:
        return f"tcp:{self.host}:{self.port}"

    def _accept(self, listener: socket.socket) -> None:
        try:
            conn, _ = listener.accept()
        except BlockingIOError:
            return
        conn.setblocking(True)
        conn.settimeout(5)
        self._selector.register(conn, selectors.EVENT_READ, self._read)

    def _tell(self, data: bytes) -> None:
        for key in list(self._selector.get_map().values()):
            if key.data == self._read and data:
                try:
                    key.fileobj.sendall(data)
                except OSError:
                    self._forget(key.fileobj)

    def _read(self, conn: socket.socket) -> None:
        try:
            data = conn.recv(65536)
        except OSError:
            data = b""
        if not data:
            self._forget(conn)
            return
        reply = self.printer.receive(data) + self.printer.take_unasked()
        if reply:
            try:
                conn.sendall(reply)
            except OSError:
                self._forget(conn)


class SerialPrinterPort(_Pump):
    """The simulated printer at the far end of a pty: the kiosk opens `device` as a serial port."""

    def __init__(self, printer: SimulatedPrinter, baudrate: int = 115200):
        super().__init__(printer)
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        tty.setraw(self._slave)  # no line discipline: binary bytes pass as they are
        os.set_blocking(self._master, False)
        self.device = os.ttyname(self._slave)
        self.baudrate = baudrate
        self._selector.register(self._master, selectors.EVENT_READ, self._read)
        self.start()

    @property
    def connector(self) -> str:
        return f"serial:{self.device}@{self.baudrate}"

    def _read(self, fd: int) -> None:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        self._write(self.printer.receive(data) + self.printer.take_unasked())

    def _tell(self, data: bytes) -> None:
        self._write(data)

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self._master, view):]
            except BlockingIOError:
                continue
            except OSError:  # closed
                return

    def close(self) -> None:
        super().close()
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
