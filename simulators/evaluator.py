"""`hall sim evaluator`: a satisfaction evaluator with no hardware, on gpiozero's mock pins.

    hall sim evaluator --id E3 --config hall.toml [--broker mqtt://…] [--control DIR]
                       [--outbox PATH] [--sound none|card]

It is the real evaluator program (`hall evaluator`) on a MockFactory: its four buttons, LEDs and
buzzer are mock pins. Keys 4, 3, 2, 1 press the buttons (非常满意, 满意, 一般, 不满意), q quits; the
terminal shows the LEDs (● lit, ◎ blinking, ○ dark), whether a rating is being asked for and for
how long still, and what happened last. Scripts press through the control socket:
`hall sim press E3 4` (see simulators/control.py). It connects to a real broker (--broker, else
HALL_MQTT_URL) and a real controller answers it.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from gpiozero.pins.mock import MockFactory

from devices.caller.screen import Line
from devices.caller.terminal import KeyboardKeys, Quit, TerminalScreen
from devices.evaluator.machine import LEVEL_NAMES, LEVELS, Phase
from devices.evaluator.main import RunningEvaluator, SetupError, assemble, open_player
from devices.evaluator.program import EvaluatorProgram
from drivers.gpio import Checkpoint, PanelTwin, Press
from hall import config
from hall.mqtt import BrokerUrlError, device_broker_url
from simulators.control import ControlError, ControlServer, control_dir, socket_path

log = logging.getLogger("hall.sim.evaluator")
LAMPS = {"on": "●", "blink": "◎", "off": "○"}
LEVEL_WORDS = {str(n): str(n) for n in LEVELS} | {LEVEL_NAMES[n].zh: str(n) for n in LEVELS}


def evaluator_lines(program: EvaluatorProgram, leds: dict[str, str], now: float | None, online: bool) -> list[Line]:
    """What the simulated evaluator shows, as text lines (a function of what it is given only).
    With `now`, the seconds left to answer count down; without, the prompt's whole length is shown
    (a log then gets one screen per change, not one per second)."""
    e = program.evaluator
    out = [
        Line(
            f"评价器 Evaluator {e.id} · {e.counter}号窗口 counter {e.counter} · "
            f"{'online' if online else '离线 offline'}",
            "title" if online else "error",
        )
    ]
    out.append(Line("  ".join(f"[{LAMPS[leds.get(str(n), 'off')]} {n} {LEVEL_NAMES[n].zh}]" for n in LEVELS), "ticket"))
    machine = program.machine
    if machine.phase is Phase.ASKING and machine.prompt is not None:
        p = machine.prompt
        left = (
            f"{max(0, int(p.ends_at - now + 0.999))} s left"
            if now is not None
            else f"{round(p.ends_at - p.received_at)} s to answer"
        )
        out.append(Line(f"请您对本次服务进行评价 · rate {p.ticket} ({left})", "mode"))
    elif machine.phase is Phase.THANKING and machine.level is not None:
        name = LEVEL_NAMES[machine.level]
        out.append(Line(f"谢谢 thank you · {machine.level} {name.zh} {name.en}", "ok"))
    else:
        out.append(Line("空闲 idle: waiting for the counter to finish a service", "info"))
    out += [Line(f"  {text}", "hint") for text in program.log[-3:]]
    out.append(Line("keys: 4 非常满意 · 3 满意 · 2 一般 · 1 不满意 · q quit", "keys"))
    return out


def state_for_control(program: EvaluatorProgram, online: bool) -> dict:
    """The evaluator for `hall sim press --json`, from its machine: the ticket it asks a rating
    for (None: not asking), the level it thanks for (None: not thanking)."""
    e, machine = program.evaluator, program.machine
    asking = machine.prompt.ticket if machine.phase is Phase.ASKING and machine.prompt is not None else None
    thanked = machine.level if machine.phase is Phase.THANKING else None
    return {
        "device": e.id,
        "role": "evaluator",
        "counter": e.counter,
        "online": online,
        "phase": machine.phase.value,
        "asking": asking,
        "thanked": thanked,
    }


class SimulatedEvaluator:
    """The evaluator program on mock pins, pressed by the keyboard and the control socket."""

    def __init__(
        self,
        running: RunningEvaluator,
        twin: PanelTwin,
        clock: Callable[[], float] = time.monotonic,
        countdown: bool = True,
    ) -> None:
        self.running, self.twin, self.clock, self.countdown = running, twin, clock, countdown
        self.program = running.program

    def tap(self, key: str) -> None:
        """Press and release the button of level `key` ("4" … "1") on its mock pin."""
        self.twin.tap(self.running.panel.button_pins[key])

    def lines(self) -> list[Line]:
        return evaluator_lines(
            self.program,
            self.running.panel.leds.shown,
            self.clock() if self.countdown else None,
            self.running.link.connected,
        )

    def state(self) -> dict:
        return state_for_control(self.program, self.running.link.connected)

    def handle(self, words: list[str]) -> list[str]:
        """The control socket's request: press each level in turn (or `show`); the state after."""
        keys = []
        for word in words:
            if word == "show":
                continue
            if word not in LEVEL_WORDS:
                raise ControlError(f"{word!r} is not a button of the evaluator; press 4, 3, 2 or 1")
            keys.append(LEVEL_WORDS[word])
        for key in keys:
            self.tap(key)
        checkpoint = Checkpoint()
        self.program.inbox.put(checkpoint)
        if not checkpoint.reached.wait(10):
            raise ControlError("the evaluator program did not handle the press within 10 s")
        return [line.text for line in self.lines()]


def _evaluator_key(char: str) -> str | None:
    return char if char in LEVEL_WORDS else None


class _KeyboardToPins:
    """The keyboard's presses become taps on the mock pins, so they take the hardware's path."""

    def __init__(self, sim: SimulatedEvaluator, stop: threading.Event) -> None:
        self.sim, self.stop = sim, stop

    def put(self, item: object) -> None:
        if isinstance(item, Press):
            if item.key in LEVEL_WORDS:
                self.sim.tap(LEVEL_WORDS[item.key])
        elif isinstance(item, Quit):
            self.stop.set()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hall sim evaluator", description=__doc__.split("\n\n")[0])
    p.add_argument("--id", required=True, help="the evaluator's id in the hall file, e.g. E3")
    p.add_argument("--config", required=True, type=Path, help="the hall file")
    p.add_argument("--broker", help="mqtt://… (default: HALL_MQTT_URL)")
    p.add_argument("--control", type=Path, help="control socket directory (default: HALL_SIM_DIR, …)")
    p.add_argument("--outbox", type=Path, help="undelivered ratings (default: var/sim-outbox-ID.db)")
    p.add_argument("--sound", choices=("none", "card"), default="none", help="play the voice and beep (card)")
    p.add_argument("--voice-cache", type=Path, default=Path("var/voice-cache"))
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
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    factory = MockFactory()
    try:
        hall = config.load(args.config)
        broker = device_broker_url(args.broker)
        running = assemble(
            hall,
            args.id,
            broker,
            outbox=args.outbox or Path(f"var/sim-outbox-{args.id}.db"),
            factory=factory,
            player=open_player(args.sound),
            cache_dir=args.voice_cache,
            simulated=True,
        )
    except (config.ConfigError, BrokerUrlError, SetupError) as e:
        print(f"hall sim evaluator: {e}", file=sys.stderr)
        factory.close()
        return 2
    screen = TerminalScreen(title=f"{args.id} (hall sim press {args.id} 4|3|2|1)")
    sim = SimulatedEvaluator(running, PanelTwin(factory), countdown=screen.interactive)
    try:
        server = ControlServer(socket_path(control_dir(args.control), args.id), sim.handle, sim.state)
    except ControlError as e:
        print(f"hall sim evaluator: {e}", file=sys.stderr)
        running.close()
        factory.close()
        return 2
    keys = KeyboardKeys(_KeyboardToPins(sim, stop), keymap=_evaluator_key).start() if sys.stdin.isatty() else None
    print(
        f"simulated evaluator {args.id} at counter {running.program.evaluator.counter}: control socket {server.path}",
        flush=True,
    )
    try:
        running.program.run(stop, each_step=lambda: screen.show(sim.lines()))
    except KeyboardInterrupt:
        pass
    finally:
        if keys is not None:
            keys.close()
        server.close()
        running.close()
        factory.close()
    return 0
