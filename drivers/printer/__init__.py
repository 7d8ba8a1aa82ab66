"""The kiosk's ESC/POS ticket printer, over python-escpos, behind one interface.

    with open_printer("tcp:192.168.1.50", paper_mm=80) as printer:
        printer.check()                 # PrinterStatus, or PaperOut / CoverOpen / PrinterOffline
        printer.print_ticket(image)     # a rendered ticket (PIL image) or text-mode bytes; cuts

Connectors: usb:VID:PID, serial:/dev/…[@baud[,handshake]], tcp:host[:port], file:PATH, sim
(see connector.py). twin/ is a printer in software, for `sim`, `hall sim printer` and the tests.
docs/printer.md is the technician's guide.
"""

from .commands import ticket_bytes
from .connector import Connector, parse_connector
from .errors import BadConnector, CoverOpen, DriverMissing, PaperOut, PrinterError, PrinterOffline
from .links import Link, PrinterSimulator
from .printer import TicketPrinter, open_printer
from .roll import ROLLS, Roll, roll_for
from .status import Paper, PrinterStatus

__all__ = [
    "BadConnector",
    "Connector",
    "CoverOpen",
    "DriverMissing",
    "Link",
    "PaperOut",
    "Paper",
    "PrinterError",
    "PrinterOffline",
    "PrinterSimulator",
    "PrinterStatus",
    "ROLLS",
    "Roll",
    "TicketPrinter",
    "open_printer",
    "parse_connector",
    "roll_for",
    "ticket_bytes",
]
