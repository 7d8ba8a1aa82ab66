"""The voice's exceptions, so callers can tell a missing voice from a broken clip or a stuck sound card."""

from __future__ import annotations


class VoiceError(Exception):
    """An announcement could not be produced or played; the message says which and why."""


class VoiceNotInstalled(VoiceError):
    """The chosen voice is not on this machine (no espeak-ng, no Mandarin voice, no clip folder)."""


class ClipMissing(VoiceError):
    """The clip folder lacks clips the sentence needs; the message lists them."""


class PlaybackError(VoiceError):
    """The sound device did not play an announcement to its end."""
