"""Sound as plain samples: read WAV files, bring them to one format, join them, write one WAV.

Every speaker builds a whole announcement (chime, phrases, pauses) as one WAV and plays it in
one go, so nothing can slip between its parts. The common format is espeak-ng's own: 22,050 Hz,
mono, 16-bit. Recorded clips may come at another rate or in stereo (whatever the recording
program wrote); they are converted here with the standard library only (`wave`, `array`).
"""

from __future__ import annotations

import array
import io
import sys
import wave
from dataclasses import dataclass
from pathlib import Path

from drivers.voice.errors import VoiceError

RATE = 22050


class BadWav(VoiceError):
    """A WAV file the voice cannot use (not PCM WAV, not 16-bit, empty); the message names the file."""


@dataclass(frozen=True)
class Pcm:
    """Mono 16-bit samples at RATE."""

    samples: array.array

    @property
    def seconds(self) -> float:
        return len(self.samples) / RATE

    def to_wav(self) -> bytes:
        out = io.BytesIO()
        with wave.open(out, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(_little_endian(self.samples).tobytes())
        return out.getvalue()


def silence(seconds: float) -> Pcm:
    return Pcm(array.array("h", bytes(2 * round(seconds * RATE))))


def join(pieces: list[Pcm]) -> Pcm:
    out = array.array("h")
    for p in pieces:
        out.extend(p.samples)
    return Pcm(out)


def read(source: Path | bytes, name: str = "") -> Pcm:
    """Read a PCM WAV (file or bytes) and convert it to mono 16-bit at RATE."""
    name = name or str(source if isinstance(source, Path) else "WAV data")
    try:
        with wave.open(io.BytesIO(source) if isinstance(source, bytes) else str(source), "rb") as w:
            channels, width, rate, frames = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
            raw = w.readframes(frames)
    except FileNotFoundError:
        raise BadWav(f"{name}: no such file") from None
    except (wave.Error, EOFError) as e:
        raise BadWav(f"{name}: not a PCM WAV file ({e}); export it as WAV, 16-bit PCM") from None
    if width != 2:
        raise BadWav(f"{name}: {8 * width}-bit samples; export it as WAV, 16-bit PCM")
    if frames == 0:
        raise BadWav(f"{name}: holds no sound")
    samples = _little_endian(array.array("h", raw[: len(raw) - len(raw) % 2]))
    if channels > 1:
        samples = array.array(
            "h", (sum(samples[i : i + channels]) // channels for i in range(0, len(samples) - channels + 1, channels))
        )
    if rate != RATE:
        samples = _resample(samples, rate)
    return Pcm(samples)


def _resample(samples: array.array, rate: int) -> array.array:
    """Linear interpolation: good enough for speech clips, and the standard library has nothing better."""
    n_out = max(1, round(len(samples) * RATE / rate))
    step = (len(samples) - 1) / max(1, n_out - 1)
    out = array.array("h", bytes(2 * n_out))
    last = len(samples) - 1
    for i in range(n_out):
        x = i * step
        j = int(x)
        frac = x - j
        a = samples[j]
        b = samples[j + 1] if j < last else a
        out[i] = int(a + (b - a) * frac)
    return out


def _little_endian(samples: array.array) -> array.array:
    """WAV is little-endian; swap on a big-endian machine (a copy, never in place)."""
    if sys.byteorder == "little":
        return samples
    swapped = array.array("h", samples)
    swapped.byteswap()
    return swapped


def trim(p: Pcm, *, threshold: int = 200, margin_s: float = 0.05) -> Pcm:
    """Cut leading and trailing near-silence (keeping `margin_s`), so pauses between phrases are
    the ones the sentence asks for, not whatever the synthesiser added."""
    s = p.samples
    first = next((i for i, v in enumerate(s) if abs(v) > threshold), None)
    if first is None:
        return p
    last = next(i for i in range(len(s) - 1, -1, -1) if abs(s[i]) > threshold)
    margin = round(margin_s * RATE)
    return Pcm(s[max(0, first - margin) : min(len(s), last + 1 + margin)])
