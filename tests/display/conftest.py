"""Fixtures for the calling screen: pygame without a display or sound card, a fake clock, and
the golden-image comparison.

    clock                 a FakeClock: `clock()` reads it, `clock.advance(s)` moves it (thread-safe)
    compare_to_golden     compare_to_golden(surface, name) -> Difference against golden/<name>.png;
                          with HALL_REGEN_GOLDEN=1 in the environment it rewrites the PNG instead
                          (and skips), so `HALL_REGEN_GOLDEN=1 pytest tests/display` regenerates all

Difference.mean is the mean absolute difference per channel (0-255) and Difference.strong the
share of pixels differing by more than 64 in any channel; `Difference.same` applies the
tolerances (faint antialiasing drift passes; one changed digit, even a small one, does not).
"""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import threading  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import pygame  # noqa: E402
import pytest  # noqa: E402
from PIL import Image, ImageChops, ImageStat  # noqa: E402

GOLDEN_DIR = Path(__file__).parent / "golden"
MAX_MEAN = 0.5
MAX_STRONG = 0.00005  # about 100 pixels of a 1920x1080 frame


class FakeClock:
    def __init__(self, start: float = 1_795_000_000.0):
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@dataclass(frozen=True)
class Difference:
    mean: float
    strong: float

    @property
    def same(self) -> bool:
        return self.mean <= MAX_MEAN and self.strong <= MAX_STRONG


def to_image(surface: pygame.Surface) -> Image.Image:
    return Image.frombytes("RGB", surface.get_size(), pygame.image.tobytes(surface, "RGB"))


def difference(a: Image.Image, b: Image.Image) -> Difference:
    if a.size != b.size:
        return Difference(255.0, 1.0)
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    mean = sum(ImageStat.Stat(diff).mean) / 3
    worst = diff.split()
    strongest = ImageChops.lighter(ImageChops.lighter(worst[0], worst[1]), worst[2])
    hist = strongest.histogram()
    return Difference(mean, sum(hist[65:]) / (a.size[0] * a.size[1]))


@pytest.fixture
def compare_to_golden():
    def compare(surface: pygame.Surface, name: str) -> Difference:
        path = GOLDEN_DIR / f"{name}.png"
        if os.environ.get("HALL_REGEN_GOLDEN") == "1":
            GOLDEN_DIR.mkdir(exist_ok=True)
            to_image(surface).save(path, optimize=True)
            pytest.skip(f"regenerated {path.name}")
        if not path.exists():
            pytest.fail(f"no golden image {path.name}; run with HALL_REGEN_GOLDEN=1 and look at it")
        with Image.open(path) as golden:
            return difference(to_image(surface), golden)

    return compare
