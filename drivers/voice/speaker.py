"""The Speaker interface: `say(announcement)` speaks one call to its end, then returns.

One speaker per screen, called from one worker thread (the announcer's), so announcements never
overlap. Speakers that produce sound build the whole announcement as one WAV (`WavSpeaker`) and
hand it to a Player: the real one plays it through the sound card, the recording twin keeps it.
"""

from __future__ import annotations

import abc
from collections.abc import Callable

from drivers.sounds import CHIME
from drivers.voice import pcm
from drivers.voice.player import Player
from drivers.voice.sentence import Announcement, Chime, Pause, Phrase

#: asked before each later phrase of an announcement: play it (True), leave it out (False), stop (None)
GoOn = Callable[[Phrase, int], bool | None]


class Speaker(abc.ABC):
    #: False for a speaker that only rings the chime: the hall sees the call but does not hear its number
    speaks_numbers = True

    @abc.abstractmethod
    def say(self, announcement: Announcement) -> None:
        """Speak the announcement to its end (blocking). Raises VoiceError if it cannot."""

    def prepare(self, announcement: Announcement) -> object:
        """Everything that comes before the sound (synthesis, joining clips); `play` then only plays,
        so the time an announcement is heard is measured from its first sound."""
        return announcement

    def play(self, prepared: object, go_on: GoOn | None = None) -> None:
        """Play what `prepare` made, to its end (blocking). Raises VoiceError if it cannot.

        `go_on(phrase, index)`, if given, is asked before each phrase after the first: True plays
        it, False leaves it out, None stops there (a backlog formed while the call was being said).
        A speaker that cannot stop between phrases plays the whole announcement."""
        self.say(prepared)  # type: ignore[arg-type]


class WavSpeaker(Speaker):
    """A speaker that renders an announcement to one WAV: chime, phrases and silences joined."""

    def __init__(self, player: Player):
        self.player = player
        self._chime: pcm.Pcm | None = None

    def chime(self) -> pcm.Pcm:
        if self._chime is None:
            self._chime = pcm.read(CHIME)
        return self._chime

    @abc.abstractmethod
    def phrase(self, phrase: Phrase) -> pcm.Pcm:
        """The phrase as samples."""

    def render(self, announcement: Announcement) -> bytes:
        """The whole announcement as one WAV file's bytes."""
        pieces: list[pcm.Pcm] = []
        for part in announcement.parts:
            if isinstance(part, Chime):
                pieces.append(self.chime())
            elif isinstance(part, Pause):
                pieces.append(pcm.silence(part.seconds))
            else:
                pieces.append(self.phrase(part))
        return pcm.join(pieces).to_wav()

    def say(self, announcement: Announcement) -> None:
        self.player.play(self.render(announcement))

    def prepare(self, announcement: Announcement) -> object:
        """The announcement as WAVs, one per phrase (with the chime or pause before it), so that
        `play` can leave out the rest when a backlog forms while it speaks."""
        segments: list[tuple[Phrase, bytes]] = []
        pieces: list[pcm.Pcm] = []
        for part in announcement.parts:
            if isinstance(part, Chime):
                pieces.append(self.chime())
            elif isinstance(part, Pause):
                pieces.append(pcm.silence(part.seconds))
            else:
                pieces.append(self.phrase(part))
                segments.append((part, pcm.join(pieces).to_wav()))
                pieces = []
        return segments

    def play(self, prepared: object, go_on: GoOn | None = None) -> None:
        for index, (phrase, wav) in enumerate(prepared):  # type: ignore[attr-defined]
            wanted = True if go_on is None or index == 0 else go_on(phrase, index)
            if wanted is None:
                return
            if wanted:
                self.player.play(wav)
