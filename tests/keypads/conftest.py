"""Fixtures for the counter keypads: mock pins, a fake clock, a kiosk that issues tickets, and
evaluator and caller programs wired exactly as `hall evaluator` / `hall caller` wire them, on
gpiozero's MockFactory, a recording sound player and a real broker.

The programs are driven from the test's own thread (`program.step` / `program.wait_for`), so
every test decides when each queued press or message is handled; nothing runs behind its back
except the link's and the controller's threads, which are real.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory
from testkit import ManualClock

from devices.caller.main import RunningCaller
from devices.caller.main import assemble as assemble_caller
from devices.evaluator.main import RunningEvaluator
from devices.evaluator.main import assemble as assemble_evaluator
from devices.link import DeviceLink
from drivers.gpio import Checkpoint, PanelTwin
from drivers.sounds import BEEP, CHIME
from drivers.voice import RecordingPlayer
from hall import config

WAIT_S = 10.0
EXAMPLE_HALL = Path(__file__).parents[2] / "examples" / "hall.toml"
REQUEST_WAV = CHIME.read_bytes()  # stands in for the spoken request (espeak is tested on its own)
BEEP_WAV = BEEP.read_bytes()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def pins() -> Iterator[MockFactory]:
    factory = MockFactory()
    yield factory
    factory.close()


@pytest.fixture
def hall() -> config.Hall:
    return config.load(EXAMPLE_HALL)


class Kiosk:
    """A kiosk (K1 unless told) reduced to its link: issues printed tickets."""

    def __init__(self, url: str, hall: config.Hall, device: str = "K1") -> None:
        self.link = DeviceLink(url, hall.id, device, listen=()).start()
        assert self.link.wait_connected(WAIT_S)

    def issue(self, service: str = "social", klass: str = "normal") -> str:
        ticket = self.link.request("ticket.request", {"service": service, "class": klass}, WAIT_S).body["ticket"]
        self.link.request("ticket.printed", {"ticket": ticket["id"]}, WAIT_S)
        return ticket["label"]


@pytest.fixture
def kiosk(hall) -> Iterator[Callable[[str], Kiosk]]:
    made: list[Kiosk] = []

    def make(url: str, device: str = "K1") -> Kiosk:
        k = Kiosk(url, hall, device)
        made.append(k)
        return k

    yield make
    for k in made:
        k.link.close()


class Evaluator:
    """A running evaluator program on mock pins, with its twin and recording player."""

    def __init__(self, running: RunningEvaluator, twin: PanelTwin, player: RecordingPlayer) -> None:
        self.running, self.twin, self.player = running, twin, player
        self.program = running.program
        self.panel = running.panel
        self.link = running.link

    def press(self, level: int) -> None:
        self.twin.tap(self.panel.button_pins[str(level)])

    def settle(self) -> None:
        """Handle everything already queued (a tap queues a press and a release)."""
        while self.program.step(0):
            pass

    def lit(self, level: int) -> bool:
        return self.twin.lit(self.panel.led_pins[str(level)])

    @property
    def leds(self) -> dict[str, str]:
        return self.panel.leds.shown

    def sounds(self) -> list[str]:
        assert self.running.voice.wait_idle(WAIT_S)
        names = {REQUEST_WAV: "request", BEEP_WAV: "beep"}
        return [names.get(p.wav, "?") for p in self.player.played]


@pytest.fixture
def evaluator(hall, pins, tmp_path, clock) -> Iterator[Callable[..., Evaluator]]:
    made: list[Evaluator] = []

    def make(
        url: str, device: str = "E3", *, outbox: Path | None = None, factory: MockFactory | None = None
    ) -> Evaluator:
        player = RecordingPlayer()
        running = assemble_evaluator(
            hall,
            device,
            url,
            outbox=outbox or tmp_path / f"outbox-{device}.db",
            factory=factory or pins,
            player=player,
            request_wav=REQUEST_WAV,
            clock=clock,
        )
        e = Evaluator(running, PanelTwin(factory or pins), player)
        made.append(e)
        assert running.link.wait_connected(WAIT_S)
        return e

    yield make
    for e in made:
        e.running.close()


class Caller:
    """A running caller program; `screens` is every screen it drew, as lists of text lines."""

    def __init__(self, running: RunningCaller, screens: list[list[str]], clock: ManualClock) -> None:
        self.running, self.screens, self.clock = running, screens, clock
        self.program = running.program
        self.link = running.link

    def press(self, *keys: str) -> list[str]:
        """Press the keys one after another, a second apart (a clerk's pace), each handled before
        the next; the screen after them."""
        for key in keys:
            self.clock.advance(1.0)
            self.program.press(key)
            self.settle()
        return self.screen

    def settle(self) -> None:
        """Handle everything queued so far (presses, pushed views)."""
        checkpoint = Checkpoint()
        self.program.inbox.put(checkpoint)
        assert self.program.wait_for(checkpoint.reached.is_set, WAIT_S)

    @property
    def screen(self) -> list[str]:
        return [line.text for line in self.program.lines]

    @property
    def text(self) -> str:
        return "\n".join(self.screen)

    def ready(self) -> Caller:
        assert self.program.wait_for(lambda: self.program.machine.view is not None, WAIT_S), self.text
        return self


@pytest.fixture
def caller(hall, clock) -> Iterator[Callable[..., Caller]]:
    made: list[Caller] = []

    def make(url: str, device: str = "C3", *, timeout: float = 5.0) -> Caller:
        screens: list[list[str]] = []
        running = assemble_caller(
            hall, device, url, lambda lines: screens.append([line.text for line in lines]), clock=clock, timeout=timeout
        )
        c = Caller(running, screens, clock)
        made.append(c)
        assert running.link.wait_connected(WAIT_S)
        return c

    yield make
    for c in made:
        c.running.close()


def journal_ratings(db: Path) -> list:
    """The RatingRecorded events in a controller's journal (read with a connection of our own)."""
    from hall_controller.engine import events

    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT body FROM events WHERE type = 'RatingRecorded' ORDER BY seq").fetchall()
    finally:
        conn.close()
    return [events.decode("RatingRecorded", body) for (body,) in rows]
