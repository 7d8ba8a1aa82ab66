"""Players move a finished WAV to the ears: the sound card through pygame's mixer, or a list in tests.

`play(wav)` returns when the sound has finished, so the announcer's worker thread (never the
screen's main thread) is the one that waits. Under `SDL_AUDIODRIVER=dummy` the mixer still plays
in real time, so tests of everything above the player use `RecordingPlayer`.
"""

from __future__ import annotations

import abc
import io
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from drivers.voice import pcm
from drivers.voice.errors import PlaybackError, VoiceNotInstalled


class Player(abc.ABC):
    @abc.abstractmethod
    def play(self, wav: bytes) -> None:
        """Play one WAV (bytes of a whole file) to its end."""

    def close(self) -> None:  # noqa: B027 - optional: a player that holds no device has nothing to release
        """Release the sound device; a sound still playing is cut off."""


class MixerPlayer(Player):
    """The sound card, through pygame's mixer (ALSA on Pi OS Lite, PipeWire/Pulse on a desktop)."""

    def __init__(self, *, poll_s: float = 0.02, slack_s: float = 3.0):
        import pygame

        self._pygame = pygame
        self._poll_s = poll_s
        self._slack_s = slack_s
        self._closing = threading.Event()
        self._owns_mixer = not pygame.mixer.get_init()
        if self._owns_mixer:
            try:
                pygame.mixer.init(frequency=pcm.RATE, size=-16, channels=1, buffer=1024)
            except pygame.error as e:
                raise VoiceNotInstalled(f"no sound device could be opened: {e}") from None

    def play(self, wav: bytes) -> None:
        pygame = self._pygame
        if self._closing.is_set():
            raise PlaybackError("the player is closed")
        try:
            sound = pygame.mixer.Sound(file=io.BytesIO(wav))
        except pygame.error as e:
            raise PlaybackError(f"the mixer refused the sound: {e}") from None
        channel = sound.play()
        if channel is None:
            raise PlaybackError("the mixer has no free channel")
        deadline = time.monotonic() + sound.get_length() + self._slack_s
        while channel.get_busy():
            if self._closing.wait(self._poll_s):
                channel.stop()
                raise PlaybackError("the player was closed while speaking")
            if time.monotonic() > deadline:
                channel.stop()
                raise PlaybackError(
                    f"a {sound.get_length():.1f} s sound did not finish playing; is the sound device stuck?"
                )

    def close(self) -> None:
        self._closing.set()
        if self._owns_mixer and self._pygame.mixer.get_init():
            self._pygame.mixer.quit()


class PacedPlayer(Player):
    """A machine with no sound card, where calls should still take their time: each sound is held
    for its own length (measured on the hall's clock: `real_seconds` turns it into real time, so a
    demo day at 60x says a 4 s call in 0.07 s) and nothing is played. The demo's screens use it so
    that the hall hears its calls as on a real day; a screen without a voice would only show them,
    and the controller rightly raises "calls not being announced"."""

    def __init__(self, real_seconds: Callable[[float], float] = lambda seconds: seconds):
        self._real_seconds = real_seconds
        self._closing = threading.Event()

    def play(self, wav: bytes) -> None:
        seconds = pcm.read(wav, "played sound").seconds
        if self._closing.wait(self._real_seconds(seconds)):
            raise PlaybackError("the player was closed while speaking")

    def close(self) -> None:
        self._closing.set()


@dataclass(frozen=True)
class Played:
    wav: bytes
    seconds: float


class RecordingPlayer(Player):
    """The sound card's twin: keeps every WAV it is given (checked and measured), plays nothing."""

    def __init__(self) -> None:
        self.played: list[Played] = []

    def play(self, wav: bytes) -> None:
        self.played.append(Played(wav, pcm.read(wav, "played sound").seconds))
