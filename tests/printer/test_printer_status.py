"""Before printing: paper, cover and online, with a short timeout. A printer in trouble gets no
bytes; one that does not answer is offline (never "fine"); one that comes back prints again."""

from __future__ import annotations

import socket
import time

import pytest

from devices.kiosk.ticket import render_ticket
from drivers.printer import CoverOpen, PaperOut, PrinterOffline, PrinterStatus, open_printer
from drivers.printer.status import SILENT
from drivers.printer.twin import SimulatedPrinter, TcpPrinterServer

KINDS = ["tcp", "serial", "sim"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_healthy_printer_reports_ok(printer_on, kind):
    printer, _ = printer_on(kind)
    with printer:
        assert printer.status() == PrinterStatus(online=True, paper="ok", cover_open=False)


@pytest.mark.parametrize("kind", KINDS)
def test_paper_low_is_reported_and_still_prints(printer_on, make_face, kind):
    printer, sim = printer_on(kind)
    sim.set_state(paper="low")
    with printer:
        assert printer.check().paper == "low"
        printer.print_ticket(render_ticket(make_face(), 80))
    assert len(sim.wait_for(1)) == 1


def settled(printer, sim) -> None:
    """A status round trip: the simulator answers in order, so every byte sent before is in."""
    sim.set_state(paper="ok", cover_open=False, silent=False)
    assert printer.status().online


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("state, error, words", [
    (dict(paper="out"), PaperOut, "out of paper"),
    (dict(cover_open=True), CoverOpen, "cover is open"),
    (dict(paper="out", cover_open=True), CoverOpen, "cover is open"),
])
def test_paper_out_or_cover_open_prints_nothing(printer_on, make_face, kind, state, error, words):
    printer, sim = printer_on(kind)
    sim.set_state(**state)
    with printer:
        with pytest.raises(error, match=words):
            printer.print_ticket(render_ticket(make_face(), 80))
        settled(printer, sim)
    assert sim.questions >= 1  # it asked …
    assert sim.tickets == [] and sim.pending == b""  # … and sent nothing to print


@pytest.mark.parametrize("kind", KINDS)
def test_a_silent_printer_is_offline_after_one_short_wait(printer_on, make_face, kind):
    printer, sim = printer_on(kind, status_timeout=0.2)
    sim.set_state(silent=True)
    with printer:
        started = time.perf_counter()
        status = printer.status()
        waited = time.perf_counter() - started
        with pytest.raises(PrinterOffline, match="does not answer"):
            printer.print_ticket(render_ticket(make_face(), 80))
        assert sim.questions == 2  # one question per attempt: no waiting three timeouts
        settled(printer, sim)
    assert status == SILENT and status.online is False and status.paper == "unknown"
    assert sim.tickets == [] and sim.pending == b""
    print(f"{kind}: silent printer status took {waited * 1000:.0f} ms (timeout 200 ms)")


@pytest.mark.parametrize("kind", KINDS)
def test_a_printer_that_answers_again_prints_again(printer_on, make_face, kind):
    printer, sim = printer_on(kind, status_timeout=0.2)
    image = render_ticket(make_face(), 80)
    with printer:
        sim.set_state(silent=True)
        with pytest.raises(PrinterOffline):
            printer.print_ticket(image)
        sim.set_state(silent=False)
        printer.print_ticket(image)
    assert len(sim.wait_for(1)) == 1


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


@pytest.mark.parametrize("kind", ["sim", "tcp", "serial"])
def test_a_printer_tells_of_a_change_by_itself(printer_on, kind):
    """Automatic Status Back: turned on when the wire opens; the printer then says each change of
    paper or cover unasked, and `told()` sees it without waiting (no status question asked)."""
    printer, sim = printer_on(kind)
    assert printer.status().paper == "ok"
    assert sim.status_back
    deadline = time.monotonic() + 5
    while printer.told() and time.monotonic() < deadline:  # the first status, sent when turned on
        time.sleep(0.01)
    assert not printer.told()
    asked = sim.questions
    sim.set_state(paper="out")
    assert _poll(printer.told), "the change was not told"
    assert sim.questions == asked
    assert printer.status().paper == "out"
    sim.set_state(cover_open=True)
    assert _poll(printer.told)
    status = printer.status()  # what was told in between questions is skipped, not taken as an answer
    assert status.cover_open is True and status.paper == "out"
    assert not printer.told()


def test_a_file_printer_never_tells(tmp_path):
    with open_printer(f"file:{tmp_path / 'lp0'}", 80) as printer:
        printer.print_ticket(b"\x1b@hello\n\x1dV\x00")
        assert not printer.told()
        assert (tmp_path / "lp0").read_bytes().startswith(b"\x1b@")  # no GS a to a write-only file


def _poll(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False
