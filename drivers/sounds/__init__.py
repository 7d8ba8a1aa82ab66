"""The hall's own sounds: a soft two-tone chime before every call, and a short confirmation beep.

Both are synthesised here from sine waves (see `make_sounds.py`, stdlib `wave` + `math`), so no
recording with unclear rights ships with the project and the files can be rebuilt exactly.
They are 22,050 Hz mono 16-bit PCM, the format espeak-ng writes, so the voice drivers can join a
chime and a spoken phrase without converting anything.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
CHIME = HERE / "chime.wav"  # ding-dong, about 1.6 s: played before every call
BEEP = HERE / "beep.wav"  # about 0.15 s: a press was taken (evaluator, keypads)
RATE = 22050
