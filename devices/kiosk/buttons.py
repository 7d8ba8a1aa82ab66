"""The kiosk's GPIO buttons: one per service and a priority button, from its entry in the hall file.

    [[kiosks]]
    id = "K1"
    services = ["social", "property", "fund", "tax", "business"]
    buttons = { social = 17, property = 27, fund = 22, tax = 23, business = 24 }   # BCM pins
    priority_button = 25        # optional: staff press it, then the citizen's service button

Each button is wired between its GPIO and ground (the Pi's internal pull-up; a press pulls the pin
low). The buttons are `drivers.gpio.ButtonPanel`: gpiozero's callbacks only put a `Press` (keyed
by service id, or "priority") on the program's queue, stamped with the program's clock; all the
work happens on the program's thread. The pin factory is passed in: lgpio on a Pi, gpiozero's
mock factory in the simulator and the tests, where `KioskFinger` presses the mock pins.

`key_for` reads what a technician types (`hall sim press K1 A`): a service's ticket prefix, its
id, or "priority" (also "P").
"""

from __future__ import annotations

import time
from collections.abc import Callable

from gpiozero.pins import Factory

from devices.kiosk.machine import PRIORITY
from drivers.gpio import ButtonPanel, PanelTwin
from drivers.gpio.keypad import Inbox
from hall.config import Hall, Kiosk


class UnknownKey(ValueError):
    """A key that names no service of this kiosk and is not the priority button."""


def key_for(hall: Hall, kiosk: Kiosk, text: str) -> str:
    """The button key (a service id or "priority") for a service prefix, a service id or priority."""
    word = text.strip()
    if word.lower() in (PRIORITY, "p") and not any(hall.services[s].prefix == "P" for s in kiosk.services):
        return PRIORITY
    for service in kiosk.services:
        if word == service or word.upper() == hall.services[service].prefix:
            return service
    choices = ", ".join(f"{hall.services[s].prefix} ({s})" for s in kiosk.services)
    raise UnknownKey(f"kiosk {kiosk.id} has no button {text!r}; choose one of {choices} or priority")


def button_pins(kiosk: Kiosk) -> dict[str, int]:
    """Key -> BCM pin for every button the hall file gives this kiosk."""
    pins = dict(kiosk.button_pins)
    if kiosk.priority_pin is not None:
        pins[PRIORITY] = kiosk.priority_pin
    return pins


class KioskButtons:
    """The kiosk's buttons on `factory`; close them when done (the pins stay claimed otherwise)."""

    def __init__(
        self, kiosk: Kiosk, inbox: Inbox, *, factory: Factory, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.kiosk = kiosk
        self.pins = button_pins(kiosk)
        self.factory = factory
        self.panel = ButtonPanel(self.pins, inbox, factory=factory, clock=clock)

    def close(self) -> None:
        self.panel.close()

    def __enter__(self) -> KioskButtons:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class KioskFinger:
    """The simulated twin's finger: presses a kiosk's buttons on gpiozero's mock pins."""

    def __init__(self, buttons: KioskButtons) -> None:
        self.buttons = buttons
        self._twin = PanelTwin(buttons.factory)  # TypeError unless the pins are mock pins

    def has(self, key: str) -> bool:
        return key in self.buttons.pins

    def press(self, key: str) -> None:
        """One firm push (down and up) of the button for `key`; the Press is queued on return."""
        pin = self.buttons.pins.get(key)
        if pin is None:
            raise UnknownKey(f"kiosk {self.buttons.kiosk.id} has no GPIO button for {key!r}")
        self._twin.tap(pin)
