"""The evaluator's hardware, from its entry in the hall file: four buttons, four LEDs, a buzzer.

    [[evaluators]]
    id = "E3"
    counter = 3
    buttons = [5, 6, 13, 19]   # BCM pins of 非常满意, 满意, 一般, 不满意 (levels 4, 3, 2, 1)
    leds = [12, 16, 20, 21]    # the LED in (or above) each button, same order
    buzzer = 26                # optional active buzzer

Keys are the levels as text ("4" … "1"). The pin factory is passed in: lgpio on the Pi, the mock
factory in the simulator and the tests (where `SIMULATED_PINS` stands in for a hall file that names
no pins).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from gpiozero.pins import Factory

from devices.evaluator.machine import LEVELS, Lights
from drivers.gpio import Beeper, ButtonPanel, LedPanel
from drivers.gpio.keypad import Inbox
from hall.config import Evaluator

SIMULATED_PINS = {"buttons": (5, 6, 13, 19), "leds": (12, 16, 20, 21), "buzzer": 26}


class NoPins(ValueError):
    """The hall file gives this evaluator no button pins, so it cannot run on real GPIO."""


class EvaluatorPanel:
    def __init__(
        self,
        evaluator: Evaluator,
        inbox: Inbox,
        *,
        factory: Factory,
        clock: Callable[[], float] = time.monotonic,
        simulated: bool = False,
    ) -> None:
        buttons, leds, buzzer = evaluator.button_pins, evaluator.led_pins, evaluator.buzzer_pin
        if not buttons:
            if not simulated:
                raise NoPins(
                    f"evaluator {evaluator.id} has no `buttons` pins in the hall file "
                    "(four BCM pin numbers: 非常满意, 满意, 一般, 不满意)"
                )
            buttons, leds, buzzer = SIMULATED_PINS["buttons"], SIMULATED_PINS["leds"], SIMULATED_PINS["buzzer"]
        keys = [str(level) for level in LEVELS]
        self.button_pins = dict(zip(keys, buttons))
        self.led_pins = dict(zip(keys, leds))
        self.buzzer_pin = buzzer
        self.buttons = ButtonPanel(self.button_pins, inbox, factory=factory, clock=clock)
        try:
            self.leds = LedPanel(self.led_pins, factory=factory)
            self.beeper = Beeper(buzzer, factory=factory)
        except Exception:
            self.buttons.close()
            if hasattr(self, "leds"):
                self.leds.close()
            raise

    def show(self, lights: Lights) -> None:
        """Show the machine's lights (levels without an LED are left out: LEDs are optional)."""
        self.leds.show(
            on=[str(n) for n in lights.on if str(n) in self.led_pins],
            blinking=[str(n) for n in lights.blinking if str(n) in self.led_pins],
        )

    def close(self) -> None:
        self.buttons.close()
        self.leds.close()
        self.beeper.close()
