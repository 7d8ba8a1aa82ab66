"""The Chinese font shipped with the hall: Noto Sans SC, subset (see make_subset.py and OFL.txt).

Tickets and screens draw with these files only, never with whatever the machine has, so a
ticket looks the same on every kiosk and Chinese is never drawn as boxes. `missing()` tells
which characters of a text the font cannot draw, so a program can refuse a hall name it would
print as boxes instead of printing it.
"""

from __future__ import annotations

import bisect
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).parent
REGULAR = HERE / "NotoSansSC-Regular-subset.otf"
BOLD = HERE / "NotoSansSC-Bold-subset.otf"


@lru_cache(maxsize=1)
def _coverage() -> tuple[list[int], list[int]]:
    starts, ends = [], []
    for line in (HERE / "coverage.txt").read_text().split():
        a, _, b = line.partition("-")
        starts.append(int(a, 16))
        ends.append(int(b or a, 16))
    return starts, ends


def covers(char: str) -> bool:
    starts, ends = _coverage()
    i = bisect.bisect_right(starts, ord(char)) - 1
    return i >= 0 and ord(char) <= ends[i]


def missing(text: str) -> set[str]:
    """Characters of `text` the shipped font cannot draw (whitespace aside)."""
    return {ch for ch in text if not ch.isspace() and not covers(ch)}
