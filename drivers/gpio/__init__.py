"""GPIO at a counter: buttons that put presses on a queue, LEDs, a buzzer, and their twins on mock pins.

Every device here is a gpiozero device made with an explicit pin factory (`pin_factory("lgpio")`
on a Pi, `pin_factory("mock")` in simulators and tests), never gpiozero's class-level default.

- `ButtonPanel(pins, inbox, factory=…)`: one `Button` per key; each press, long hold and release
  becomes a `Press`, `Held` or `Released` on `inbox` and nothing more happens on gpiozero's thread.
- `Debouncer`: "pressed twice quickly counts once", on the press times (gpiozero's MockPin ignores
  `bounce_time`, and a person pressing firmly or twice is not contact bounce anyway).
- `LedPanel(pins, factory=…)`: LEDs by key, shown as a whole (`show(on=…, blinking=…)`).
- `Beeper(pin, factory=…)`: a buzzer's short beeps (no pin: silent).
- `PanelTwin(factory)`: for the mock factory only: press and release buttons, read LEDs.
"""

from drivers.gpio.keypad import ButtonPanel, Checkpoint, Debouncer, Held, Press, Released
from drivers.gpio.lights import Beeper, LedPanel
from drivers.gpio.pins import FACTORIES, GpioUnavailable, pin_factory
from drivers.gpio.twin import PanelTwin

__all__ = [
    "Beeper",
    "ButtonPanel",
    "Checkpoint",
    "Debouncer",
    "FACTORIES",
    "GpioUnavailable",
    "Held",
    "LedPanel",
    "PanelTwin",
    "Press",
    "Released",
    "pin_factory",
]
