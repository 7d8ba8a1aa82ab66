"""The two paper rolls a kiosk printer takes: the one definition of the paper's geometry.

Everything that needs a roll's size reads it here: the ticket renderer (devices/kiosk/ticket.py:
an image exactly `dots` wide, text wrapped to `columns`), the encoder (commands.py: the profile,
and a refusal of an image of another width) and the printer's twin (twin/: the paper it draws).

The profile is explicit so the image width is known (python-escpos' `default` profile has no
width, so it can neither centre nor refuse an image too wide for the head). TM-T20II stands for
the 80 mm class (576 dots, GS v 0, GS ( k QR, cutter); POS-5890 for the 58 mm class (384 dots,
raster images only, no native QR, no cutter in its profile). `columns` is how many font-A
characters (12 dots) fit on a line in text mode; a Chinese character takes two.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Roll:
    mm: int
    dots: int
    columns: int
    profile: str


ROLLS = {80: Roll(80, 576, 48, "TM-T20II"), 58: Roll(58, 384, 32, "POS-5890")}


def roll_for(paper_mm: int) -> Roll:
    try:
        return ROLLS[paper_mm]
    except (KeyError, TypeError):
        raise ValueError(f"paper width {paper_mm!r} mm is not one of {sorted(ROLLS)}") from None
