"""The speaker's twin for tests: it remembers what was said and when, and notices any overlap.

Times come from the injected clock. `while_speaking` stands in for the seconds a real speaker
takes (a test passes a function that advances its fake clock, or lets other threads run); two
announcements in progress at once are counted in `overlaps`, so a test can prove there were none.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from drivers.voice.sentence import Announcement
from drivers.voice.speaker import Speaker


@dataclass(frozen=True)
class Heard:
    announcement: Announcement
    start: float
    end: float


class RecordingSpeaker(Speaker):
    def __init__(
        self, clock: Callable[[], float], while_speaking: Callable[[Announcement], None] = lambda announcement: None
    ):
        self.clock = clock
        self.while_speaking = while_speaking
        self.heard: list[Heard] = []
        self.overlaps = 0
        self._lock = threading.Lock()
        self._speaking = 0

    def say(self, announcement: Announcement) -> None:
        with self._lock:
            if self._speaking:
                self.overlaps += 1
            self._speaking += 1
        try:
            start = self.clock()
            self.while_speaking(announcement)
            end = self.clock()
        finally:
            with self._lock:
                self._speaking -= 1
        with self._lock:
            self.heard.append(Heard(announcement, start, end))

    @property
    def labels(self) -> list[str]:
        with self._lock:
            return [h.announcement.label for h in self.heard]
