"""Synthesise the chime and the beep shipped in this folder (run by hand; not at run time).

Deterministic: running it again writes the same bytes. Usage:

    python -m drivers.sounds.make_sounds
"""

from __future__ import annotations

import array
import math
import wave
from pathlib import Path

from drivers.sounds import BEEP, CHIME, RATE

PEAK = 32767


def _bell(freq: float, start_s: float, length_s: float, total: list[float], loudness: float) -> None:
    """Add one soft bell stroke to `total`: a sine with two quiet overtones, quick attack, slow decay."""
    partials = ((1.0, 1.0, 0.55), (2.0, 0.18, 0.25), (2.76, 0.06, 0.15))  # ratio, level, decay (s)
    attack_s = 0.008
    first = int(start_s * RATE)
    for i in range(int(length_s * RATE)):
        t = i / RATE
        env_attack = min(1.0, t / attack_s)
        value = sum(
            level * math.exp(-t / decay) * math.sin(2 * math.pi * freq * ratio * t) for ratio, level, decay in partials
        )
        if first + i < len(total):
            total[first + i] += loudness * env_attack * value


def chime() -> array.array:
    """Ding (E5) then dong (C5), the usual two-tone hall chime, peaking near -8 dBFS."""
    length_s = 1.7
    total = [0.0] * int(length_s * RATE)
    _bell(659.25, 0.0, 1.2, total, 0.32)
    _bell(523.25, 0.55, length_s - 0.55, total, 0.32)
    fade = int(0.06 * RATE)
    for i in range(fade):  # end on silence, never on a click
        total[-1 - i] *= i / fade
    return array.array("h", (max(-PEAK, min(PEAK, round(v * PEAK))) for v in total))


def beep() -> array.array:
    """A short soft C6 tone with 10 ms fades: a press was taken."""
    n, fade = int(0.15 * RATE), int(0.01 * RATE)
    out = array.array("h")
    for i in range(n):
        env = min(1.0, i / fade, (n - 1 - i) / fade)
        out.append(round(0.35 * PEAK * env * math.sin(2 * math.pi * 1046.5 * i / RATE)))
    return out


def write(path: Path, samples: array.array) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())


def main() -> None:
    write(CHIME, chime())
    write(BEEP, beep())
    for p in (CHIME, BEEP):
        print(p.name, p.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
