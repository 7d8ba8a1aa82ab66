"""Fixtures for the calling screen as a device: screens run in this process (on the test's main
thread, as pygame wants), a stand-in controller, a recording speaker, a clock to hold still.

    screens        a factory: `screen = screens(url, "D1", speaker=..., clock=...)` gives a started
                   `DisplayProgram` writing PNG frames to tmp_path/frames-D1; closed after the test.
                   The test runs its loop: `screen.wait_for(lambda: ..., WAIT_S)`.
    sample         a factory: `sample(url)` gives a `SampleController` (not scheduled: the test calls
                   `publish_call` / `publish_board` itself); closed after the test
    speaker        a RecordingSpeaker on the real clock that takes a few milliseconds per call, so
                   calls queue up behind each other as they would in a hall
    StillClock     a clock that stands still until the test moves it
"""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402

import pytest  # noqa: E402

from devices.display.main import assemble  # noqa: E402
from devices.display.program import DisplayProgram  # noqa: E402
from drivers.screen import PngScreen  # noqa: E402
from drivers.voice import RecordingSpeaker  # noqa: E402
from hall import clock as hall_clock
from simulators.display import SampleController  # noqa: E402

WAIT_S = 15.0  # a bound for something that should happen, never a timing assertion


class StillClock:
    def __init__(self, start: float):
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


@pytest.fixture
def speaker() -> RecordingSpeaker:
    return RecordingSpeaker(hall_clock.now, while_speaking=lambda announcement: time.sleep(0.005))


@pytest.fixture
def screens(example_hall, tmp_path) -> Iterator[Callable[..., DisplayProgram]]:
    made: list[DisplayProgram] = []

    def make(
        url: str, display_id: str = "D1", *, speaker=None, clock=hall_clock.now, hall=None, **options
    ) -> DisplayProgram:
        hall = hall or example_hall
        display = hall.displays[display_id]
        png = PngScreen(tmp_path / f"frames-{display_id}", display.size)
        screen = assemble(hall, display, url, png, speaker, clock=clock, **options)
        made.append(screen)
        return screen.start()

    yield make
    for screen in made:
        screen.close()


@pytest.fixture
def sample(example_hall) -> Iterator[Callable[..., SampleController]]:
    made: list[SampleController] = []

    def make(url: str, hall=None) -> SampleController:
        controller = SampleController(
            hall or example_hall, url, client_id=f"test-sample-{len(made)}-{time.monotonic_ns()}"
        )
        made.append(controller)
        return controller

    yield make
    for controller in made:
        controller.close()
