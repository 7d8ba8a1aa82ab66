"""The chime-only fallback: when no voice is installed, calls still ring, and the screen shows them.

A hall without espeak-ng and without recorded clips should not go silent without anyone noticing,
nor fill the log with one warning per call: the reason is logged once, when the speaker is made.
"""

from __future__ import annotations

import logging

from drivers.sounds import CHIME
from drivers.voice.player import Player
from drivers.voice.sentence import Announcement
from drivers.voice.speaker import Speaker

log = logging.getLogger(__name__)


class ChimeOnlySpeaker(Speaker):
    speaks_numbers = False

    def __init__(self, player: Player, reason: str):
        self.player = player
        self.reason = reason
        self._chime = CHIME.read_bytes()
        log.warning(
            "No voice installed (%s): calls are announced with the chime only; "
            "the screen still shows every call. Install espeak-ng or record clips (docs/display.md).",
            reason,
        )

    def say(self, announcement: Announcement) -> None:
        self.player.play(self._chime)
