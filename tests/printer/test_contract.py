"""The printer contract: one suite, run over every way the kiosk reaches a printer.

As gpiozero runs one set of pin tests over every pin backend, each test here runs over each printer
backend the kiosk can be given:

    sim        the printer's twin, in-process (the `sim` connector)
    tcp        python-escpos' Network class, to the twin's TCP server on 127.0.0.1
    serial     python-escpos' Serial class, to the twin's pty
    file       python-escpos' File class, writing a real file the twin reads afterwards
    hardware   a real printer on a bench Pi, when HALL_TEST_PRINTER names it (skipped elsewhere):

    HALL_TEST_PRINTER=usb:0416:5011 HALL_TEST_PAPER_MM=58 .venv/bin/python -m pytest -m hardware tests/printer

A backend that cannot do what a test needs says so, and the test is skipped for it: a file cannot
be asked or tell anything; a real printer's paper and cover are changed by hand
(HALL_TEST_TROUBLE=1, with the cover open or the paper out), and its paper is checked by eye.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from testkit import WAIT_S

from devices.kiosk.ticket import render_ticket, ticket_text
from drivers.printer import (
    CoverOpen,
    PaperOut,
    PrinterOffline,
    PrinterStatus,
    TicketPrinter,
    open_printer,
    roll_for,
    ticket_bytes,
)
from drivers.printer.status import CANNOT_ASK, SILENT, STATUS_BACK
from drivers.printer.twin import SerialPrinterPort, SimulatedPrinter, TcpPrinterServer

HARDWARE = os.environ.get("HALL_TEST_PRINTER", "")
HARDWARE_MM = int(os.environ.get("HALL_TEST_PAPER_MM", "80"))
READY = PrinterStatus(online=True, paper="ok", cover_open=False)


class Backend:
    """One way of reaching a printer, and a look at what reached its paper."""

    def __init__(self, kind: str, tmp_path: Path):
        self.kind = kind
        self.tmp_path = tmp_path
        self.can_ask = not (kind == "file" or kind == "hardware" and HARDWARE.startswith("file:"))
        self.twin: SimulatedPrinter | None = None  # the printer at the far end (None: real hardware)
        self.file: Path | None = None
        self._opened: list = []

    def open(self, paper_mm: int = 80, *, status_timeout: float = 0.3) -> TicketPrinter:
        """A TicketPrinter over this backend; nothing is opened on the wire yet."""
        if self.kind == "hardware":
            if paper_mm != HARDWARE_MM:
                pytest.skip(f"the printer on the bench takes {HARDWARE_MM} mm paper (HALL_TEST_PAPER_MM)")
            printer = open_printer(HARDWARE, paper_mm, status_timeout=status_timeout)
        elif self.kind == "file":
            self.file = self.tmp_path / "lp0"
            printer = open_printer(f"file:{self.file}", paper_mm, status_timeout=status_timeout)
        else:
            self.twin = SimulatedPrinter(paper_mm, out_dir=self.tmp_path / f"paper-{self.kind}")
            if self.kind == "sim":
                printer = open_printer("sim", paper_mm, simulator=self.twin, status_timeout=status_timeout)
            else:
                transport = TcpPrinterServer(self.twin) if self.kind == "tcp" else SerialPrinterPort(self.twin)
                self._opened.append(transport)
                printer = open_printer(transport.connector, paper_mm, status_timeout=status_timeout)
        self._opened.append(printer)
        return printer

    def set_state(self, **state) -> None:
        """Change the far printer's paper, cover or silence (the twin's `set_state`)."""
        if self.kind == "file":
            pytest.skip("a file cannot be asked: it has no paper or cover to report")
        if self.kind == "hardware":
            pytest.skip("a real printer's paper and cover are changed by hand (HALL_TEST_TROUBLE)")
        self.twin.set_state(**state)

    def far_end(self, tickets: int) -> SimulatedPrinter:
        """The twin holding what reached the paper, once `tickets` tickets have been cut: the live
        twin, or for a file a twin that has read the whole file."""
        if self.kind == "hardware":
            pytest.skip("printed on the real printer: check the paper by eye (docs/printer.md)")
        if self.kind == "file":
            reader = SimulatedPrinter(self._paper_mm())
            reader.receive(self.file.read_bytes() if self.file.exists() else b"")
            assert len(reader.tickets) == tickets
            return reader
        self.twin.wait_for(tickets, timeout=WAIT_S)
        return self.twin

    def settled(self, printer: TicketPrinter) -> None:
        """Every byte sent before has reached the twin: it answers in order, so one status round
        trip after setting it ready again is enough (a file has nothing in flight)."""
        if self.twin is not None:
            self.twin.set_state(paper="ok", cover_open=False, silent=False)
            assert printer.status().online

    def _paper_mm(self) -> int:
        return next(p.roll.mm for p in self._opened if isinstance(p, TicketPrinter))

    def close(self) -> None:
        for thing in reversed(self._opened):
            thing.close()


@pytest.fixture(
    params=[
        "sim",
        "tcp",
        "serial",
        "file",
        pytest.param(
            "hardware",
            marks=[
                pytest.mark.hardware,
                pytest.mark.skipif(not HARDWARE, reason="set HALL_TEST_PRINTER to a printer connector"),
            ],
        ),
    ]
)
def backend(request, tmp_path):
    b = Backend(request.param, tmp_path)
    yield b
    b.close()


def assert_paper_shows(paper: Image.Image, ticket: Image.Image) -> None:
    """The top of the paper is the ticket exactly; below it only the blank feed before the cut."""
    assert paper.width == ticket.width
    top = paper.crop((0, 0, ticket.width, ticket.height))
    assert ImageChops.difference(top.convert("L"), ticket.convert("L")).getbbox() is None
    feed = paper.crop((0, ticket.height, paper.width, paper.height))
    assert feed.height > 0 and feed.getextrema() == (255, 255)


def poll(condition, timeout: float = WAIT_S) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


# --- printing ------------------------------------------------------------------------------


@pytest.mark.parametrize("paper_mm", [80, 58])
def test_an_image_ticket_arrives_byte_for_byte_and_shows_the_rendering(backend, make_face, paper_mm):
    printer = backend.open(paper_mm)
    image = render_ticket(make_face(label="T001"), paper_mm)
    with printer:
        sent = printer.print_ticket(image)
    expected = ticket_bytes(image, roll_for(paper_mm))
    assert sent == len(expected)
    far = backend.far_end(1)
    assert [t.raw for t in far.tickets] == [expected] and far.pending == b""
    assert_paper_shows(far.tickets[0].image, image)
    assert far.tickets[0].paper.unknown == []


def test_each_ticket_is_cut_from_the_next(backend, make_face):
    printer = backend.open(80)
    images = [render_ticket(make_face(label=f"B{n:03d}", ahead=n), 80) for n in (1, 2, 3)]
    with printer:
        for image in images:
            printer.print_ticket(image)
    far = backend.far_end(3)
    assert len(far.tickets) == 3 and far.pending == b""
    for ticket, image in zip(far.tickets, images):
        assert_paper_shows(ticket.image, image)


@pytest.mark.parametrize("paper_mm", [80, 58])
def test_a_text_mode_ticket_prints_gb18030_chinese(backend, make_face, paper_mm):
    if backend.kind == "hardware" and not os.environ.get("HALL_TEST_TEXT_MODE"):
        pytest.skip("set HALL_TEST_TEXT_MODE=1 for a Chinese-mode printer")
    printer = backend.open(paper_mm)
    data = ticket_text(
        make_face(label="T002"),
        roll_for(paper_mm).columns,
        native_qr=backend.kind == "hardware" and bool(os.environ.get("HALL_TEST_NATIVE_QR")),
    )
    with printer:
        assert printer.print_ticket(data) > len(data)
    ticket = backend.far_end(1).tickets[0]
    raw = ticket.raw
    assert raw.startswith(data) and raw.endswith(b"\x1dV\x00")
    assert raw[len(data) :].startswith(b"\x1bd\x06")  # python-escpos' feed before the cut
    assert raw.decode("gb18030", errors="strict").count("不动产登记") == 1
    assert ticket.paper.unknown == []
    assert ticket.image.getextrema() == (0, 255)  # something black was printed


def test_a_ticket_of_the_wrong_width_is_refused_before_anything_is_sent(backend, make_face):
    printer = backend.open(58)
    with printer, pytest.raises(ValueError, match="384"):
        printer.print_ticket(render_ticket(make_face(), 80))
    far = backend.far_end(0)
    assert far.questions == 0 and far.tickets == [] and far.pending == b""


# --- asking before printing ----------------------------------------------------------------


def test_a_ready_printer_says_so(backend):
    with backend.open(HARDWARE_MM if backend.kind == "hardware" else 80) as printer:
        status = printer.status()
    if not backend.can_ask:
        assert status == CANNOT_ASK  # a file cannot say; a ticket is printed anyway
    elif backend.twin is None:
        assert status.online is True and status.paper in ("ok", "low") and status.cover_open is False
    else:
        assert status == READY


def test_opening_the_wire_turns_on_automatic_status_back_where_it_can_be_heard(backend, make_face):
    printer = backend.open(80)
    with printer:
        printer.print_ticket(render_ticket(make_face(), 80))
    far = backend.far_end(1)
    if backend.can_ask:
        assert far.status_back  # GS a: the printer tells each change of state unasked
    else:
        assert not far.status_back and not backend.file.read_bytes().startswith(STATUS_BACK)
        assert not printer.told()


def test_paper_low_is_reported_and_still_prints(backend, make_face):
    printer = backend.open(80)
    backend.set_state(paper="low")
    with printer:
        assert printer.check().paper == "low"
        printer.print_ticket(render_ticket(make_face(), 80))
    assert len(backend.far_end(1).tickets) == 1


@pytest.mark.parametrize(
    "state, error, words",
    [
        (dict(paper="out"), PaperOut, "out of paper"),
        (dict(cover_open=True), CoverOpen, "cover is open"),
        (dict(paper="out", cover_open=True), CoverOpen, "cover is open"),
    ],
)
def test_paper_out_or_cover_open_prints_nothing(backend, make_face, state, error, words):
    printer = backend.open(80)
    backend.set_state(**state)
    with printer:
        with pytest.raises(error, match=words):
            printer.print_ticket(render_ticket(make_face(), 80))
        backend.settled(printer)
    far = backend.far_end(0)
    assert far.questions >= 1  # it asked …
    assert far.tickets == [] and far.pending == b""  # … and sent nothing to print


@pytest.mark.hardware
@pytest.mark.skipif(
    not (HARDWARE and os.environ.get("HALL_TEST_TROUBLE")),
    reason="set HALL_TEST_PRINTER, and HALL_TEST_TROUBLE=1 with its cover open or its paper out",
)
def test_trouble_on_a_real_printer_is_reported_in_its_own_words(make_face):
    """The hardware side of the test above: the cover opened or the paper taken out by hand, and
    the printer's own answers understood."""
    with open_printer(HARDWARE, HARDWARE_MM) as printer, pytest.raises((CoverOpen, PaperOut)):
        printer.print_ticket(render_ticket(make_face(label="T003"), HARDWARE_MM))


def test_a_silent_printer_is_offline_after_one_short_wait(backend, make_face):
    printer = backend.open(80, status_timeout=0.2)
    backend.set_state(silent=True)
    with printer:
        status = printer.status()
        with pytest.raises(PrinterOffline, match="does not answer"):
            printer.print_ticket(render_ticket(make_face(), 80))
        assert backend.twin.questions == 2  # one question per attempt: no waiting three timeouts
        backend.settled(printer)
    assert status == SILENT and status.online is False and status.paper == "unknown"
    far = backend.far_end(0)
    assert far.tickets == [] and far.pending == b""


def test_a_printer_that_answers_again_prints_again(backend, make_face):
    printer = backend.open(80, status_timeout=0.2)
    image = render_ticket(make_face(), 80)
    with printer:
        backend.set_state(silent=True)
        with pytest.raises(PrinterOffline):
            printer.print_ticket(image)
        backend.set_state(silent=False)
        printer.print_ticket(image)
    assert len(backend.far_end(1).tickets) == 1


def test_a_printer_tells_of_a_change_by_itself(backend):
    """Automatic Status Back: turned on when the wire opens; the printer then says each change of
    paper or cover unasked, and `told()` sees it without waiting (no status question asked)."""
    printer = backend.open(80)
    backend.set_state(paper="ok")  # (skipped here for a backend whose state cannot be set)
    with printer:
        assert printer.status().paper == "ok"
        assert poll(lambda: not printer.told())  # the first status, sent when it was turned on
        asked = backend.twin.questions
        backend.set_state(paper="out")
        assert poll(printer.told), "the change was not told"
        assert backend.twin.questions == asked
        assert printer.status().paper == "out"
        backend.set_state(cover_open=True)
        assert poll(printer.told)
        status = printer.status()  # what was told in between questions is skipped, not taken as an answer
        assert status.cover_open is True and status.paper == "out"
        assert not printer.told()
