"""The same checks on a real printer, on a bench Pi (skipped elsewhere):

    HALL_TEST_PRINTER=usb:0416:5011 HALL_TEST_PAPER_MM=58 .venv/bin/pytest -m hardware tests/printer

With the printer loaded and closed, every test should pass; then open the cover, or take the
paper out, and run test_trouble_is_reported to see the printer's own answers decoded.
"""

from __future__ import annotations

import os

import pytest

from devices.kiosk.ticket import render_ticket, ticket_text
from drivers.printer import CoverOpen, PaperOut, open_printer, roll_for

CONNECTOR = os.environ.get("HALL_TEST_PRINTER", "")
PAPER_MM = int(os.environ.get("HALL_TEST_PAPER_MM", "80"))

pytestmark = [pytest.mark.hardware,
              pytest.mark.skipif(not CONNECTOR, reason="set HALL_TEST_PRINTER to a printer connector")]


def test_a_ready_printer_answers_ok():
    with open_printer(CONNECTOR, PAPER_MM) as printer:
        status = printer.status()
    if CONNECTOR.startswith("file:"):
        assert status.online is None
    else:
        assert status.online is True and status.paper in ("ok", "low") and status.cover_open is False


def test_prints_an_image_ticket(make_face):
    with open_printer(CONNECTOR, PAPER_MM) as printer:
        assert printer.print_ticket(render_ticket(make_face(label="T001"), PAPER_MM)) > 0


@pytest.mark.skipif(not os.environ.get("HALL_TEST_TEXT_MODE"), reason="set HALL_TEST_TEXT_MODE=1 for a Chinese-mode printer")
def test_prints_a_text_mode_ticket(make_face):
    data = ticket_text(make_face(label="T002"), roll_for(PAPER_MM).columns,
                       native_qr=bool(os.environ.get("HALL_TEST_NATIVE_QR")))
    with open_printer(CONNECTOR, PAPER_MM) as printer:
        assert printer.print_ticket(data) > 0


@pytest.mark.skipif(not os.environ.get("HALL_TEST_TROUBLE"), reason="set HALL_TEST_TROUBLE=1 with the cover open or no paper")
def test_trouble_is_reported(make_face):
    with open_printer(CONNECTOR, PAPER_MM) as printer, pytest.raises((CoverOpen, PaperOut)):
        printer.print_ticket(render_ticket(make_face(label="T003"), PAPER_MM))
