"""A human voice: the sentence assembled from short recorded WAV clips, one per word.

A hall records its own announcer once ("请", the letters its prefixes use, the digits, "号",
"到", "号窗口办理", the English words…) and every call is joined from those clips with the
standard `wave` module. Clip file names are ASCII (`zh-qing.wav`, `en-A.wav`, `zh-7.wav`); the
full list with what each one says is `sentence.CLIP_TEXT`, printed in docs/display.md.

The folder is checked completely when the speaker is made: a missing or unreadable clip stops
the screen's start with a message naming the files, rather than a silent gap at the first call.
"""

from __future__ import annotations

import string
from pathlib import Path

from drivers.voice import pcm
from drivers.voice.errors import ClipMissing, VoiceNotInstalled
from drivers.voice.player import Player
from drivers.voice.sentence import CLIP_TEXT, MAX_COUNTER, Phrase, en_number_clips, zh_number_clips
from drivers.voice.speaker import WavSpeaker

COMMA_S = 0.25  # the breath a comma stands for between clips


def required_clips(letters: str = string.ascii_uppercase, max_counter: int = MAX_COUNTER) -> set[str]:
    """Every clip a hall needs for ticket prefixes made of `letters` and counters 1..max_counter."""
    need = {"zh-qing", "zh-hao", "zh-dao", "zh-hao-chuangkou-banli", "en-ticket", "en-please-go-to-counter"}
    need |= {f"{lang}-{d}" for lang in ("zh", "en") for d in range(10)}
    need |= {f"{lang}-{ch}" for lang in ("zh", "en") for ch in letters}
    for n in range(1, max_counter + 1):
        need |= set(zh_number_clips(n)) | set(en_number_clips(n))
    return need


class ClipSpeaker(WavSpeaker):
    def __init__(
        self,
        folder: Path,
        player: Player,
        *,
        letters: str = string.ascii_uppercase,
        max_counter: int = MAX_COUNTER,
        gap_s: float = 0.03,
    ):
        super().__init__(player)
        folder = Path(folder)
        if not folder.is_dir():
            raise VoiceNotInstalled(f"clip folder {folder} does not exist")
        bad_letters = set(letters) - set(string.ascii_uppercase)
        if bad_letters:
            raise ValueError(f"letters must be capital A-Z, got {''.join(sorted(bad_letters))!r}")
        need = required_clips(letters, max_counter)
        missing = sorted(name for name in need if not (folder / f"{name}.wav").is_file())
        if missing:
            shown = ", ".join(f"{m}.wav ({CLIP_TEXT.get(m, '?')})" for m in missing[:8])
            more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
            raise ClipMissing(f"clip folder {folder} lacks {len(missing)} clips: {shown}{more}")
        self.folder = folder
        self.clips = {name: pcm.read(folder / f"{name}.wav") for name in sorted(need)}
        self.gap = pcm.silence(gap_s)
        if (folder / "chime.wav").is_file():
            self._chime = pcm.read(folder / "chime.wav")

    def phrase(self, phrase: Phrase) -> pcm.Pcm:
        pieces: list[pcm.Pcm] = []
        for word in phrase.words:
            if not word.clips:
                pieces.append(pcm.silence(COMMA_S))
                continue
            for name in word.clips:
                if name not in self.clips:
                    raise ClipMissing(f"clip {name}.wav ({CLIP_TEXT.get(name, '?')}) was not loaded from {self.folder}")
                if pieces:
                    pieces.append(self.gap)
                pieces.append(self.clips[name])
        return pcm.join(pieces)
