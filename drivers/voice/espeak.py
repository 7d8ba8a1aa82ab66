"""The synthetic voice: espeak-ng (the Debian package) run as a subprocess, phrases cached as WAV files.

Mandarin uses the `cmn-latn-pinyin` voice. Debian 12's espeak-ng 1.51 ships a `cmn` voice that
reads Hanzi as English-spelled pinyin with the tone digits ("ni three hao three", upstream issue
#1370); `cmn-latn-pinyin` reads the same characters as proper Mandarin with tones. English uses
`en-us`. Ticket numbers go inside SSML `say-as characters`, so "A023" is spelled in both languages.

Pace: the service norm is about 110 Chinese characters a minute. Measured on espeak-ng 1.51
with leading and trailing silence trimmed: `-s 95` reads "请A023号到5号窗口办理" (13 syllables)
in 7.2 s, 109 a minute; English at `-s 115` reads "Ticket A023, please go to counter 5" (10
words) in 4.7 s, 127 words a minute, a calm announcer's pace. Both can be changed (`speeds=`).

Each phrase is synthesised once to `cache_dir/espeak-<hash>.wav` (the hash covers the espeak-ng
version, voice, speed and text) and read from there afterwards; the folder is kept under
`max_cache_bytes` by deleting the least recently used files.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from drivers.voice import pcm
from drivers.voice.errors import VoiceError, VoiceNotInstalled
from drivers.voice.player import Player
from drivers.voice.sentence import Phrase
from drivers.voice.speaker import WavSpeaker

VOICES = {"zh": "cmn-latn-pinyin", "en": "en-us"}
SPEEDS = {"zh": 95, "en": 115}


class EspeakSpeaker(WavSpeaker):
    def __init__(
        self,
        cache_dir: Path,
        player: Player,
        *,
        program: str = "espeak-ng",
        speeds: dict[str, int] | None = None,
        max_cache_bytes: int = 256 * 2**20,
        timeout_s: float = 20.0,
    ):
        super().__init__(player)
        found = shutil.which(program)
        if found is None:
            raise VoiceNotInstalled(f"{program} is not installed (Debian/Pi OS: apt install espeak-ng)")
        self.program = found
        self.speeds = {**SPEEDS, **(speeds or {})}
        for lang, speed in self.speeds.items():
            if lang not in VOICES or isinstance(speed, bool) or not isinstance(speed, int) or not 60 <= speed <= 300:
                raise ValueError(f"speed for {lang!r} must be a whole number of words a minute from 60 to 300")
        self.timeout_s = timeout_s
        self.max_cache_bytes = max_cache_bytes
        self.version = self._run(["--version"]).strip()
        voices = {line.split()[1] for line in self._run(["--voices"]).splitlines()[1:] if len(line.split()) > 1}
        for voice in VOICES.values():
            if voice not in voices:
                raise VoiceNotInstalled(f"{program} has no {voice!r} voice (install the full espeak-ng-data package)")
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.synthesised = 0
        self.cache_hits = 0

    def phrase(self, phrase: Phrase) -> pcm.Pcm:
        return pcm.trim(pcm.read(self.wav_path(phrase)))

    def wav_path(self, phrase: Phrase) -> Path:
        """The cached WAV of this phrase, synthesised first if it is not in the cache yet."""
        args = self._args(phrase)
        key = hashlib.sha256("\0".join([self.version, *args]).encode()).hexdigest()[:24]
        path = self.cache_dir / f"espeak-{key}.wav"
        if path.exists():
            self.cache_hits += 1
            os.utime(path)
            return path
        fd, tmp = tempfile.mkstemp(dir=self.cache_dir, prefix=".synth-", suffix=".wav")
        os.close(fd)
        try:
            self._run([*args[:-1], "-w", tmp, args[-1]])
            pcm.read(Path(tmp), f"espeak-ng output for {phrase.text!r}")  # refuse an empty or broken file
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self.synthesised += 1
        self._trim_cache()
        return path

    def phonemes(self, phrase: Phrase) -> str:
        """What espeak-ng will pronounce, as its phoneme mnemonics (`-x`): for checking, not for playing."""
        args = self._args(phrase)
        return self._run([*args[:-1], "-q", "-x", args[-1]]).strip()

    def _args(self, phrase: Phrase) -> list[str]:
        return ["-v", VOICES[phrase.language], "-m", "-s", str(self.speeds[phrase.language]), phrase.ssml()]

    def _run(self, args: list[str]) -> str:
        try:
            done = subprocess.run([self.program, *args], capture_output=True, timeout=self.timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise VoiceError(f"espeak-ng took more than {self.timeout_s:.0f} s and was stopped") from None
        except OSError as e:
            raise VoiceNotInstalled(f"espeak-ng could not be started: {e}") from None
        if done.returncode != 0:
            raise VoiceError(f"espeak-ng failed ({done.returncode}): {done.stderr.decode(errors='replace').strip()}")
        return done.stdout.decode("utf-8", errors="replace")

    def _trim_cache(self) -> None:
        files = [(p.stat().st_mtime, p.stat().st_size, p) for p in self.cache_dir.glob("espeak-*.wav")]
        total = sum(size for _, size, _ in files)
        if total <= self.max_cache_bytes:
            return
        for _, size, p in sorted(files):
            if total <= self.max_cache_bytes * 0.8:
                break
            p.unlink(missing_ok=True)
            total -= size
