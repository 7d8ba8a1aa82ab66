"""What the evaluator does, as a state machine: idle, asking, thanking. Pure; time is passed in.

    idle ──rating.prompt──▶ asking ──press──▶ thanking ──(thanks_s)──▶ idle
                              │ deadline passed, or rating.cancel for this prompt
                              └──────────────────────────────────▶ idle (no rating)

The evaluator is idle until the controller prompts it (a service finished at its counter). While
asking, its LEDs blink and a voice asks for a rating; the first press is the rating: it is sent
(durably) and confirmed with that level's LED lit for `thanks_s` and a beep. Presses while idle or
thanking count for nothing, so a second press, or one pressed "to be sure", is never a second rating.

Times. Press times and the prompt's arrival are on the device's monotonic clock. The prompt carries
the controller's times (`ts`, when it was sent, and `deadline`); the evaluator keeps the prompt's
length (deadline - ts) from the moment it arrived, and reports each press to the controller as
`ts + (press - arrival)`: in the controller's clock, however wrong the device's own clock is. The
controller counts a rating if it was pressed while the prompt was open, however late it arrives.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hall.config import Names

LEVELS = (4, 3, 2, 1)  # the buttons, left to right
LEVEL_NAMES = {
    4: Names("非常满意", "Very satisfied"),
    3: Names("满意", "Satisfied"),
    2: Names("一般", "Average"),
    1: Names("不满意", "Unsatisfied"),
}
THANKS_S = 2.0


class Phase(enum.Enum):
    IDLE = "idle"  #: no prompt: presses count for nothing
    ASKING = "asking"  #: LEDs blink, the first press is the rating
    THANKING = "thanking"  #: the chosen level's LED is lit for a moment


@dataclass(frozen=True)
class Prompt:
    """One rating prompt as the evaluator knows it."""

    id: str
    ticket: str
    sent_at: float  # the controller's time when it sent the prompt (epoch seconds)
    deadline: float  # the controller's time the prompt ends by itself (epoch seconds)
    received_at: float  # the device's monotonic time it arrived

    @property
    def ends_at(self) -> float:
        """The deadline on the device's monotonic clock."""
        return self.received_at + max(0.0, self.deadline - self.sent_at)

    def controller_time(self, at: float) -> float:
        """A device time during this prompt, on the controller's clock."""
        return self.sent_at + (at - self.received_at)


# --- what the machine asks the program to do ------------------------------------------------


@dataclass(frozen=True)
class Ask:
    """Start asking: play the spoken prompt."""

    prompt: Prompt


@dataclass(frozen=True)
class Submit:
    """Send the rating (durably): `pressed_at` is on the controller's clock (epoch seconds)."""

    prompt: str
    level: int
    pressed_at: float


@dataclass(frozen=True)
class Thank:
    """Confirm the press with a beep."""

    level: int


@dataclass(frozen=True)
class Ended:
    """The prompt ended without a rating: `reason` is timeout, next_call, counter_closed, replaced."""

    prompt: str
    reason: str


@dataclass(frozen=True)
class Ignored:
    """A press that counted for nothing, and why (for the log and the simulator)."""

    level: int
    reason: str


Effect = Ask | Submit | Thank | Ended | Ignored  #: what an input may ask of the program, in a list


@dataclass(frozen=True)
class Lights:
    """What the LEDs show: levels lit steadily and levels blinking."""

    on: tuple[int, ...] = ()
    blinking: tuple[int, ...] = ()


DARK = Lights()
ASKING_LIGHTS = Lights(blinking=LEVELS)


class EvaluatorMachine:
    def __init__(self, *, thanks_s: float = THANKS_S) -> None:
        self.thanks_s = thanks_s
        self.phase = Phase.IDLE
        self.prompt: Prompt | None = None
        self.level: int | None = None
        self._thanks_until = 0.0
        self._seen: list[str] = []  # recent prompt ids: a prompt delivered twice is asked once

    @property
    def lights(self) -> Lights:
        if self.phase is Phase.ASKING:
            return ASKING_LIGHTS
        if self.phase is Phase.THANKING and self.level is not None:
            return Lights(on=(self.level,))
        return DARK

    def next_wake(self) -> float | None:
        """The monotonic time `tick` has something to do, if any."""
        if self.phase is Phase.ASKING and self.prompt is not None:
            return self.prompt.ends_at
        if self.phase is Phase.THANKING:
            return self._thanks_until
        return None

    def prompted(self, prompt: Prompt) -> list[Effect]:
        if prompt.id in self._seen:
            return []
        self._seen = (self._seen + [prompt.id])[-16:]
        out: list[Effect] = []
        if self.phase is Phase.ASKING and self.prompt is not None:
            out.append(Ended(self.prompt.id, "replaced"))
        if prompt.ends_at <= prompt.received_at:
            self._idle()
            return out + [Ended(prompt.id, "timeout")]
        self.phase, self.prompt, self.level = Phase.ASKING, prompt, None
        return out + [Ask(prompt)]

    def cancelled(self, prompt_id: str, reason: str) -> list[Effect]:
        """The controller ended the prompt (the clerk called the next ticket, the counter closed…)."""
        if prompt_id not in self._seen:
            self._seen = (self._seen + [prompt_id])[-16:]  # a cancel overtaking its prompt: never ask it
        if self.phase is Phase.ASKING and self.prompt is not None and self.prompt.id == prompt_id:
            self._idle()
            return [Ended(prompt_id, reason)]
        return []

    def pressed(self, level: int, at: float) -> list[Effect]:
        if level not in LEVELS:
            raise ValueError(f"there is no rating level {level!r}")
        if self.phase is Phase.THANKING:
            return [Ignored(level, "already rated")]
        if self.phase is not Phase.ASKING or self.prompt is None:
            return [Ignored(level, "no rating requested")]
        prompt = self.prompt
        if at < prompt.received_at:
            return [Ignored(level, "pressed before the request")]
        if at > prompt.ends_at:
            self._idle()
            return [Ended(prompt.id, "timeout"), Ignored(level, "too late")]
        self.phase, self.level, self._thanks_until = Phase.THANKING, level, at + self.thanks_s
        return [Submit(prompt.id, level, prompt.controller_time(at)), Thank(level)]

    def tick(self, now: float) -> list[Effect]:
        if self.phase is Phase.ASKING and self.prompt is not None and now > self.prompt.ends_at:
            prompt_id = self.prompt.id
            self._idle()
            return [Ended(prompt_id, "timeout")]
        if self.phase is Phase.THANKING and now >= self._thanks_until:
            self._idle()
        return []

    def _idle(self) -> None:
        self.phase, self.prompt, self.level = Phase.IDLE, None, None
