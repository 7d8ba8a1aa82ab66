"""Reading an ESC/POS byte stream back into commands, as a printer's firmware does.

The twin needs this twice: to split the stream into tickets (at the cut) and status questions
(DLE EOT, answered, never printed), and to draw each ticket's paper (paper.py). `command_at`
is pure and never guesses: a command whose bytes have not all arrived yet is None, so bytes
that come in chunks over TCP or a pty are decoded exactly as one block would be.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple


class Command(NamedTuple):
    """One ESC/POS command: `name` ('text', 'lf', 'GS v 0', …), its argument bytes, its data."""

    name: str
    args: bytes = b""
    data: bytes = b""


# Fixed-length commands: prefix -> number of argument bytes after the prefix.
_FIXED = {
    b"\x10\x04": 1,
    b"\x10\x05": 1,
    b"\x10\x14": 3,
    b"\x1b@": 0,
    b"\x1b2": 0,
    b"\x1bi": 0,
    b"\x1bm": 0,
    b"\x1b<": 0,
    b"\x1b!": 1,
    b"\x1bE": 1,
    b"\x1bG": 1,
    b"\x1b-": 1,
    b"\x1ba": 1,
    b"\x1bd": 1,
    b"\x1bJ": 1,
    b"\x1bK": 1,
    b"\x1bM": 1,
    b"\x1bt": 1,
    b"\x1bR": 1,
    b"\x1bV": 1,
    b"\x1b{": 1,
    b"\x1b3": 1,
    b"\x1b ": 1,
    b"\x1br": 1,
    b"\x1bU": 1,
    b"\x1bS": 0,
    b"\x1bL": 0,
    b"\x1bT": 1,
    b"\x1b%": 1,
    b"\x1b$": 2,
    b"\x1b\\": 2,
    b"\x1bB": 2,
    b"\x1bp": 3,
    b"\x1bc3": 1,
    b"\x1bc4": 1,
    b"\x1bc5": 1,
    b"\x1c&": 0,
    b"\x1c.": 0,
    b"\x1c!": 1,
    b"\x1cW": 1,
    b"\x1cC": 1,
    b"\x1c-": 1,
    b"\x1cS": 2,
    b"\x1d!": 1,
    b"\x1dB": 1,
    b"\x1dH": 1,
    b"\x1dh": 1,
    b"\x1dw": 1,
    b"\x1df": 1,
    b"\x1da": 1,
    b"\x1db": 1,
    b"\x1dI": 1,
    b"\x1dr": 1,
    b"\x1dL": 2,
    b"\x1dW": 2,
    b"\x1dP": 2,
    b"\x1d$": 2,
    b"\x1d\\": 2,
}
_PREFIX_NAMES = {0x10: "DLE", 0x1B: "ESC", 0x1C: "FS", 0x1D: "GS"}


@cache
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
    two = bytes(buf[i : i + 2])
    if two == b"\x1bc":
        if i + 2 >= len(buf):
            return None
        two = bytes(buf[i : i + 3])
    if two in _FIXED:
        end = i + len(two) + _FIXED[two]
        if end > len(buf):
            return None
        return Command(_name(two), bytes(buf[i + len(two) : end])), end
    if two == b"\x1dV":
        if i + 2 >= len(buf):
            return None
        end = i + (4 if buf[i + 2] in (65, 66, 97, 98, 103, 104) else 3)
        return (Command("GS V", bytes(buf[i + 2 : end])), end) if end <= len(buf) else None
    if two == b"\x1dv":
        if i + 8 > len(buf):
            return None
        m, xl, xh, yl, yh = buf[i + 3 : i + 8]
        end = i + 8 + (xl + 256 * xh) * (yl + 256 * yh)
        return (Command("GS v 0", bytes(buf[i + 3 : i + 8]), bytes(buf[i + 8 : end])), end) if end <= len(buf) else None
    if two == b"\x1b*":
        if i + 5 > len(buf):
            return None
        m, nl, nh = buf[i + 2 : i + 5]
        end = i + 5 + (nl + 256 * nh) * (3 if m in (32, 33) else 1)
        return (Command("ESC *", bytes(buf[i + 2 : i + 5]), bytes(buf[i + 5 : end])), end) if end <= len(buf) else None
    if two == b"\x1d(":
        if i + 5 > len(buf):
            return None
        fn, pl, ph = buf[i + 2 : i + 5]
        end = i + 5 + pl + 256 * ph
        name = {0x4C: "GS ( L", 0x6B: "GS ( k"}.get(fn, f"GS ( {chr(fn)}")
        return (Command(name, data=bytes(buf[i + 5 : end])), end) if end <= len(buf) else None
    if two == b"\x1dk":
        if i + 3 > len(buf):
            return None
        m = buf[i + 2]
        if m < 65:
            nul = bytes(buf).find(b"\x00", i + 3)
            return (Command("GS k", bytes((m,)), bytes(buf[i + 3 : nul])), nul + 1) if nul >= 0 else None
        if i + 4 > len(buf):
            return None
        end = i + 4 + buf[i + 3]
        return (Command("GS k", bytes((m,)), bytes(buf[i + 4 : end])), end) if end <= len(buf) else None
    return Command("unknown", two), i + 2
