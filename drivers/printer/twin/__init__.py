"""The printer's twin: an ESC/POS ticket printer in software, for the bench, the demo and the tests.

It takes the same bytes a real printer takes, in-process (the `sim` connector), over TCP or over a
serial pty, answers status questions from a state a test or a technician sets, and turns each
ticket's bytes back into the paper a real printer would show. It lives next to the driver because
it is the driver's other half: the contract tests (tests/printer/test_contract.py) hold the real
links and the twin to the same behaviour.

    decoder.py   bytes -> ESC/POS commands (pure)
    paper.py     commands -> the paper, as a 1-bit image (pure)
    device.py    the twin's state: tickets split at the cut, status answers, files written
    server.py    the TCP and pty transports

`hall sim printer` (simulators/printer_cli.py) runs it as a program.
"""

from .decoder import Command, command_at
from .device import PrintedTicket, SimulatedPrinter
from .paper import paper_from_bytes
from .server import SerialPrinterPort, TcpPrinterServer

__all__ = [
    "Command",
    "PrintedTicket",
    "SerialPrinterPort",
    "SimulatedPrinter",
    "TcpPrinterServer",
    "command_at",
    "paper_from_bytes",
]
