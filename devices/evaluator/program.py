"""The evaluator program: its state machine, its panel and voice, and one DeviceLink.

Everything the program reacts to arrives on one queue, in order: presses from the buttons (put by
gpiozero's threads) and messages from the link (put by paho's thread, stamped with their arrival
time). One thread takes them, feeds the machine, and carries out what it says: LEDs, sounds, and
`rating.submit` through the link's outbox, so a rating given while the broker or the controller is
away is delivered later, exactly once, tied to its prompt.

`step(timeout)` handles one item (or the passing of time) and returns; `run(stop)` loops over it
(both from `devices.stepping.StepLoop`).
Tests call `step` themselves, on their thread, with a fake clock.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devices.evaluator.machine import (
    LEVEL_NAMES,
    Ask,
    Effect,
    Ended,
    EvaluatorMachine,
    Ignored,
    Lights,
    Prompt,
    Submit,
    Thank,
)
from devices.evaluator.panel import EvaluatorPanel
from devices.evaluator.voice import EvaluatorVoice
from devices.link import DeviceLink, Received
from devices.stepping import StepLoop
from drivers.gpio import Checkpoint, Debouncer, Held, Press, Released
from hall.config import Evaluator
from protocol import messages
from protocol.envelope import Message, ProtocolError, format_epoch, parse_ts
from protocol.topics import Kind

log = logging.getLogger("hall.evaluator")

DOUBLE_PRESS_S = 0.5  # the same button again within this time is the same press


@dataclass(frozen=True)
class Arrival:
    """A message from the link and the device time it arrived."""

    at: float
    received: Received


class StampedInbox:
    """The link's inbox: stamps each message with its arrival time and puts it on the program's queue."""

    def __init__(self, target: queue.Queue, clock: Callable[[], float]) -> None:
        self.target, self.clock = target, clock

    def put(self, item: Received) -> None:
        self.target.put(Arrival(self.clock(), item))


class EvaluatorProgram(StepLoop):
    def __init__(
        self,
        evaluator: Evaluator,
        link: DeviceLink,
        panel: EvaluatorPanel,
        voice: EvaluatorVoice,
        inbox: queue.Queue,
        *,
        clock: Callable[[], float] = time.monotonic,
        machine: EvaluatorMachine | None = None,
        double_press_s: float = DOUBLE_PRESS_S,
    ) -> None:
        super().__init__(inbox)
        self.evaluator = evaluator
        self.link, self.panel, self.voice, self.clock = link, panel, voice, clock
        self.machine = machine or EvaluatorMachine()
        self.debouncer = Debouncer(double_press_s)
        self.log: list[str] = []  # what happened, in words (the simulator shows the last lines)
        self._shown: Lights | None = None
        self._stuck: set[str] = set()
        self._show()

    # -- the loop (StepLoop's step, run, wait_for) --------------------------------------------------

    def _wait_s(self, timeout: float) -> float:
        wake = self.machine.next_wake()
        if wake is not None:
            timeout = max(0.0, min(timeout, wake - self.clock()))
        return timeout

    def _settle(self) -> None:
        self._carry_out(self.machine.tick(self.clock()))
        self._show()

    # -- items -------------------------------------------------------------------------------------

    def _take(self, item: Any) -> None:
        if isinstance(item, Press):
            if not self.debouncer.accept(item):
                self._say(f"button {self._name(item.key)}: pressed again at once, counted once")
                return
            self._carry_out(self.machine.pressed(int(item.key), item.at))
        elif isinstance(item, Held):
            self._stuck.add(item.key)
            self._say(f"button {self._name(item.key)} is held down")
            self.link.update_state(fault=f"button {item.key} ({LEVEL_NAMES[int(item.key)].en}) held down")
        elif isinstance(item, Released):
            if item.key in self._stuck:
                self._stuck.discard(item.key)
                if not self._stuck:
                    self.link.update_state(fault=None)
        elif isinstance(item, Arrival):
            self._message(item.received, item.at)
        elif isinstance(item, Checkpoint):
            item.reached.set()

    def _message(self, received: Received, at: float) -> None:
        message = received.message
        if received.kind is not Kind.DOWN:
            return
        if message.is_reply:
            self._reply(message)
            return
        if message.type not in ("rating.prompt", "rating.cancel"):
            return
        try:
            body = messages.check(message)
        except ProtocolError as e:
            log.warning("%s: a %s it cannot read (%s); ignored", self.evaluator.id, message.type, e.message)
            return
        if message.type == "rating.prompt":
            if body["counter"] != self.evaluator.counter:
                log.warning(
                    "%s: a prompt for counter %s, but this evaluator is at counter %s; ignored",
                    self.evaluator.id,
                    body["counter"],
                    self.evaluator.counter,
                )
                return
            try:
                prompt = Prompt(
                    body["prompt"],
                    body["ticket"],
                    parse_ts(message.ts).timestamp(),
                    parse_ts(body["deadline"]).timestamp(),
                    at,
                )
            except (KeyError, ValueError) as e:
                log.warning("%s: a rating.prompt it cannot read (%s); ignored", self.evaluator.id, e)
                return
            self._carry_out(self.machine.prompted(prompt))
        else:
            self._carry_out(self.machine.cancelled(body["prompt"], body["reason"]))

    def _reply(self, reply: Message) -> None:
        if reply.type != "rating.submit":
            return
        if reply.ok:
            self._say("the controller has the rating")
        else:
            code = reply.error.code if reply.error else "refused"
            text = reply.error.message if reply.error else ""
            self._say(f"the controller did not count the rating: {text} ({code})")

    # -- effects -----------------------------------------------------------------------------------

    def _carry_out(self, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, Ask):
                self._say(f"asking for a rating of {effect.prompt.ticket}")
                self.voice.ask()
            elif isinstance(effect, Submit):
                self.link.send_durable(
                    "rating.submit",
                    {"prompt": effect.prompt, "level": effect.level, "pressed_at": format_epoch(effect.pressed_at)},
                )
                names = LEVEL_NAMES[effect.level]
                self._say(f"rated {effect.level} {names.zh} {names.en}")
            elif isinstance(effect, Thank):
                self.voice.thank()
                self.panel.beeper.beep()
            elif isinstance(effect, Ended):
                self._say(f"no rating: the request ended ({effect.reason})")
            elif isinstance(effect, Ignored):
                self._say(f"button {self._name(str(effect.level))} ignored: {effect.reason}")

    def _show(self) -> None:
        lights = self.machine.lights
        if lights != self._shown:
            self.panel.show(lights)
            self._shown = lights

    def _say(self, text: str) -> None:
        log.info("%s: %s", self.evaluator.id, text)
        self.log = (self.log + [text])[-50:]

    @staticmethod
    def _name(key: str) -> str:
        return f"{key} {LEVEL_NAMES[int(key)].zh}"
