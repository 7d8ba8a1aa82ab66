"""LEDs and a buzzer: what a device shows and sounds with GPIO alone.

`LedPanel.show(on=…, blinking=…)` sets the whole panel at once, so a device program says what
the panel should look like (from its state machine) rather than switching single lamps; blinking
runs on gpiozero's own background thread. Wiring: GPIO → 330 Ω resistor → LED → ground (lit when
the pin is high). `Beeper` drives an active buzzer (through a transistor for anything louder than
a few mA) with short beeps in the background; with no pin it stays silent, so a device without a
buzzer needs no special case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from gpiozero import LED, Buzzer
from gpiozero.exc import GPIOZeroError
from gpiozero.pins import Factory

from drivers.gpio.pins import GpioUnavailable


class LedPanel:
    def __init__(self, pins: Mapping[str, int], *, factory: Factory, blink_s: tuple[float, float] = (0.4, 0.4)) -> None:
        self.pins = dict(pins)
        self.blink_s = blink_s
        self.leds: dict[str, LED] = {}
        self._shown: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
        try:
            for key, pin in self.pins.items():
                self.leds[key] = LED(pin, pin_factory=factory)
        except GPIOZeroError as e:
            self.close()
            raise GpioUnavailable(f"cannot use GPIO {pin} for the {key!r} LED: {e}") from None

    def show(self, on: Iterable[str] = (), blinking: Iterable[str] = ()) -> None:
        """Light `on` steadily, blink `blinking` together, switch the rest off."""
        lit, blink = frozenset(on), frozenset(blinking)
        unknown = (lit | blink) - self.leds.keys()
        if unknown:
            raise KeyError(f"no LED for {sorted(unknown)}")
        if lit & blink:
            raise ValueError(f"an LED cannot be on and blinking: {sorted(lit & blink)}")
        for key, led in self.leds.items():
            if key in lit:
                led.on()
            elif key in blink:
                led.blink(on_time=self.blink_s[0], off_time=self.blink_s[1], background=True)
            else:
                led.off()
        self._shown = (lit, blink)

    @property
    def shown(self) -> dict[str, str]:
        """What the panel was last told: key -> "on", "blink" or "off"."""
        lit, blink = self._shown
        return {key: "on" if key in lit else "blink" if key in blink else "off" for key in self.leds}

    def close(self) -> None:
        for led in self.leds.values():
            led.close()
        self.leds.clear()


class Beeper:
    def __init__(self, pin: int | None, *, factory: Factory) -> None:
        self.pin = pin
        self.beeps = 0
        self._buzzer: Buzzer | None = None
        if pin is not None:
            try:
                self._buzzer = Buzzer(pin, pin_factory=factory)
            except GPIOZeroError as e:
                raise GpioUnavailable(f"cannot use GPIO {pin} for the buzzer: {e}") from None

    def beep(self, times: int = 1, on_s: float = 0.08, off_s: float = 0.08) -> None:
        """Beep `times` short beeps in the background (no buzzer: nothing)."""
        self.beeps += times
        if self._buzzer is not None:
            self._buzzer.beep(on_time=on_s, off_time=off_s, n=times, background=True)

    def close(self) -> None:
        if self._buzzer is not None:
            self._buzzer.close()
            self._buzzer = None
