"""Telling systemd how a program is doing (sd_notify), without a library: a few datagrams on the
socket named by NOTIFY_SOCKET. Outside systemd (no NOTIFY_SOCKET) every call does nothing.

    READY=1      the controller has rebuilt its hall and serves (units with Type=notify wait for it)
    WATCHDOG=1   the main loop is alive (WatchdogSec=: silent that long, the unit is restarted)
    STOPPING=1   shutting down on purpose

Why in the loop and not on a thread of its own: a timer thread would keep pinging while the loop
that serves the hall hangs, which is exactly what the watchdog is there to notice.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Mapping


def notify(state: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send `state` to systemd; False if not run by systemd (or the socket is gone)."""
    address = (os.environ if environ is None else environ).get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
    except OSError:
        return False
    return True


class Watchdog:
    """`ping()` from the main loop as often as it likes; WATCHDOG=1 goes out at most twice per
    watchdog interval (WATCHDOG_USEC), and never when the unit has no watchdog."""

    def __init__(self, environ: Mapping[str, str] | None = None, clock: Callable[[], float] = time.monotonic):
        env = os.environ if environ is None else environ
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        mine = not pid or pid == str(os.getpid())
        self.every_s = int(usec) / 2e6 if usec.isdigit() and int(usec) > 0 and mine else None
        self.clock = clock
        self._last = float("-inf")

    def ping(self) -> None:
        if self.every_s is None:
            return
        now = self.clock()
        if now - self._last >= self.every_s:
            self._last = now
            notify("WATCHDOG=1")
