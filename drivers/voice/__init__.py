"""The calling voice: chime, "请 A023 号到 5 号窗口办理", "Ticket A023, please go to counter 5".

- `sentence`: what is said, as data (`build_announcement`).
- `Speaker.say(announcement)`: speaks one announcement to its end. Implementations:
  `EspeakSpeaker` (synthetic, offline, cached), `ClipSpeaker` (a recorded human voice),
  `ChimeOnlySpeaker` (no voice installed), `RecordingSpeaker` (tests).
- `Player.play(wav)`: `MixerPlayer` (the sound card via pygame), `PacedPlayer` (no sound card: each
  sound takes its time on the hall's clock, nothing is played) or `RecordingPlayer` (tests).

`choose_speaker` picks the best voice this machine has: recorded clips when a folder is given,
else espeak-ng, else the chime alone (with one warning in the log).
"""

from __future__ import annotations

import string
from pathlib import Path

from drivers.voice.clips import ClipSpeaker, required_clips
from drivers.voice.errors import ClipMissing, PlaybackError, VoiceError, VoiceNotInstalled
from drivers.voice.espeak import EspeakSpeaker
from drivers.voice.fallback import ChimeOnlySpeaker
from drivers.voice.pcm import BadWav
from drivers.voice.player import MixerPlayer, PacedPlayer, Player, RecordingPlayer
from drivers.voice.recording import Heard, RecordingSpeaker
from drivers.voice.sentence import (
    CLIP_TEXT,
    Announcement,
    Chime,
    Pause,
    Phrase,
    SentenceError,
    Word,
    build_announcement,
)
from drivers.voice.speaker import Speaker, WavSpeaker

__all__ = [
    "Announcement",
    "BadWav",
    "CLIP_TEXT",
    "Chime",
    "ChimeOnlySpeaker",
    "ClipMissing",
    "ClipSpeaker",
    "EspeakSpeaker",
    "Heard",
    "MixerPlayer",
    "PacedPlayer",
    "Pause",
    "Phrase",
    "PlaybackError",
    "Player",
    "RecordingPlayer",
    "RecordingSpeaker",
    "SentenceError",
    "Speaker",
    "VoiceError",
    "VoiceNotInstalled",
    "WavSpeaker",
    "Word",
    "build_announcement",
    "choose_speaker",
    "required_clips",
]


def choose_speaker(
    player: Player,
    *,
    cache_dir: Path,
    clip_dir: Path | None = None,
    letters: str = string.ascii_uppercase,
    max_counter: int = 999,
) -> Speaker:
    """Recorded clips if `clip_dir` is given (a bad folder is an error, not a fallback), else
    espeak-ng, else the chime alone. `letters` and `max_counter` say which clips the hall needs
    (the letters of its ticket prefixes, its highest counter number)."""
    if clip_dir is not None:
        return ClipSpeaker(clip_dir, player, letters=letters, max_counter=max_counter)
    try:
        return EspeakSpeaker(cache_dir, player)
    except VoiceNotInstalled as e:
        return ChimeOnlySpeaker(player, str(e))
