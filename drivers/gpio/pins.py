"""Which pin factory drives the GPIO: named on the command line, made here, passed to every device.

gpiozero falls back through lgpio, RPi.GPIO, pigpio and its native driver when a device is made
without a factory, and on a machine with no Pi it fails only at the first device, with a chain of
warnings. Programs here name the factory instead and get one sentence when it cannot work, before
anything else starts. On Raspberry Pi OS Bookworm (Pi 4 and Pi 5) the factory is `lgpio`; `mock`
is gpiozero's `MockFactory`, the pins of simulators and tests.
"""

from __future__ import annotations

import os
from importlib.metadata import entry_points

from gpiozero.pins import Factory

FACTORIES = ("lgpio", "rpigpio", "pigpio", "native", "mock")
DEFAULT = "lgpio"


class GpioUnavailable(RuntimeError):
    """The named pin factory cannot drive pins on this machine; the message says which and why."""


def pin_factory(name: str | None = None) -> Factory:
    """A new pin factory: `name`, else GPIOZERO_PIN_FACTORY, else lgpio. Raises GpioUnavailable."""
    name = (name or os.environ.get("GPIOZERO_PIN_FACTORY", "").strip() or DEFAULT).lower()
    if name not in FACTORIES:
        raise GpioUnavailable(f"there is no pin factory {name!r}; choose one of {', '.join(FACTORIES)}")
    found = [e for e in entry_points(group="gpiozero_pin_factories") if e.name == name]
    if not found:
        raise GpioUnavailable(f"gpiozero has no {name} pin factory installed")
    try:
        return found[0].load()()
    except Exception as e:  # noqa: BLE001 - ImportError, PinUnknownPi, OSError...: all say "not here"
        raise GpioUnavailable(
            f"the {name} pin factory cannot be used on this machine ({type(e).__name__}: {e}); "
            "without GPIO hardware run the simulator (hall sim evaluator) or --pins mock"
        ) from None
