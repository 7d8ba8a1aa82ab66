"""What only some links meet: nothing listening, a missing device, a file that cannot be opened,
a printer switched off and on between tickets. Each becomes PrinterOffline, and the next ticket
opens the wire again. (What every link does alike is in test_contract.py.)"""

from __future__ import annotations

import socket

import pytest

from devices.kiosk.ticket import render_ticket
from drivers.printer import PrinterOffline, open_printer
from drivers.printer.status import SILENT
from drivers.printer.twin import SimulatedPrinter, TcpPrinterServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_nothing_listening_is_offline(make_face):
    with open_printer(f"tcp:127.0.0.1:{free_port()}", 80) as printer:
        assert printer.status() == SILENT
        with pytest.raises(PrinterOffline, match="cannot open the printer at tcp:127.0.0.1"):
            printer.print_ticket(render_ticket(make_face(), 80))


def test_a_missing_serial_device_is_offline(tmp_path, make_face):
    with open_printer(f"serial:{tmp_path / 'ttyUSB9'}@115200", 80) as printer:
        assert printer.status() == SILENT
        with pytest.raises(PrinterOffline, match="cannot open"):
            printer.check()


def test_a_file_that_cannot_be_opened_is_offline(tmp_path, make_face):
    with open_printer(f"file:{tmp_path / 'no-such-dir' / 'lp0'}", 80) as printer:
        with pytest.raises(PrinterOffline, match="cannot open"):
            printer.print_ticket(render_ticket(make_face(), 80))


def test_a_printer_restarted_between_tickets_is_reconnected(tmp_path, make_face):
    sim = SimulatedPrinter(80)
    image = render_ticket(make_face(), 80)
    server = TcpPrinterServer(sim)
    port = server.port
    try:
        with open_printer(server.connector, 80) as printer:
            printer.print_ticket(image)
            sim.wait_for(1)  # printed (the bytes had reached it) before it is switched off
            server.close()  # switched off: the kiosk's connection is dead
            with pytest.raises(PrinterOffline):
                printer.print_ticket(image)
            server = TcpPrinterServer(sim, port)  # switched on again, same address
            printer.print_ticket(image)
            sim.wait_for(2)
    finally:
        server.close()
    assert len(sim.tickets) == 2
