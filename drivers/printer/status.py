"""What a printer says about itself, from its answers to the DLE EOT real-time status queries.

The kiosk asks before every ticket (paper, cover, online) because a ticket the printer silently
drops is a citizen with no number. python-escpos' own `paper_status()` reports "plenty of paper"
when the printer answers nothing; here no answer is never good news: it is `online=False` with
paper and cover unknown. Decoding is pure (bytes in, PrinterStatus out), after the Epson ESC/POS
manual, DLE EOT n:

    n=1 printer status   bit 3: offline
    n=2 offline cause    bit 2: cover open, bit 5: stopped by paper end, bit 6: error
    n=4 roll paper       bits 2+3: near end (low), bits 5+6: paper end (out)

Every answer byte has bits 1 and 4 set and bits 0 and 7 clear; a byte that does not is not an
answer (line noise, a stale byte) and counts as no answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Paper = Literal["ok", "low", "out", "unknown"]

ASK_PRINTER = b"\x10\x04\x01"
ASK_OFFLINE_CAUSE = b"\x10\x04\x02"
ASK_PAPER = b"\x10\x04\x04"
# GS a n, Automatic Status Back: the printer sends four status bytes by itself whenever its online
# state, an error (the cover) or the paper sensor changes. None of those bytes is a DLE EOT answer
# (the first has bit 1 clear, the others bit 4 clear), so they are told apart from answers.
STATUS_BACK = b"\x1da\x0e"

_FIXED_MASK, _FIXED_BITS = 0x93, 0x12


@dataclass(frozen=True)
class PrinterStatus:
    """online: None when the connector cannot ask (file:), False when the printer did not answer
    or says it is offline. paper and cover_open are "unknown"/None when not known."""

    online: bool | None
    paper: Paper
    cover_open: bool | None


SILENT = PrinterStatus(online=False, paper="unknown", cover_open=None)
CANNOT_ASK = PrinterStatus(online=None, paper="unknown", cover_open=None)


def is_answer(byte: int | None) -> bool:
    return byte is not None and byte & _FIXED_MASK == _FIXED_BITS


def decode(printer: int | None, offline_cause: int | None, paper: int | None) -> PrinterStatus:
    """Combine the answers to DLE EOT 1, 2 and 4 (None: no answer) into one status."""
    if not is_answer(printer):
        return SILENT
    online = not printer & 0x08
    cover_open = bool(offline_cause & 0x04) if is_answer(offline_cause) else None
    paper_state: Paper = "unknown"
    if is_answer(paper):
        if paper & 0x60:
            paper_state = "out"
        elif paper & 0x0C:
            paper_state = "low"
        else:
            paper_state = "ok"
    elif is_answer(offline_cause) and offline_cause & 0x20:
        paper_state = "out"
    return PrinterStatus(online=online, paper=paper_state, cover_open=cover_open)


def status_back(*, online: bool, paper: Paper, cover_open: bool) -> bytes:
    """The four Automatic Status Back bytes a printer in this state sends (for the simulator)."""
    offline = not online or cover_open or paper == "out"
    return bytes(
        [
            0x10 | (0x08 if offline else 0) | (0x20 if cover_open else 0),
            0x00,
            {"ok": 0, "low": 0x03, "out": 0x0F, "unknown": 0}[paper],
            0x00,
        ]
    )


def encode(*, online: bool, paper: Paper, cover_open: bool) -> dict[int, int]:
    """The answer bytes a printer in this state gives to DLE EOT 1, 2 and 4 (for the simulator)."""
    offline = not online or cover_open or paper == "out"
    return {
        1: _FIXED_BITS | (0x08 if offline else 0),
        2: _FIXED_BITS | (0x04 if cover_open else 0) | (0x20 if paper == "out" else 0),
        3: _FIXED_BITS,
        4: _FIXED_BITS | {"ok": 0, "low": 0x0C, "out": 0x6C, "unknown": 0}[paper],
    }
