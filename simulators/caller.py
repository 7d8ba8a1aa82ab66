"""`hall sim caller`: a clerk's counter keypad with no hardware, in the terminal.

    hall sim caller --id C3 --config hall.toml [--broker mqtt://…] [--control DIR]
                    [--screen terminal|window|png:DIR]

It is the real caller program (`hall caller`): the keyboard is the keypad (the letters are in
devices/caller/keys.py and on the screen), and the clerk's screen is drawn in the terminal (or in
a 480×320 window with --screen window, or as PNG files of that panel with --screen png:DIR). Scripts press keys through the control
socket: `hall sim press C3 call`, `hall sim press C3 open S 0 0 5 enter` (see
simulators/control.py). Scripted keys are pressed at a clerk's pace: each is handled (its request
answered or timed out) before the next, and a key pressed again first waits out its double-press
window (0.8 s for function keys), so every key of a script counts. It connects to a real broker
(--broker, else HALL_MQTT_URL) and a real controller answers it.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from devices.caller.keys import UnknownKey, key_name
from devices.caller.machine import CallerState
from devices.caller.main import RunningCaller, SetupError, assemble, screen_for
from devices.caller.program import REQUEST_TIMEOUT_S
from devices.caller.terminal import KeyboardKeys
from drivers.gpio import Checkpoint
from hall import config
from hall.mqtt import BrokerUrlError, device_broker_url
from simulators.control import ControlError, ControlServer, control_dir, socket_path

log = logging.getLogger("hall.sim.caller")


def state_for_control(state: CallerState) -> dict:
    """The caller for `hall sim press --json`, from its machine's state: the counter's state (open,
    paused, closed; None while it connects), the ticket at the counter and its state (called,
    serving), how many wait, what the controller said last (a refusal, say)."""
    view = state.view or {}
    ticket = view.get("ticket") or None
    notice = state.notice
    return {
        "counter": state.counter,
        "role": "caller",
        "online": state.online,
        "state": view.get("state") if state.view is not None else None,
        "clerk": view.get("clerk"),
        "reason": view.get("reason"),
        "ticket": {
            "label": ticket.get("label"),
            "state": ticket.get("state"),
            "service": ticket.get("service"),
            "recalls": ticket.get("recalls", 0),
        }
        if ticket
        else None,
        "waiting": view.get("waiting", 0),
        "held": list(view.get("held") or []),
        "busy": state.busy is not None,
        "notice": {"tone": notice.tone, "zh": notice.text.zh, "en": notice.text.en} if notice else None,
    }


class SimulatedCaller:
    def __init__(self, running: RunningCaller) -> None:
        self.running = running
        self.program = running.program

    def handle(self, words: list[str]) -> list[str]:
        """The control socket's request: press each key in turn (or `show`); the screen after."""
        try:
            keys = [key_name(w) for w in words if w != "show"]
        except UnknownKey as e:
            raise ControlError(str(e)) from None
        for key in keys:
            if not self.program.press_paced(key):
                raise ControlError(f"the caller program did not handle {key!r} in time")
        if not keys:
            checkpoint = Checkpoint()
            self.program.inbox.put(checkpoint)
            checkpoint.reached.wait(self.program.timeout + 10)
        return [line.text for line in self.program.lines]

    def state(self) -> dict:
        return {"device": self.program.caller.id, **state_for_control(self.program.machine.state)}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hall sim caller", description=__doc__.split("\n\n")[0])
    p.add_argument("--id", required=True, help="the caller's id in the hall file, e.g. C3")
    p.add_argument("--config", required=True, type=Path, help="the hall file")
    p.add_argument("--broker", help="mqtt://… (default: HALL_MQTT_URL)")
    p.add_argument("--control", type=Path, help="control socket directory (default: HALL_SIM_DIR, …)")
    p.add_argument("--screen", default="terminal", help="terminal (default), window (480x320), or png:DIR")
    p.add_argument("--timeout", type=float, default=REQUEST_TIMEOUT_S, help="seconds to wait for the controller")
    p.add_argument("--log", type=Path, help="write the log here")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        filename=args.log,
        level=logging.INFO if args.log else logging.WARNING,
        force=True,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    if not 0.5 <= args.timeout <= 60:
        print("hall sim caller: --timeout must be between 0.5 and 60 seconds", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    output = None
    try:
        hall = config.load(args.config)
        broker = device_broker_url(args.broker)
        output = screen_for(args.screen, f"{args.id} (hall sim press {args.id} KEY…)")
        running = assemble(hall, args.id, broker, output.show, timeout=args.timeout, poll=output.poll)
    except (config.ConfigError, BrokerUrlError, SetupError) as e:
        print(f"hall sim caller: {e}", file=sys.stderr)
        if output is not None:
            output.close()
        return 2
    sim = SimulatedCaller(running)
    try:
        server = ControlServer(socket_path(control_dir(args.control), args.id), sim.handle, sim.state)
    except ControlError as e:
        print(f"hall sim caller: {e}", file=sys.stderr)
        running.close()
        output.close()
        return 2
    print(
        f"simulated caller {args.id} at counter {running.program.caller.counter}: control socket {server.path}",
        flush=True,
    )
    keys = KeyboardKeys(running.inbox).start() if sys.stdin.isatty() else None
    try:
        running.program.run(stop)
    except KeyboardInterrupt:
        pass
    finally:
        if keys is not None:
            keys.close()
        server.close()
        running.close()
        output.close()
    return 0
