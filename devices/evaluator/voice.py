"""The evaluator's sounds: a short spoken request for a rating, and a beep when a press is taken.

The request is "请您对本次服务进行评价。Please rate our service." spoken by espeak-ng (synthesised
once, cached as a WAV like every phrase of the calling voice; about 6 s), or the hall's chime when
espeak-ng is not installed. Sounds play on a thread of their own, one at a time, so the program never waits for
a sound card: a press is taken and confirmed while the request is still being spoken. A confirmation
beep that finds the request still queued (not yet started) drops it; the citizen has already answered.
"""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path

from drivers.sounds import BEEP, CHIME
from drivers.voice import Announcement, EspeakSpeaker, Pause, Phrase, Player, VoiceError, VoiceNotInstalled, Word

log = logging.getLogger(__name__)

REQUEST_ZH = "请您对本次服务进行评价"
REQUEST_EN = "Please rate our service"
# A little brisker than the calling voice (95/115): the request is heard at arm's length, and the
# whole of it (about 6 s) must leave time to press within the prompt (30 s in the example hall).
SPEEDS = {"zh": 130, "en": 140}


def request_announcement(counter: int) -> Announcement:
    """The spoken request as data: the Chinese sentence, then the English one. No chime: the
    blinking buttons draw the eye, and the chime means "a call" in the hall."""
    return Announcement(
        "rating",
        counter,
        (
            Phrase("zh", (Word(REQUEST_ZH, ()),)),
            Pause(0.4),
            Phrase("en", (Word(REQUEST_EN, ()),)),
        ),
    )


def request_sound(counter: int, cache_dir: Path, player: Player) -> bytes:
    """The request as one WAV: spoken by espeak-ng if it is installed, else the chime alone."""
    try:
        return EspeakSpeaker(cache_dir, player, speeds=SPEEDS).render(request_announcement(counter))
    except VoiceNotInstalled as e:
        log.warning("no voice for the rating request (%s): the evaluator plays the chime instead", e)
        return CHIME.read_bytes()


class SilentPlayer(Player):
    """No sound device (or `--sound none`): sounds are dropped; the LEDs and the buzzer still work."""

    def play(self, wav: bytes) -> None:
        pass


class EvaluatorVoice:
    """Plays the request and the beep on its own thread. `close()` stops it."""

    def __init__(self, player: Player, request_wav: bytes, beep_wav: bytes | None = None) -> None:
        self.player = player
        self.request_wav = request_wav
        self.beep_wav = beep_wav if beep_wav is not None else BEEP.read_bytes()
        self._queue: queue.Queue[bytes | None] = queue.Queue()
        self._idle = threading.Condition()
        self._busy = 0
        self._thread = threading.Thread(target=self._play_all, name="evaluator-voice", daemon=True)
        self._thread.start()

    def ask(self) -> None:
        self._put(self.request_wav)

    def thank(self) -> None:
        with self._idle:
            dropped = 0
            try:
                while True:  # a request not yet started is not needed any more
                    self._queue.get_nowait()
                    dropped += 1
            except queue.Empty:
                pass
            self._busy -= dropped
        self._put(self.beep_wav)

    def wait_idle(self, timeout: float) -> bool:
        """Block until every queued sound has been played (for tests and a clean exit)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(2.0)
        self.player.close()

    def _put(self, wav: bytes) -> None:
        with self._idle:
            self._busy += 1
        self._queue.put(wav)

    def _play_all(self) -> None:
        while True:
            wav = self._queue.get()
            if wav is None:
                return
            try:
                self.player.play(wav)
            except VoiceError as e:
                log.warning("the evaluator could not play a sound: %s", e)
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()
