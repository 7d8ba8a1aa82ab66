"""The twin's state: bytes in, status answers out, tickets kept (and written as .bin and .png).

A ticket is the bytes between two cuts (GS V); status questions (DLE EOT 1/2/4) are answered from
the settable state (paper ok/low/out, cover open, or silent: no answer, like a printer that is off
or on the wrong wire) and are not part of a ticket; GS a turns on Automatic Status Back, after
which each change of state is told unasked. Transports (server.py, or the in-process `sim` link)
only pump bytes in and out of `receive`.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from PIL import Image

from drivers.printer.roll import roll_for
from drivers.printer.status import encode as status_bytes
from drivers.printer.status import status_back

from .decoder import command_at
from .paper import Paper, paper_from_bytes


@dataclass
class PrintedTicket:
    """One cut ticket: its number (ticket-0001 …), the bytes between the cuts, and the paper they show."""

    number: int
    raw: bytes
    width: int

    @cached_property
    def paper(self) -> Paper:
        return paper_from_bytes(self.raw, self.width)

    @cached_property
    def image(self) -> Image.Image:
        return self.paper.image()


class SimulatedPrinter:
    """The printer's state machine: bytes in, status answers out, tickets kept. Thread-safe."""

    def __init__(
        self,
        paper_mm: int = 80,
        *,
        out_dir: str | os.PathLike | None = None,
        on_ticket: Callable[[PrintedTicket], None] | None = None,
        keep: int = 100,
    ):
        """`keep`: how many of the latest tickets stay in `tickets` (a demo kiosk prints all day)."""
        self.paper_mm = paper_mm
        self.width = roll_for(paper_mm).dots  # ValueError for a width no kiosk roll has
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.on_ticket = on_ticket
        self.paper = "ok"
        self.cover_open = False
        self.silent = False
        self.tickets: list[PrintedTicket] = []
        self.keep = keep
        self.printed = 0  # tickets cut since the start
        self.questions = 0  # status questions received (answered or not)
        self._buffer = bytearray()
        self._ticket = bytearray()
        self._lock = threading.Lock()
        self._delivered = threading.Condition()
        self._delivered_count = 0
        self._first_number = 1
        self.status_back = False  # GS a n received: say every change of state unasked
        self._unasked = bytearray()
        self._listeners: list[Callable[[], None]] = []
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            taken = [
                int(m.group(1)) for p in self.out_dir.iterdir() if (m := re.fullmatch(r"ticket-(\d+)\.bin", p.name))
            ]
            self._first_number = max(taken, default=0) + 1

    def set_state(
        self, *, paper: str | None = None, cover_open: bool | None = None, silent: bool | None = None
    ) -> None:
        """Change the printer's state; with Automatic Status Back on, it then says so unasked."""
        with self._lock:
            before = (self.paper, self.cover_open, self.silent)
            if paper is not None:
                if paper not in ("ok", "low", "out"):
                    raise ValueError(f"paper state {paper!r} is not one of ok, low, out")
                self.paper = paper
            if cover_open is not None:
                self.cover_open = cover_open
            if silent is not None:
                self.silent = silent
            told = self.status_back and not self.silent and before != (self.paper, self.cover_open, self.silent)
            if told:
                self._unasked.extend(status_back(online=True, paper=self.paper, cover_open=self.cover_open))
        if told:
            for listener in list(self._listeners):
                listener()

    def on_unasked(self, listener: Callable[[], None]) -> None:
        """Call `listener` (on the thread that changed the state) when there are unasked bytes."""
        self._listeners.append(listener)

    def take_unasked(self) -> bytes:
        """What the printer has sent by itself (Automatic Status Back) since the last take."""
        with self._lock:
            told, self._unasked = bytes(self._unasked), bytearray()
            return told

    @property
    def pending(self) -> bytes:
        """Bytes received since the last cut (an unfinished ticket)."""
        with self._lock:
            return bytes(self._ticket + self._buffer)

    def receive(self, data: bytes) -> bytes:
        """Take bytes as the printer would; return its answers to status questions."""
        finished: list[PrintedTicket] = []
        reply = bytearray()
        with self._lock:
            self._buffer.extend(data)
            i = 0
            while i < len(self._buffer):
                found = command_at(self._buffer, i)
                if found is None:
                    break
                cmd, end = found
                if cmd.name == "DLE EOT":
                    self.questions += 1
                    if not self.silent:
                        answers = status_bytes(online=True, paper=self.paper, cover_open=self.cover_open)
                        reply.append(answers.get(cmd.args[0], 0x12))
                elif cmd.name == "GS a":  # a setting of the printer, not part of a ticket
                    self.status_back = bool(cmd.args[0] & 0x0E)
                    if self.status_back and not self.silent:  # the first status, sent at once
                        self._unasked.extend(status_back(online=True, paper=self.paper, cover_open=self.cover_open))
                else:
                    self._ticket.extend(self._buffer[i:end])
                if cmd.name == "GS V":
                    ticket = PrintedTicket(self._first_number + self.printed, bytes(self._ticket), self.width)
                    self.printed += 1
                    self.tickets = [*self.tickets[-(self.keep - 1) :], ticket] if self.keep > 1 else [ticket]
                    finished.append(ticket)
                    self._ticket.clear()
                i = end
            del self._buffer[:i]
        for ticket in finished:
            self._deliver(ticket)
        return bytes(reply)

    def _deliver(self, ticket: PrintedTicket) -> None:
        if self.out_dir is not None:
            stem = self.out_dir / f"ticket-{ticket.number:04d}"
            _write_atomically(stem.with_suffix(".bin"), ticket.raw)
            tmp = stem.with_suffix(".png.tmp")
            ticket.image.save(tmp, format="PNG")
            os.replace(tmp, stem.with_suffix(".png"))
        if self.on_ticket is not None:
            self.on_ticket(ticket)
        with self._delivered:
            self._delivered_count += 1
            self._delivered.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[PrintedTicket]:
        """The tickets, once `count` of them have been cut and written (bytes over TCP or a pty
        arrive on the simulator's own thread, after the kiosk's send has returned)."""
        with self._delivered:
            if not self._delivered.wait_for(lambda: self._delivered_count >= count, timeout):
                raise TimeoutError(f"the simulated printer has {self._delivered_count} tickets, not {count}")
        with self._lock:
            return list(self.tickets)


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
