"""The kiosk: from a button press to the last byte of the ticket at the printer.

One run, on this machine: a Mosquitto on loopback, a real `hall controller` process (journal with
fsync), and the real kiosk program (`devices.kiosk`) on gpiozero's mock pins, printing over TCP
to the simulated printer. Each press goes the whole way: the press on the pin, the program's
queue, the printer's status check (three questions over the socket), `ticket.request` through
the broker to the controller and back, the ticket drawn, encoded as ESC/POS and sent; the time
is taken when the simulated printer has the cut command (the ticket's last byte). Presses follow
one another as soon as the kiosk is ready for the next (the same service again is fine: the
"pressed twice" window is off for the run). DESIGN.md: p99 ≤ 300 ms (the simulated printer
answers at once, so nothing of a real printer's mechanics is in it).

Also measured: drawing a ticket (80 mm; 58 mm large print), encoding it as ESC/POS, and drawing
a kiosk screen frame.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.figures import Figure
from benchmarks.mqtt import percentile, start_controller

EXAMPLE = Path(__file__).parents[1] / "examples" / "hall.toml"
PRESSES = 200
WARM_UP = 10
RENDERS = 60
TARGET_MS = 300.0
WAIT_S = 20.0


def run(presses: int = PRESSES) -> list[Figure]:
    if shutil.which("mosquitto") is None:
        raise RuntimeError("the kiosk benchmark needs mosquitto (apt install mosquitto)")
    latencies = press_to_paper(presses)
    figures = [
        Figure("kiosk", "press → last ticket byte p50", percentile(latencies, 50) * 1000, "ms"),
        Figure(
            "kiosk",
            "press → last ticket byte p99",
            percentile(latencies, 99) * 1000,
            "ms",
            f"≤ {TARGET_MS:.0f} ms",
            percentile(latencies, 99) * 1000 <= TARGET_MS,
        ),
        Figure("kiosk", "press → last ticket byte max", max(latencies) * 1000, "ms"),
    ]
    return figures + drawing()


def press_to_paper(presses: int) -> list[float]:
    from gpiozero.pins.mock import MockFactory

    from devices.kiosk.buttons import KioskFinger
    from devices.kiosk.main import assemble
    from drivers.printer.twin import SimulatedPrinter, TcpPrinterServer
    from hall import config
    from hall_controller.broker import MosquittoBroker

    workdir = Path(tempfile.mkdtemp(prefix="hall-bench-kiosk-"))
    shutil.copy(EXAMPLE, workdir / "hall.toml")
    hall = config.load(workdir / "hall.toml")
    cut = threading.Condition()
    arrived: list[float] = []

    def on_ticket(ticket) -> None:
        with cut:
            arrived.append(time.perf_counter())
            cut.notify_all()

    printer = SimulatedPrinter(80, on_ticket=on_ticket, keep=2)
    latencies: list[float] = []
    with MosquittoBroker() as broker, TcpPrinterServer(printer) as server:
        controller = start_controller(workdir, broker.url)
        running = None
        stop = threading.Event()
        try:
            running = assemble(
                hall,
                "K1",
                broker.url,
                state_dir=workdir / "kiosk",
                factory=MockFactory(),
                printer=server.connector,
                double_press_s=0.0,
                timings={"take_s": 0.5},
            )
            program = running.program
            loop = threading.Thread(target=program.run, args=(stop,), name="bench-kiosk", daemon=True)
            loop.start()
            deadline = time.monotonic() + 30
            while not (
                program.machine.controller_online
                and program.machine.online(program.clock())
                and all(program.numbers.left(s, time.time()) for s in running.program.kiosk.services)
            ):
                if time.monotonic() > deadline or controller.poll() is not None:
                    raise RuntimeError(
                        f"the kiosk did not get online with its offline numbers leased: {program.log[-5:]}"
                    )
                time.sleep(0.05)
            finger = KioskFinger(running.buttons)
            services = list(program.kiosk.services)
            for i in range(WARM_UP + presses):
                with program.changed:
                    handled = len(program.outcomes)
                with cut:
                    printed = len(arrived)
                started = time.perf_counter()
                finger.press(services[i % len(services)])
                with cut:
                    if not cut.wait_for(lambda: len(arrived) > printed, WAIT_S):
                        raise RuntimeError(f"press {i}: no ticket at the printer: {program.log[-3:]}")
                    done = arrived[printed]
                with program.changed:  # the kiosk is ready for the next citizen
                    program.changed.wait_for(lambda: len(program.outcomes) > handled, WAIT_S)
                    outcome = program.outcomes[handled].text
                if not outcome.endswith("printed"):
                    raise RuntimeError(f"press {i}: {outcome}")
                if i >= WARM_UP:
                    latencies.append(done - started)
        finally:
            stop.set()
            if running is not None:
                running.close()
            controller.terminate()
            controller.wait(10)
            if controller.stderr:
                controller.stderr.close()
    shutil.rmtree(workdir, ignore_errors=True)
    return latencies


def drawing() -> list[Figure]:
    import os

    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from devices.kiosk.machine import KioskMachine
    from devices.kiosk.menu import render_view
    from devices.kiosk.ticket import TicketFace, render_ticket
    from drivers.printer import roll_for, ticket_bytes
    from hall import config

    hall = config.load(EXAMPLE)
    service = hall.services["property"]
    face = TicketFace(
        hall.names,
        service.names,
        "B023",
        12,
        1500.0,
        dt.datetime.now(hall.tz),
        "http://hall.local:8080/t/4kq9w2rz8d1mx7c2",
        service.materials,
        hall.footer,
    )

    def timed(fn, n: int = RENDERS) -> list[float]:
        out = []
        fn()
        for _ in range(n):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
        return out

    image = render_ticket(face, 80)
    draw80 = timed(lambda: render_ticket(face, 80))
    draw58 = timed(lambda: render_ticket(face, 58, True))
    encode = timed(lambda: ticket_bytes(image, roll_for(80)))
    machine = KioskMachine(hall, hall.kiosks["K2"], touch=True, now=0.0)
    view = machine.view(0.0)
    screen = timed(lambda: render_view(view, (1280, 800)), 20)
    ms = 1000
    return [
        Figure("kiosk", "ticket drawn, 80 mm, p50", percentile(draw80, 50) * ms, "ms"),
        Figure("kiosk", "ticket drawn, 80 mm, p99", percentile(draw80, 99) * ms, "ms"),
        Figure("kiosk", "ticket drawn, 58 mm large print, p50", percentile(draw58, 50) * ms, "ms"),
        Figure("kiosk", "ticket encoded as ESC/POS (80 mm), p50", percentile(encode, 50) * ms, "ms"),
        Figure("kiosk", "kiosk screen frame 1280×800, p50", percentile(screen, 50) * ms, "ms"),
    ]
