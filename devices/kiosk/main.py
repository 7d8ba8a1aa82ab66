"""`hall kiosk`: the ticket kiosk on its Raspberry Pi: service buttons and/or a touch menu, a printer.

    hall kiosk --id K1 --config hall.toml [--broker mqtt://…] [--printer CONNECTOR]
               [--png-dir DIR | --window | --fullscreen] [--size WxH] [--state-dir DIR] [--pins lgpio|mock]

The kiosk's buttons, printer, paper width, text mode, large print and touch screen come from its
`[[kiosks]]` entry in the hall file; `--printer` overrides the printer (usb:…, serial:…, tcp:…,
file:…, sim). A touch kiosk runs fullscreen; `--png-dir` writes each changed screen as a PNG
instead (no screen needed); a button kiosk without either runs without a screen. The state
directory (default var/kiosk-ID) holds the outbox and the leased offline numbers: keep it on
the Pi's disk across restarts. `assemble` wires the same parts for the simulator and the tests.
"""

from __future__ import annotations

import argparse
import logging
import os
import queue
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gpiozero.pins import Factory

from devices.kiosk.buttons import KioskButtons, button_pins
from devices.kiosk.machine import KioskMachine
from devices.kiosk.offline import OfflineNumbers, OfflineStoreError
from devices.kiosk.program import KioskProgram
from devices.link import DeviceLink
from devices.outbox import OutboxError
from drivers.gpio import FACTORIES, GpioUnavailable, pin_factory
from drivers.printer import BadConnector, DriverMissing, PrinterSimulator, TicketPrinter, open_printer
from drivers.screen import Screen, ScreenError
from hall import clock as hall_clock
from hall import config
from hall.mqtt import BrokerUrlError, add_credentials_argument, device_broker_url
from protocol.topics import Kind

log = logging.getLogger("hall.kiosk")

LISTEN = (Kind.BOARD, Kind.CONTROLLER_STATE)
DEFAULT_SIZE = (1280, 800)


class SetupError(Exception):
    """The kiosk cannot start; the message is one sentence for the technician."""


@dataclass
class RunningKiosk:
    program: KioskProgram
    link: DeviceLink
    printer: TicketPrinter
    buttons: KioskButtons | None
    screen: Screen | None
    inbox: queue.Queue
    closing: list = field(default_factory=list)

    def close(self) -> None:
        self.link.close()
        self.printer.close()
        if self.buttons is not None:
            self.buttons.close()
        for thing in self.closing:
            thing.close()


def assemble(
    hall: config.Hall,
    kiosk_id: str,
    broker: str,
    *,
    state_dir: Path,
    factory: Factory | None,
    printer: str | None = None,
    simulator: PrinterSimulator | None = None,
    screen: Screen | None = None,
    clock: Callable[[], float] = time.monotonic,
    wall: Callable[[], float] = hall_clock.now,
    simulated: bool = False,
    timings: dict[str, float] | None = None,
    **program: Any,
) -> RunningKiosk:
    """A kiosk program with its buttons, printer, offline numbers and started link. Raises SetupError.

    `printer`: a connector overriding the hall file's; `simulator`: the SimulatedPrinter behind the
    `sim` connector. `simulated`: a kiosk without buttons in the hall file may run anyway (the
    simulator presses by other means). `timings`: KioskMachine's take_s, out_poll_s, … `program`:
    KioskProgram's request_timeout, double_press_s, native_qr.
    """
    kiosk = hall.kiosks.get(kiosk_id)
    if kiosk is None:
        raise SetupError(f"{kiosk_id} is not a kiosk in the hall file (kiosks: {', '.join(hall.kiosks) or 'none'})")
    pins = button_pins(kiosk)
    touch = kiosk.touch and screen is not None
    if not pins and not touch and not simulated:
        raise SetupError(
            f"kiosk {kiosk_id} has no `buttons` in the hall file and no touch screen to choose on; "
            "give it buttons, or touch = true and a screen"
        )
    try:
        ticket_printer = open_printer(printer or kiosk.printer, kiosk.paper_mm, simulator=simulator)
    except (BadConnector, DriverMissing) as e:
        raise SetupError(str(e)) from None
    inbox: queue.Queue = queue.Queue()
    opened: list = [ticket_printer]
    try:
        state_dir = Path(state_dir)
        state_dir.mkdir(parents=True, exist_ok=True)
        numbers = OfflineNumbers(state_dir / "offline.json", hall, kiosk_id)
        buttons = KioskButtons(kiosk, inbox, factory=factory, clock=clock) if pins and factory is not None else None
        if buttons is not None:
            opened.append(buttons)
        link = DeviceLink(
            broker,
            hall.id,
            kiosk_id,
            outbox=state_dir / "outbox.db",
            listen=LISTEN,
            inbox=inbox,
            state={"paper": "unknown"},
        )
        opened.append(link)
        machine = KioskMachine(hall, kiosk, touch=touch, now=clock(), **(timings or {}))
        kiosk_program = KioskProgram(
            hall,
            kiosk,
            link,
            ticket_printer,
            numbers,
            inbox,
            screen=screen,
            touch=touch,
            clock=clock,
            wall=wall,
            machine=machine,
            **program,
        )
    except (OfflineStoreError, OutboxError, BrokerUrlError, GpioUnavailable, OSError) as e:
        for thing in reversed(opened):
            thing.close()
        raise SetupError(str(e)) from None
    except Exception:
        for thing in reversed(opened):
            thing.close()
        raise
    link.start()
    return RunningKiosk(kiosk_program, link, ticket_printer, buttons, screen, inbox)


def screen_size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{3,4})x(\d{3,4})", text.strip())
    if not m or not all(320 <= int(v) <= 8192 for v in m.groups()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a screen size like 1280x800 (each 320-8192)")
    return int(m.group(1)), int(m.group(2))


def make_screen(args: argparse.Namespace, kiosk: config.Kiosk) -> Screen | None:
    """PNG frames (--png-dir), a window, fullscreen (--fullscreen, or a touch kiosk), or none."""
    if args.png_dir is None and not args.window and not args.fullscreen and not kiosk.touch:
        return None
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    from drivers.screen import PngScreen, WindowScreen

    if args.png_dir is not None:
        return PngScreen(args.png_dir, args.size or DEFAULT_SIZE)
    if args.window:
        return WindowScreen(args.size or DEFAULT_SIZE, fullscreen=False, title=f"Hall kiosk {kiosk.id}")
    return WindowScreen(args.size, fullscreen=True, title=f"Hall kiosk {kiosk.id}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hall kiosk", description=__doc__.split("\n\n")[0])
    p.add_argument("--id", required=True, help="this kiosk's id in the hall file, e.g. K1")
    p.add_argument("--config", required=True, type=Path, help="the hall file")
    p.add_argument("--broker", help="mqtt://… or mqtts://… (default: HALL_MQTT_URL)")
    add_credentials_argument(p)
    p.add_argument(
        "--printer",
        help="printer connector, overriding the hall file: usb:VID:PID, "
        "serial:/dev/…[@BAUD], tcp:HOST[:PORT], file:PATH or sim",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--png-dir", type=Path, help="write the screen as PNG frames here (no screen needed)")
    where.add_argument("--window", action="store_true", help="show the screen in a window (a desktop)")
    where.add_argument(
        "--fullscreen",
        action="store_true",
        help="fullscreen at the monitor's resolution (the default for a touch kiosk)",
    )
    p.add_argument("--size", type=screen_size, help="screen size for --png-dir and --window (default 1280x800)")
    p.add_argument("--state-dir", type=Path, help="outbox and offline numbers (default: var/kiosk-ID)")
    p.add_argument(
        "--pins",
        choices=FACTORIES,
        default=None,
        help="GPIO driver (default: GPIOZERO_PIN_FACTORY, else lgpio); mock: no hardware",
    )
    p.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    hall_clock.add_argument(p)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    hall_clock.apply_argument(args.clock)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s", force=True)
    screen = None
    try:
        hall = config.load(args.config)
        kiosk = hall.kiosks.get(args.id)
        if kiosk is None:
            raise SetupError(
                f"there is no kiosk {args.id!r} in {args.config} (kiosks: {', '.join(hall.kiosks) or 'none'})"
            )
        broker = device_broker_url(args.broker, credentials=args.credentials)
        factory = pin_factory(args.pins) if button_pins(kiosk) else None
        screen = make_screen(args, kiosk)
        simulator = None
        state_dir = args.state_dir or Path(f"var/kiosk-{args.id}")
        if (args.printer or kiosk.printer) == "sim":
            from drivers.printer.twin import SimulatedPrinter

            simulator = SimulatedPrinter(kiosk.paper_mm, out_dir=state_dir / "printed")
        running = assemble(
            hall,
            args.id,
            broker,
            state_dir=state_dir,
            factory=factory,
            printer=args.printer,
            simulator=simulator,
            screen=screen,
        )
    except (config.ConfigError, BrokerUrlError, GpioUnavailable, ScreenError, SetupError, OSError) as e:
        if screen is not None:
            screen.close()
        print(f"hall kiosk: {e}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    log.info(
        "kiosk %s: printer %s, %s",
        args.id,
        running.printer.name,
        "touch screen" if running.program.has_touch else "buttons",
    )
    try:
        running.program.run(stop)
    finally:
        running.close()
        if screen is not None:
            screen.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
