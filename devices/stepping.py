"""Driving a device program from outside its own loop (tests, simulators, scripts).

Every device program has `step(timeout)`: take one item from its inbox (or wait that long), deal
with it, redraw. `step_until` is the one way to run steps until something has happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def step_until(step: Callable[[float], object], done: Callable[[], bool], timeout: float) -> bool:
    """Step until `done()` or `timeout` (real seconds) passes; False on timeout."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            return False
        step(0.05)
    return True
