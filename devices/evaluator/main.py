"""`hall evaluator`: the satisfaction keypad at a counter, on its Raspberry Pi.

    hall evaluator --id E3 --config hall.toml [--broker mqtt://…] [--pins lgpio|mock]
                   [--outbox var/outbox-E3.db] [--sound card|none]

Reads its pins from the hall file, connects to the broker (--broker, else HALL_MQTT_URL), and runs
until Ctrl-C or SIGTERM. `assemble` wires the same parts for the simulator and the tests.
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

from gpiozero.pins import Factory

from devices.evaluator.machine import EvaluatorMachine
from devices.evaluator.panel import EvaluatorPanel, NoPins
from devices.evaluator.program import EvaluatorProgram, StampedInbox
from devices.evaluator.voice import EvaluatorVoice, SilentPlayer, request_sound
from devices.link import DeviceLink
from devices.outbox import OutboxError
from drivers.gpio import FACTORIES, GpioUnavailable, pin_factory
from drivers.sounds import CHIME
from drivers.voice import MixerPlayer, Player, VoiceNotInstalled
from hall import clock as hall_clock
from hall import config
from hall.mqtt import BrokerUrlError, add_credentials_argument, device_broker_url

log = logging.getLogger("hall.evaluator")


class SetupError(Exception):
    """The evaluator cannot start; the message is one sentence for the technician."""


@dataclass
class RunningEvaluator:
    program: EvaluatorProgram
    link: DeviceLink
    panel: EvaluatorPanel
    voice: EvaluatorVoice

    def close(self) -> None:
        self.link.close()
        self.voice.close()
        self.panel.close()


def assemble(
    hall: config.Hall,
    device_id: str,
    broker: str,
    *,
    outbox: Path,
    factory: Factory,
    player: Player,
    request_wav: bytes | None = None,
    cache_dir: Path | None = None,
    clock: Callable[[], float] = time.monotonic,
    simulated: bool = False,
    thanks_s: float | None = None,
) -> RunningEvaluator:
    """An evaluator program with its panel, voice and started link. Raises SetupError."""
    evaluator = hall.evaluators.get(device_id)
    if evaluator is None:
        known = ", ".join(hall.evaluators) or "none"
        raise SetupError(f"{device_id} is not an evaluator in the hall file (evaluators: {known})")
    inbox: queue.Queue = queue.Queue()
    try:
        panel = EvaluatorPanel(evaluator, inbox, factory=factory, clock=clock, simulated=simulated)
    except (NoPins, GpioUnavailable) as e:
        raise SetupError(str(e)) from None
    try:
        if request_wav is None:
            request_wav = (
                CHIME.read_bytes()
                if isinstance(player, SilentPlayer)  # nothing to synthesise for
                else request_sound(evaluator.counter, cache_dir or Path("var/voice-cache"), player)
            )
        Path(outbox).parent.mkdir(parents=True, exist_ok=True)
        link = DeviceLink(broker, hall.id, device_id, outbox=outbox, listen=(), inbox=StampedInbox(inbox, clock))
    except (OutboxError, BrokerUrlError, OSError) as e:
        panel.close()
        raise SetupError(str(e)) from None
    except Exception:
        panel.close()
        raise
    voice = EvaluatorVoice(player, request_wav)
    machine = EvaluatorMachine() if thanks_s is None else EvaluatorMachine(thanks_s=thanks_s)
    program = EvaluatorProgram(evaluator, link, panel, voice, inbox, clock=clock, machine=machine)
    link.start()
    return RunningEvaluator(program, link, panel, voice)


def open_player(sound: str) -> Player:
    if sound == "none":
        return SilentPlayer()
    try:
        return MixerPlayer()
    except VoiceNotInstalled as e:
        log.warning("no sound device (%s): the evaluator works with its LEDs and buzzer only", e)
        return SilentPlayer()


def _stop_on_signals() -> threading.Event:
    """An event set by Ctrl-C or SIGTERM; made before anything starts, so a stop during start-up is kept."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hall evaluator", description=__doc__.split("\n\n")[0])
    p.add_argument("--id", required=True, help="this evaluator's id in the hall file, e.g. E3")
    p.add_argument("--config", required=True, type=Path, help="the hall file")
    p.add_argument("--broker", help="mqtt://… or mqtts://… (default: HALL_MQTT_URL)")
    add_credentials_argument(p)
    p.add_argument(
        "--pins",
        choices=FACTORIES,
        default=None,
        help="GPIO driver (default: GPIOZERO_PIN_FACTORY, else lgpio); mock: no hardware",
    )
    p.add_argument("--outbox", type=Path, help="ratings not yet delivered (default: var/outbox-ID.db)")
    p.add_argument(
        "--sound",
        choices=("card", "none"),
        default="card",
        help="card: spoken request and beep through the sound card; none: LEDs and buzzer only",
    )
    p.add_argument("--voice-cache", type=Path, default=Path("var/voice-cache"), help="espeak-ng phrase cache")
    p.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    hall_clock.add_argument(p)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    hall_clock.apply_argument(args.clock)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s", force=True)
    stop = _stop_on_signals()
    factory: Factory | None = None
    player: Player | None = None
    try:
        hall = config.load(args.config)
        broker = device_broker_url(args.broker, credentials=args.credentials)
        factory = pin_factory(args.pins)
        player = open_player(args.sound)
        running = assemble(
            hall,
            args.id,
            broker,
            outbox=args.outbox or Path(f"var/outbox-{args.id}.db"),
            factory=factory,
            player=player,
            cache_dir=args.voice_cache,
        )
    except (config.ConfigError, BrokerUrlError, GpioUnavailable, SetupError) as e:
        print(f"hall evaluator: {e}", file=sys.stderr)
        if player is not None:
            player.close()
        if factory is not None:
            factory.close()
        return 2
    try:
        running.program.run(stop)
    finally:
        running.close()
        factory.close()
    return 0
