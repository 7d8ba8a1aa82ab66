"""The hands and eyes of a simulator: press buttons and read LEDs on gpiozero's mock pins.

A simulated evaluator runs the same `ButtonPanel` and `LedPanel` as the real one, on a
`MockFactory`; this twin moves those mock pins the way a finger would (a press pulls the pulled-up
pin low, a release lets it go high) and reads what the LEDs show. With the mock factory the button
callbacks run inside `tap`, on the caller's thread, so the press is on the program's queue when
`tap` returns.
"""

from __future__ import annotations

from gpiozero.pins.mock import MockFactory


class PanelTwin:
    def __init__(self, factory: MockFactory) -> None:
        if not isinstance(factory, MockFactory):
            raise TypeError("the panel twin moves mock pins only; make the devices with pin_factory('mock')")
        self.factory = factory

    def press(self, pin: int) -> None:
        self.factory.pin(pin).drive_low()

    def release(self, pin: int) -> None:
        self.factory.pin(pin).drive_high()

    def tap(self, pin: int) -> None:
        """A press and a release: one firm push of a button."""
        self.press(pin)
        self.release(pin)

    def lit(self, pin: int) -> bool:
        """Whether the LED on `pin` is lit at this moment (a blinking LED may be either)."""
        return bool(self.factory.pin(pin).state)
