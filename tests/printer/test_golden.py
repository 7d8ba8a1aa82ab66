"""Ticket bytes against golden files, byte for byte, as python-escpos checks its own output.

The other printer tests send a ticket and decode it with the twin: a mistake made alike by the
encoder and the twin's decoder (a bit order, a length byte, an encoding) would pass them. Here the
bytes of a few representative tickets are compared with files that were reviewed once, by eye,
on the paper the twin draws from them (tests/printer/golden/README.md says how to make and review
them again). The decoder is then held to the same files, and both to a few tickets written out by
hand from the Epson ESC/POS manual, which owe nothing to either side.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from devices.kiosk.ticket import render_ticket, ticket_text
from drivers.printer import ROLLS, ticket_bytes
from drivers.printer.twin import paper_from_bytes

GOLDEN = Path(__file__).parent / "golden"
UPDATE = "HALL_UPDATE_GOLDEN"  # =1: rewrite the golden files, and draw each for review
REVIEW = Path(__file__).parents[2] / "var" / "golden-review"


@dataclass(frozen=True)
class Golden:
    """One golden ticket: the face (changes to the make_face fixture's), the roll, image or text mode."""

    name: str
    paper_mm: int
    text_mode: bool = False
    large_print: bool = False
    native_qr: bool = False
    face: tuple[tuple[str, object], ...] = ()


TICKETS = [
    Golden("image-80-normal", 80),  # Chinese and English, the status page's QR code drawn as dots
    Golden("image-58-priority", 58, face=(("ticket_class", "priority"), ("label", "P007"), ("ahead", 0))),
    Golden(
        "image-80-appointment-large",
        80,
        large_print=True,
        face=(("ticket_class", "appointment"), ("label", "Y012"), ("ahead", 2), ("wait_s", 5 * 60)),
    ),
    Golden("text-80-native-qr", 80, text_mode=True, native_qr=True),  # GB18030 text, GS ( k QR code
    Golden("text-58-offline", 58, text_mode=True, face=(("offline", True), ("qr_url", ""), ("wait_s", None))),
]


def make(golden: Golden, make_face) -> tuple[bytes, Image.Image | None]:
    """The ticket's bytes as the kiosk sends them, and the rendered image (None in text mode)."""
    face = make_face(**dict(golden.face))
    roll = ROLLS[golden.paper_mm]
    if golden.text_mode:
        return ticket_bytes(ticket_text(face, roll.columns, native_qr=golden.native_qr), roll), None
    image = render_ticket(face, golden.paper_mm, golden.large_print)
    return ticket_bytes(image, roll), image


@pytest.mark.parametrize("golden", TICKETS, ids=lambda g: g.name)
def test_ticket_bytes_are_the_golden_bytes(golden, make_face):
    data, _ = make(golden, make_face)
    path = GOLDEN / f"{golden.name}.bin"
    if os.environ.get(UPDATE) == "1":
        path.write_bytes(data)
        REVIEW.mkdir(parents=True, exist_ok=True)
        paper_from_bytes(data, ROLLS[golden.paper_mm].dots).image().save(REVIEW / f"{golden.name}.png")
        pytest.skip(f"rewrote {path.name}; look at {REVIEW / golden.name}.png before committing it")
    assert path.exists(), f"no golden file {path.name}: make it with {UPDATE}=1 (golden/README.md)"
    expected = path.read_bytes()
    if data != expected:
        at = next((i for i, (a, b) in enumerate(zip(data, expected)) if a != b), min(len(data), len(expected)))
        pytest.fail(
            f"{golden.name}: {len(data)} bytes, the golden file {len(expected)}; first difference at "
            f"byte {at}: {data[at : at + 12].hex(' ')} instead of {expected[at : at + 12].hex(' ')}"
        )


@pytest.mark.parametrize("golden", TICKETS, ids=lambda g: g.name)
def test_the_twin_draws_each_golden_file(golden, make_face):
    """Decoded from the file, not from what the encoder makes today: an image ticket is exactly
    the rendering; a text ticket decodes without an unknown command and shows its Chinese."""
    expected = (GOLDEN / f"{golden.name}.bin").read_bytes()
    paper = paper_from_bytes(expected, ROLLS[golden.paper_mm].dots)
    assert paper.unknown == []
    drawn = paper.image()
    _, image = make(golden, make_face)
    if image is None:
        assert "不动产登记" in expected.decode("gb18030")
        assert drawn.getextrema() == (0, 255)
        return
    top = drawn.crop((0, 0, image.width, image.height))
    assert ImageChops.difference(top.convert("L"), image.convert("L")).getbbox() is None


# --- written by hand from the Epson ESC/POS manual -----------------------------------------

INIT = b"\x1b\x40"  # ESC @
FEED_AND_CUT = b"\x1b\x64\x06" + b"\x1d\x56\x00"  # ESC d 6 (feed six lines), GS V 0 (full cut)


@pytest.mark.parametrize("paper_mm", [80, 58])
def test_a_one_row_image_is_the_raster_command_of_the_manual(paper_mm):
    """GS v 0 m xL xH yL yH d…: x in bytes, y in dots, the leftmost dot in each byte's top bit,
    1 is black. A row 576 dots wide with its first and last dots black is 72 bytes, 80 … 01."""
    dots = ROLLS[paper_mm].dots
    row = Image.new("1", (dots, 1), 255)
    row.putpixel((0, 0), 0)
    row.putpixel((dots - 1, 0), 0)
    width = dots // 8
    by_hand = INIT + b"\x1d\x76\x30\x00" + bytes((width, 0, 1, 0)) + b"\x80" + bytes(width - 2) + b"\x01" + FEED_AND_CUT
    assert ticket_bytes(row, ROLLS[paper_mm]) == by_hand
    drawn = paper_from_bytes(by_hand, dots).image()
    assert [drawn.getpixel((x, 0)) for x in (0, 1, dots - 2, dots - 1)] == [0, 255, 255, 0]


def test_a_text_ticket_by_hand_is_drawn_in_chinese_cells():
    """FS & (Chinese mode), then 请 (GB18030 C7 EB) and 'A': one 24-dot cell and one 12-dot cell,
    centred by ESC a 1, on a 30-dot line (the default line spacing)."""
    data = INIT + b"\x1c\x26" + b"\x1b\x61\x01" + b"\xc7\xeb" + b"A" + b"\x0a" + FEED_AND_CUT
    paper = paper_from_bytes(data, 576)
    assert paper.unknown == []
    line = paper.image().crop((0, 0, 576, 30))
    left, _, right, _ = Image.eval(line.convert("L"), lambda v: 255 - v).getbbox()
    assert 288 - 18 <= left < right <= 288 + 18  # the ink of 36 dots of cells, centred
