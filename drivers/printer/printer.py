"""The kiosk's ticket printer: ask first, then print the whole ticket and cut.

One class for every printer; what differs (USB, serial, TCP, file, the simulator) is the link
given to it. Before every ticket it asks the printer about itself with a short timeout, and a
printer that does not answer is offline, never "fine": the kiosk then issues nothing it cannot
print. Use it as a context manager so the wire is closed when the kiosk stops. One lock keeps
a status question from another thread out of the middle of a ticket's bytes.
"""

from __future__ import annotations

import threading

from PIL import Image

from .commands import ticket_bytes
from .connector import parse_connector
from .errors import CoverOpen, PaperOut, PrinterOffline
from .links import Link, PrinterSimulator, link_for
from .roll import Roll, roll_for
from .status import ASK_OFFLINE_CAUSE, ASK_PAPER, ASK_PRINTER, CANNOT_ASK, SILENT, PrinterStatus, decode, is_answer


class TicketPrinter:
    def __init__(self, link: Link, roll: Roll, *, status_timeout: float = 0.3, image_impl: str = "bitImageRaster"):
        self.link = link
        self.roll = roll
        self.status_timeout = status_timeout
        self.image_impl = image_impl
        self._lock = threading.RLock()

    def __enter__(self) -> TicketPrinter:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<TicketPrinter {self.link.name} {self.roll.mm} mm>"

    @property
    def name(self) -> str:
        return self.link.name

    def close(self) -> None:
        with self._lock:
            self.link.close()

    def status(self) -> PrinterStatus:
        """Ask DLE EOT 1, 2 and 4. Never raises: an unreachable or silent printer is offline."""
        if not self.link.can_ask:
            return CANNOT_ASK
        with self._lock:
            return self._ask_status()

    def _ask_status(self) -> PrinterStatus:
        try:
            printer = self.link.ask(ASK_PRINTER, self.status_timeout)
            if not is_answer(printer):
                return SILENT  # one timeout is enough to know it is silent; do not ask twice more
            cause = self.link.ask(ASK_OFFLINE_CAUSE, self.status_timeout)
            paper = self.link.ask(ASK_PAPER, self.status_timeout)
        except PrinterOffline:
            return SILENT
        return decode(printer, cause, paper)

    def told(self) -> bool:
        """Whether the printer has said by itself that its state changed (paper, cover, online)
        since the last look: then ask `status()` now. Never waits; False for a file: printer."""
        with self._lock:
            return self.link.told()

    def check(self) -> PrinterStatus:
        """The status, if a ticket can be printed now; else CoverOpen, PaperOut or PrinterOffline."""
        with self._lock:
            if self.link.can_ask:
                self.link.open()  # PrinterOffline saying why, if the wire cannot be opened
            status = self.status()
        if status.cover_open:
            raise CoverOpen(f"the printer at {self.name} says its cover is open")
        if status.paper == "out":
            raise PaperOut(f"the printer at {self.name} is out of paper")
        if status is SILENT:  # the very object: a printer that answered "offline" is another case
            raise PrinterOffline(f"the printer at {self.name} does not answer (waited {self.status_timeout:g} s)")
        if status.online is False:
            raise PrinterOffline(f"the printer at {self.name} says it is offline")
        return status

    def print_ticket(self, ticket: Image.Image | bytes) -> int:
        """Print a rendered ticket image or text-mode bytes, then cut; return the bytes sent.

        Makes the bytes first (a bad ticket raises ValueError and nothing is sent), then checks
        the printer (CoverOpen, PaperOut, PrinterOffline: nothing is sent), then sends.
        """
        data = ticket_bytes(ticket, self.roll, impl=self.image_impl)
        with self._lock:
            self.check()
            self.link.send(data)
        return len(data)


def open_printer(
    connector: str, paper_mm: int = 80, *, simulator: PrinterSimulator | None = None, status_timeout: float = 0.3
) -> TicketPrinter:
    """The printer a connector string names (BadConnector if it does not parse, DriverMissing if
    this machine lacks the library its link needs).

    Nothing is opened yet; the wire opens at the first status question or ticket.
    """
    parsed = parse_connector(connector)
    roll = roll_for(paper_mm)
    link = link_for(parsed, status_timeout=status_timeout, simulator=simulator, paper_mm=paper_mm)
    return TicketPrinter(link, roll, status_timeout=status_timeout)
