"""`hall sim printer`: a simulated ticket printer a kiosk can print to, for the bench and the demo.

    hall sim printer --out DIR [--tcp PORT] [--serial] [--paper-mm 80|58]

It prints the connector strings to give the kiosk (`hall kiosk --printer …`), writes each
ticket to DIR as ticket-0001.png (what the paper shows) and ticket-0001.bin (the raw bytes),
and runs until Ctrl-C. While it runs, lines typed on standard input change its state, to see
what the kiosk does about it: `paper ok|low|out`, `cover open|closed`, `silent`, `answer`,
`status`. The printer itself is the driver's twin (drivers/printer/twin/); this is only the
program around it.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from drivers.printer.roll import ROLLS
from drivers.printer.twin import PrintedTicket, SerialPrinterPort, SimulatedPrinter, TcpPrinterServer

COMMANDS = "paper ok|low|out, cover open|closed, silent, answer, status"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hall sim printer", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, type=Path, help="directory for ticket-NNNN.png and .bin")
    p.add_argument(
        "--tcp",
        type=int,
        metavar="PORT",
        help="listen on 127.0.0.1:PORT (0: any free port; the default is 9100 when --serial is not given)",
    )
    p.add_argument("--serial", action="store_true", help="also offer a serial port (a pty)")
    p.add_argument("--paper-mm", type=int, choices=tuple(ROLLS), default=80, help="paper width (default 80)")
    return p


def apply_command(printer: SimulatedPrinter, line: str) -> str:
    """Change the printer's state from one typed line; return what to tell the technician."""
    words = line.split()
    match words:
        case ["paper", ("ok" | "low" | "out") as state]:
            printer.set_state(paper=state)
        case ["cover", ("open" | "closed") as state]:
            printer.set_state(cover_open=state == "open")
        case ["silent"]:
            printer.set_state(silent=True)
        case ["answer"]:
            printer.set_state(silent=False)
        case ["status"] | []:
            pass
        case _:
            return f"unknown command {line.strip()!r}; type one of: {COMMANDS}"
    return (
        f"paper {printer.paper}, cover {'open' if printer.cover_open else 'closed'}, "
        f"{'silent' if printer.silent else 'answering'}"
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    port = args.tcp if args.tcp is not None else (None if args.serial else 9100)
    if port is not None and not 0 <= port <= 65535:
        print(f"hall sim printer: --tcp {port} is not a port number (0 to 65535)", file=sys.stderr)
        return 2

    lock = threading.Lock()  # each transport announces tickets from its own thread

    def say(text: str) -> None:
        with lock:
            print(text, flush=True)

    def announce(ticket: PrintedTicket) -> None:
        say(f"ticket-{ticket.number:04d}.png  {len(ticket.raw):,} bytes")

    try:
        printer = SimulatedPrinter(args.paper_mm, out_dir=args.out, on_ticket=announce)
    except OSError as e:
        print(f"hall sim printer: cannot use {args.out} for tickets: {e.strerror}", file=sys.stderr)
        return 2
    transports = []
    try:
        if port is not None:
            try:
                transports.append(TcpPrinterServer(printer, port))
            except OSError as e:
                print(
                    f"hall sim printer: cannot listen on 127.0.0.1:{port}: {e.strerror}; "
                    "choose another port with --tcp PORT",
                    file=sys.stderr,
                )
                return 2
        if args.serial:
            transports.append(SerialPrinterPort(printer))
        say(f"simulated {args.paper_mm} mm printer; tickets go to {args.out}")
        for t in transports:
            say(f"  kiosk connector: {t.connector}")
        say(f"type {COMMANDS}; Ctrl-C stops")
        try:
            for line in sys.stdin:
                say(apply_command(printer, line))
            threading.Event().wait()  # stdin closed (run in the background): serve until Ctrl-C
        except KeyboardInterrupt:
            pass
        return 0
    finally:
        for t in transports:
            t.close()
