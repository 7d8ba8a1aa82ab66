"""Fixtures: a real kiosk program on mock pins, printing to the simulated printer.

    make_kiosk(url, "K1", transport="tcp")   a `KioskRig`: the kiosk (assembled as `hall kiosk`
                                             does it) with its link started against `url`, the
                                             SimulatedPrinter it prints to (over a real TCP socket,
                                             a real pty, or in-process "sim"), a finger on its mock
                                             button pins, and a fake monotonic clock the test moves;
                                             everything is closed after the test
    kiosk_hall(**kiosk_changes)             the example hall with K1's entry changed

The test drives the program on its own thread (`rig.press("A")` presses and steps the program
until the press has been dealt with), so nothing races the assertions.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory
from testkit import ManualClock

from devices.kiosk.buttons import KioskFinger, key_for
from devices.kiosk.main import RunningKiosk, assemble
from devices.kiosk.program import Outcome
from drivers.printer.twin import SerialPrinterPort, SimulatedPrinter, TcpPrinterServer
from hall import config

WAIT_S = 15.0
EXAMPLE_HALL = Path(__file__).parents[2] / "examples" / "hall.toml"
FAST = {"out_poll_s": 1.0, "idle_poll_s": 1000.0, "take_s": 5.0}  # machine timings on the fake clock


class KioskRig:
    def __init__(self, running: RunningKiosk, simulator: SimulatedPrinter, clock: ManualClock, transport) -> None:
        self.running, self.simulator, self.clock, self.transport = running, simulator, clock, transport
        self.program = running.program
        self.hall, self.kiosk = self.program.hall, self.program.kiosk
        self.finger = KioskFinger(running.buttons) if running.buttons is not None else None

    def press(self, text: str, *, advance: float = 2.0) -> Outcome:
        """Press a button (prefix, service id or priority) and step until the press is dealt with."""
        key = key_for(self.hall, self.kiosk, text)
        seen = len(self.program.outcomes)
        self.clock.advance(advance)
        self.finger.press(key)
        assert self.program.wait_for(lambda: len(self.program.outcomes) > seen, WAIT_S), f"press {text} not handled"
        return self.program.outcomes[seen]

    def step_until(self, done: Callable[[], bool], timeout: float = WAIT_S) -> bool:
        return self.program.wait_for(done, timeout)

    def online(self) -> bool:
        return self.step_until(
            lambda: self.program.machine.online(self.clock()) and self.program.machine.controller_online is True
        )

    def leased(self) -> bool:
        """Step until every service of the kiosk has leased offline numbers."""
        numbers, wall = self.program.numbers, self.program.wall
        return self.step_until(lambda: all(numbers.left(s, wall()) > 0 for s in self.kiosk.services))

    def close(self) -> None:
        self.running.close()
        if self.transport is not None:
            self.transport.close()


@pytest.fixture
def kiosk_hall() -> Callable[..., config.Hall]:
    def make(kiosk_id: str = "K1", **changes) -> config.Hall:
        raw = tomllib.loads(EXAMPLE_HALL.read_text(encoding="utf-8"))
        raw = copy.deepcopy(raw)
        for entry in raw["kiosks"]:
            if entry["id"] == kiosk_id:
                entry.update(changes)
        return config.parse(raw)

    return make


@pytest.fixture
def make_kiosk(tmp_path) -> Iterator[Callable[..., KioskRig]]:
    rigs: list[KioskRig] = []

    def make(
        url: str,
        kiosk_id: str = "K1",
        *,
        hall: config.Hall | None = None,
        transport: str = "tcp",
        screen=None,
        timings: dict | None = None,
        state_dir: Path | None = None,
        **program,
    ) -> KioskRig:
        hall = hall or config.load(EXAMPLE_HALL)
        kiosk = hall.kiosks[kiosk_id]
        simulator = SimulatedPrinter(kiosk.paper_mm, out_dir=tmp_path / f"paper-{kiosk_id}-{len(rigs)}")
        server = None
        if transport == "tcp":
            server = TcpPrinterServer(simulator)
            connector = server.connector
        elif transport == "serial":
            server = SerialPrinterPort(simulator)
            connector = server.connector
        else:
            connector = "sim"
        clock = ManualClock()
        program.setdefault("request_timeout", 3.0)
        running = assemble(
            hall,
            kiosk_id,
            url,
            state_dir=state_dir or tmp_path / f"state-{kiosk_id}",
            factory=MockFactory(),
            printer=connector,
            simulator=simulator if transport == "sim" else None,
            screen=screen,
            clock=clock,
            simulated=True,
            timings={**FAST, **(timings or {})},
            **program,
        )
        rig = KioskRig(running, simulator, clock, server)
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        rig.close()
