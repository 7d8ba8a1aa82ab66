"""`hall sim kiosk`: a kiosk on simulated buttons and a simulated printer, pressed by `hall sim press`.

    hall sim kiosk --id K1 --config hall.toml --out DIR [--broker URL] [--png-dir DIR] [--state-dir DIR]
    hall sim press K1 A          # press the button of the service with prefix A (or its id, or priority)

The simulated kiosk is the real kiosk program (`devices.kiosk`) on gpiozero's mock pins and an
in-process `SimulatedPrinter` that writes each ticket to DIR as ticket-0001.png (what the paper
shows, decoded from the bytes) and ticket-0001.bin. It takes commands typed on its standard input, and on
its control socket (`simulators.control`, which `hall sim press K1 ...` reaches), one line each,
answered with one line:

    press A | press social | press priority    ->  ok ticket A023 printed
    checkin CODE                               ->  ok ticket A024 printed   (appointment check-in)
    paper ok|low|out, cover open|closed, silent, answer   (the printer's state)
    status                                     ->  ok menu, online, printed 3, offline numbers A:50 …

A press reaches the kiosk as a real one would: through the button's mock pin when the hall file
gives it one, else as a touch on the tile of a touch kiosk's screen (with --png-dir), else as the
button press itself. The answer comes once the press has been dealt with (the ticket printed, or
why not). `hall sim press K1 A` sends the words `A`; a word that is not a command is a key to press.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from pathlib import Path

from devices.kiosk.buttons import KioskFinger, UnknownKey, key_for
from devices.kiosk.machine import PRIORITY, ChooseService, Dismiss, Phase, TogglePriority
from devices.kiosk.main import DEFAULT_SIZE, RunningKiosk, SetupError, assemble, screen_size
from devices.kiosk.menu import centre_of
from devices.kiosk.program import CheckIn, Issued, KioskProgram, Outcome, Tap
from drivers.gpio import Press, pin_factory
from drivers.printer.twin import SimulatedPrinter
from hall import config
from hall.mqtt import BrokerUrlError, device_broker_url
from simulators import control
from simulators.printer_cli import apply_command

log = logging.getLogger("hall.sim.kiosk")

ANSWER_S = 8.0  # how long a command waits for the kiosk to deal with a press
COMMANDS = "press KEY, checkin CODE, paper ok|low|out, cover open|closed, silent, answer, status"


class SimulatedKiosk:
    """The control-socket side of a simulated kiosk: turns command lines into presses and answers."""

    def __init__(self, running: RunningKiosk, simulator: SimulatedPrinter) -> None:
        self.running = running
        self.program = running.program
        self.simulator = simulator
        self.kiosk = running.program.kiosk
        self.hall = running.program.hall
        self.finger = KioskFinger(running.buttons) if running.buttons is not None else None
        self.answered: list[Outcome] = []  # what the presses of the last control request came to

    def command(self, words: list[str]) -> str:
        """Carry out one command line (split into words); raises ControlError with the reason."""
        match words:
            case ["press", key]:
                try:
                    return self.press(key)
                except UnknownKey as e:
                    raise control.ControlError(str(e)) from None
            case ["checkin", code]:
                return self._wait_outcome(
                    "checkin", lambda: self.running.inbox.put(CheckIn(code, self.program.clock()))
                )
            case ["status"]:
                return self.status()
            case ["paper" | "cover", _] | ["silent"] | ["answer"]:
                text = apply_command(self.simulator, " ".join(words))
                if text.startswith("unknown command"):
                    raise control.ControlError(text)
                return "printer: " + text
        raise control.ControlError(f"unknown command {' '.join(words)!r}; try {COMMANDS}")

    def control(self, words: list[str]) -> list[str]:
        """The control socket's handler: a command, or keys to press (`hall sim press K1 A`)."""
        self.answered = []
        if words and words[0] not in ("press", "checkin", "status", "paper", "cover", "silent", "answer"):
            return [self.command(["press", key]) for key in words]
        return [self.command(words)]

    def press(self, text: str) -> str:
        key = key_for(self.hall, self.kiosk, text)
        if self.finger is not None and self.finger.has(key):
            return self._wait_outcome(key, lambda: self.finger.press(key))
        screen = self.running.screen
        if self.program.has_touch and screen is not None:
            touch = TogglePriority() if key == PRIORITY else ChooseService(key)
            view = self.program.machine.view(self.program.clock())
            if view.page is Phase.TAKE:  # the previous citizen's "take your ticket": tap it away first
                self._tap("Dismiss", centre_of(view, screen.size, Dismiss()))
                view = self.program.machine.view(self.program.clock())
            try:
                pos = centre_of(view, screen.size, touch)
            except LookupError:
                raise control.ControlError(f"the kiosk's screen shows no {text!r} now ({view.page.value})") from None
            return self._tap(type(touch).__name__, pos)
        return self._wait_outcome(key, lambda: self.running.inbox.put(Press(key, self.program.clock())))

    def _tap(self, key: str, pos: tuple[int, int]) -> str:
        return self._wait_outcome(key, lambda: self.running.inbox.put(Tap(pos, self.program.clock())))

    def _wait_outcome(self, key: str, act) -> str:
        program = self.program
        with program.changed:
            seen = len(program.outcomes)
        act()
        deadline = time.monotonic() + ANSWER_S
        with program.changed:
            while True:
                for outcome in program.outcomes[seen:]:
                    if outcome.key == key:
                        self.answered.append(outcome)
                        return outcome.text
                left = deadline - time.monotonic()
                if left <= 0:
                    raise control.ControlError(f"the kiosk did not deal with the press within {ANSWER_S:g} s")
                program.changed.wait(left)

    def state(self) -> dict:
        return state_for_control(self.program, self.answered)

    def status(self) -> str:
        program = self.program
        now = program.clock()
        numbers = " ".join(
            f"{self.hall.services[s].prefix}:{n}" for s, n in program.numbers.summary(program.wall()).items()
        )
        return (
            f"{program.machine.phase.value}, {'online' if program.machine.online(now) else 'offline'}, "
            f"printed {len(program.printed)}, unconfirmed {program.link.unanswered}, "
            f"offline numbers {numbers}, paper {self.simulator.paper}, "
            f"cover {'open' if self.simulator.cover_open else 'closed'}"
        )


def state_for_control(program: KioskProgram, answered: list[Outcome]) -> dict:
    """The kiosk for `hall sim press --json`, from the program's own records: what each press of
    the request came to (the ticket it printed, or whether it did not count), the last ticket, and
    how many wait for each service as far as the kiosk knows (the controller's board)."""

    def issued(t: Issued | None) -> dict | None:
        return (
            None
            if t is None
            else {"label": t.label, "id": t.ticket_id, "service": t.service, "class": t.klass, "offline": t.offline}
        )

    return {
        "device": program.kiosk.id,
        "role": "kiosk",
        "phase": program.machine.phase.value,
        "online": program.machine.online(program.clock()),
        "presses": [{"key": o.key, "ticket": issued(o.ticket), "ignored": o.ignored, "text": o.text} for o in answered],
        "printed": len(program.printed),
        "last_printed": issued(program.printed[-1] if program.printed else None),
        "waiting": dict(program.machine.waiting),
    }


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hall sim kiosk", description=__doc__.split("\n\n")[0])
    p.add_argument("--id", required=True, help="the kiosk's id in the hall file, e.g. K1")
    p.add_argument("--config", required=True, type=Path, help="the hall file")
    p.add_argument("--out", required=True, type=Path, help="directory for the printed tickets (PNG and raw bytes)")
    p.add_argument("--broker", help="mqtt://… (default: HALL_MQTT_URL)")
    p.add_argument("--png-dir", type=Path, help="write the kiosk's screen as PNG frames here")
    p.add_argument("--size", type=screen_size, help="screen size for --png-dir (default 1280x800)")
    p.add_argument("--state-dir", type=Path, help="outbox and offline numbers (default: var/sim-kiosk-ID)")
    p.add_argument("--log-level", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s", force=True)
    screen = None
    try:
        hall = config.load(args.config)
        kiosk = hall.kiosks.get(args.id)
        if kiosk is None:
            raise SetupError(
                f"there is no kiosk {args.id!r} in {args.config} (kiosks: {', '.join(hall.kiosks) or 'none'})"
            )
        broker = device_broker_url(args.broker)
        lock = threading.Lock()

        def announce(ticket) -> None:
            with lock:
                print(f"ticket-{ticket.number:04d}.png  {len(ticket.raw):,} bytes", flush=True)

        simulator = SimulatedPrinter(kiosk.paper_mm, out_dir=args.out, on_ticket=announce)
        if args.png_dir is not None:
            from drivers.screen import PngScreen

            screen = PngScreen(args.png_dir, args.size or DEFAULT_SIZE)
        running = assemble(
            hall,
            args.id,
            broker,
            state_dir=args.state_dir or Path(f"var/sim-kiosk-{args.id}"),
            factory=pin_factory("mock"),
            printer="sim",
            simulator=simulator,
            screen=screen,
            simulated=True,
        )
    except (config.ConfigError, BrokerUrlError, SetupError, OSError) as e:
        print(f"hall sim kiosk: {e}", file=sys.stderr)
        if screen is not None:
            screen.close()
        return 2
    sim = SimulatedKiosk(running, simulator)
    try:
        server = control.ControlServer(control.socket_path(control.control_dir(), args.id), sim.control, sim.state)
    except control.ControlError as e:
        running.close()
        print(f"hall sim kiosk: {e}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(
        f"simulated kiosk {args.id}: tickets go to {args.out}; press its buttons with "
        f"`hall sim press {args.id} {hall.services[kiosk.services[0]].prefix}`, or type a command here "
        f"({COMMANDS})",
        flush=True,
    )
    threading.Thread(target=_typed_commands, args=(sim,), name="sim-kiosk-stdin", daemon=True).start()
    try:
        running.program.run(stop)
    finally:
        server.close()
        running.close()
        if screen is not None:
            screen.close()
    return 0


def _typed_commands(sim: SimulatedKiosk) -> None:
    """Commands typed on standard input, answered on standard output (until end of input)."""
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            print("ok " + sim.command(words), flush=True)
        except control.ControlError as e:
            print(f"error {e}", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
