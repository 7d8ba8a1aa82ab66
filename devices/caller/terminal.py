"""The clerk's PC as a keypad and a screen: keys from the keyboard, the screen drawn in the terminal.

On a terminal (a TTY) the keyboard is read one key at a time (cbreak mode: no Enter needed, Ctrl-C
still stops the program) and each key becomes a `Press` on the program's queue, like a button
would; the letters are in `keys`. `q` quits. Escape sequences (arrow and function keys) are
swallowed whole, so an arrow key never types letters.

When standard input is not a terminal (a pipe, a script), it is read line by line and each line
is a list of key names separated by spaces (`open S 0 0 5 enter`, `call`), the same names
`hall sim press` takes; given `paced`, each key is pressed through it (at a clerk's pace, each
handled before the next); the end of input quits.

The screen is redrawn in place on a terminal (ANSI: home, clear, coloured lines); otherwise each
changed screen is printed as a block, so a log shows every state the clerk saw.
"""

from __future__ import annotations

import os
import select
import sys
import termios
import threading
import time
import tty
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from devices.caller.keys import UnknownKey, from_keyboard, key_name
from devices.caller.screen import Line
from drivers.gpio import Press
from drivers.gpio.keypad import Inbox

ANSI = {
    "title": "1",
    "ticket": "1;33",
    "info": "36",
    "ok": "32",
    "refused": "1;31",
    "error": "31",
    "hint": "33",
    "mode": "1",
    "keys": "2",
}
QUIT_KEY = "q"


@dataclass(frozen=True)
class Quit:
    """The person at the keyboard asked to stop (q, or the end of scripted input)."""


class KeyboardKeys:
    """Reads keys on a thread of its own and puts a `Press` (or `Quit`) on `inbox` for each.
    `keymap` turns a typed character into a key name (None: not a key)."""

    def __init__(
        self,
        inbox: Inbox,
        *,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        keymap: Callable[[str], str | None] = from_keyboard,
        names: Callable[[str], str] = key_name,
        paced: Callable[[str], object] | None = None,
    ) -> None:
        self.inbox, self.clock, self.keymap, self.names = inbox, clock, keymap, names
        self.paced = paced
        self.stream = stream or sys.stdin
        self.interactive = self.stream.isatty()
        self._saved = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="keyboard", daemon=True)

    def start(self) -> KeyboardKeys:
        if self.interactive:
            fd = self.stream.fileno()
            self._saved = termios.tcgetattr(fd)
            tty.setcbreak(fd)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self.interactive:
            self._thread.join(1.0)
        if self._saved is not None:
            termios.tcsetattr(self.stream.fileno(), termios.TCSADRAIN, self._saved)
            self._saved = None

    def _read(self) -> None:
        if self.interactive:
            self._read_keys()
        else:
            self._read_lines()
        self.inbox.put(Quit())

    def _read_keys(self) -> None:
        fd = self.stream.fileno()
        try:
            while not self._stop.is_set():
                char = self._next_char(fd, 0.2)
                if char is None:
                    continue
                if not char or char == QUIT_KEY:
                    return
                if char == "\x1b" and self._skip_escape(fd):
                    continue  # an arrow or function key: not a key of ours
                name = self.keymap(char)
                if name is not None:
                    self.inbox.put(Press(name, self.clock()))
        except OSError:
            return  # the terminal went away

    @staticmethod
    def _next_char(fd: int, timeout: float) -> str | None:
        """One typed character, "" at the end of input, None if nothing came within `timeout`."""
        if not select.select([fd], [], [], timeout)[0]:
            return None
        data = os.read(fd, 1)
        while data and data[0] >= 0xC0 and len(data) < 4:  # the rest of a UTF-8 character
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                data += os.read(fd, 1)
        return data.decode("utf-8", errors="ignore") if data else ""

    def _skip_escape(self, fd: int) -> bool:
        """After ESC: swallow a CSI/SS3 sequence (ESC [ … final, ESC O x); False for a lone ESC."""
        first = self._next_char(fd, 0.02)
        if first is None:
            return False  # Escape pressed alone: it is the clear key
        if first in "[O":
            while True:
                char = self._next_char(fd, 0.02)
                if not char or "\x40" <= char <= "\x7e":
                    return True
        return True

    def _read_lines(self) -> None:
        for line in self.stream:
            if self._stop.is_set():
                return
            for word in line.split():
                try:
                    name = self.names(word)
                except UnknownKey as e:
                    print(e, file=sys.stderr)
                    continue
                if self.paced is not None:
                    self.paced(name)  # a script: each key handled before the next, at a clerk's pace
                else:
                    self.inbox.put(Press(name, self.clock()))


class TerminalScreen:
    """Draws lines on `out`: in place with colours on a terminal, as printed blocks otherwise."""

    def __init__(self, out: TextIO | None = None, *, title: str = "") -> None:
        self.out = out or sys.stdout
        self.title = title
        self.interactive = self.out.isatty()
        self._last: list[Line] | None = None

    def show(self, lines: list[Line]) -> None:
        if lines == self._last:
            return
        self._last = list(lines)
        if self.interactive:
            body = "".join(f"\x1b[{ANSI.get(line.style, '0')}m{line.text}\x1b[0m\x1b[K\n" for line in lines)
            self.out.write("\x1b[H\x1b[J" + body)
        else:
            rule = "-" * 44
            self.out.write(f"{rule} {self.title}\n" + "".join(f"{line.text}\n" for line in lines))
        self.out.flush()
