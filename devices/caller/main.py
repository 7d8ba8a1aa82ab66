"""`hall caller`: the clerk's keypad and screen at a counter (a Pi with a keypad, or the clerk's PC).

    hall caller --id C3 --config hall.toml [--broker mqtt://…] [--screen terminal|window|png:DIR]

Keys come from the keyboard (or a programmable USB keypad typing the same letters, see
devices/caller/keys.py); the screen is drawn in the terminal, in a small window (480×320), or as
PNG files for a headless check. Runs until `q`, Ctrl-C or SIGTERM. `assemble` wires the same
parts for the simulator and the tests.
"""

from __future__ import annotations

import argparse
import logging
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from devices.caller.keys import from_keyboard
from devices.caller.program import REQUEST_TIMEOUT_S, CallerProgram
from devices.caller.screen import Line, paint
from devices.caller.terminal import QUIT_KEY, KeyboardKeys, TerminalScreen
from devices.link import DeviceLink
from hall import clock as hall_clock
from hall import config
from hall.mqtt import BrokerUrlError, add_credentials_argument, device_broker_url

log = logging.getLogger("hall.caller")
SMALL_SCREEN = (480, 320)


class SetupError(Exception):
    """The caller cannot start; the message is one sentence for the technician."""


@dataclass
class RunningCaller:
    program: CallerProgram
    link: DeviceLink
    inbox: queue.Queue

    def close(self) -> None:
        self.link.close()


def assemble(
    hall: config.Hall,
    device_id: str,
    broker: str,
    show: Callable[[list[Line]], None],
    *,
    clock: Callable[[], float] = time.monotonic,
    timeout: float = REQUEST_TIMEOUT_S,
    keyboard: bool = True,
    poll: Callable[[Callable[[str], None]], bool] = lambda press: False,
) -> RunningCaller:
    """A caller program with its started link. Raises SetupError. `show` and `poll`: an `Output`'s."""
    caller = hall.callers.get(device_id)
    if caller is None:
        known = ", ".join(hall.callers) or "none"
        raise SetupError(f"{device_id} is not a caller in the hall file (callers: {known})")
    inbox: queue.Queue = queue.Queue()
    try:
        link = DeviceLink(broker, hall.id, device_id, listen=("controller/state",), inbox=inbox)
    except BrokerUrlError as e:
        raise SetupError(str(e)) from None
    program = CallerProgram(hall, caller, link, inbox, show, clock=clock, timeout=timeout, keyboard=keyboard, poll=poll)
    link.start()
    return RunningCaller(program, link, inbox)


@dataclass
class Output:
    """Where the clerk's screen goes: `show(lines)`, `poll(press)` (a window's own keys and close
    button: presses keys, True when the window was closed), `close()`."""

    show: Callable[[list[Line]], None]
    close: Callable[[], None] = lambda: None
    poll: Callable[[Callable[[str], None]], bool] = lambda press: False


def screen_for(spec: str, title: str) -> Output:
    """The output for --screen terminal | window | png:DIR. Raises SetupError."""
    if spec == "terminal":
        return Output(TerminalScreen(title=title).show)
    from drivers.screen import PngScreen, ScreenError, WindowScreen

    try:
        if spec == "window":
            window = WindowScreen(SMALL_SCREEN, fullscreen=False, title=title)
            return Output(lambda lines: window.show(paint(lines, SMALL_SCREEN)), window.close, _window_keys)
        if spec.startswith("png:") and len(spec) > 4:
            png = PngScreen(Path(spec[4:]), SMALL_SCREEN)
            return Output(lambda lines: png.show(paint(lines, SMALL_SCREEN)), png.close)
    except ScreenError as e:
        raise SetupError(str(e)) from None
    raise SetupError(f"--screen {spec!r}: use terminal, window or png:DIR")


def _window_keys(press: Callable[[str], None]) -> bool:
    """Keys typed into the caller's window, as on the terminal; True when the window is closed."""
    import pygame

    for event in pygame.event.get((pygame.QUIT, pygame.KEYDOWN)):
        if event.type == pygame.QUIT:
            return True
        char = {
            pygame.K_RETURN: "\r",
            pygame.K_KP_ENTER: "\r",
            pygame.K_BACKSPACE: "\x7f",
            pygame.K_ESCAPE: "\x1b",
        }.get(event.key, event.unicode)
        if char == QUIT_KEY:
            return True
        name = from_keyboard(char) if char else None
        if name is not None:
            press(name)
    return False


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hall caller", description=__doc__.split("\n\n")[0])
    p.add_argument("--id", required=True, help="this caller's id in the hall file, e.g. C3")
    p.add_argument("--config", required=True, type=Path, help="the hall file")
    p.add_argument("--broker", help="mqtt://… or mqtts://… (default: HALL_MQTT_URL)")
    add_credentials_argument(p)
    p.add_argument("--screen", default="terminal", help="terminal (default), window, or png:DIR")
    p.add_argument(
        "--timeout",
        type=float,
        default=REQUEST_TIMEOUT_S,
        help="seconds to wait for the controller's answer (default %(default)s)",
    )
    p.add_argument("--log", type=Path, help="write the log here (default: only warnings, on stderr)")
    hall_clock.add_argument(p)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    hall_clock.apply_argument(args.clock)
    if args.log:
        logging.basicConfig(
            filename=args.log, level=logging.INFO, force=True, format="%(asctime)s %(name)s %(levelname)s %(message)s"
        )
    else:
        logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s", force=True)
    if not 0.5 <= args.timeout <= 60:
        print("hall caller: --timeout must be between 0.5 and 60 seconds", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())  # Ctrl-C stays KeyboardInterrupt: `hall` exits 130
    output: Output | None = None
    try:
        hall = config.load(args.config)
        broker = device_broker_url(args.broker, credentials=args.credentials)
        output = screen_for(args.screen, f"{args.id} hall caller")
        running = assemble(hall, args.id, broker, output.show, timeout=args.timeout, poll=output.poll)
    except (config.ConfigError, BrokerUrlError, SetupError) as e:
        print(f"hall caller: {e}", file=sys.stderr)
        if output is not None:
            output.close()
        return 2
    keys = KeyboardKeys(running.inbox, paced=running.program.press_paced).start()
    try:
        running.program.run(stop)  # on this (the main) thread, which also looks after a window's events
    finally:
        keys.close()
        running.close()
        output.close()
    return 0
