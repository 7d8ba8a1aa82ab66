"""Every printer path, through python-escpos into real bytes: TCP to the simulated printer's
socket, serial to its pty, a real file, and the in-process simulator. What arrives is exactly
what python-escpos made, and the paper decoded from it is the rendered ticket, pixel for pixel."""

from __future__ import annotations

import pytest
from PIL import Image, ImageChops

from devices.kiosk.ticket import render_ticket, ticket_text
from drivers.printer import ROLLS, open_printer, ticket_bytes
from drivers.printer.twin import paper_from_bytes


def assert_paper_shows(paper: Image.Image, ticket: Image.Image) -> None:
    """The top of the paper is the ticket exactly; below it only the blank feed before the cut."""
    assert paper.width == ticket.width
    top = paper.crop((0, 0, ticket.width, ticket.height))
    assert ImageChops.difference(top.convert("L"), ticket.convert("L")).getbbox() is None
    feed = paper.crop((0, ticket.height, paper.width, paper.height))
    assert feed.height > 0 and feed.getextrema() == (255, 255)


@pytest.mark.parametrize("kind", ["tcp", "serial", "sim"])
@pytest.mark.parametrize("paper_mm", [80, 58])
def test_an_image_ticket_arrives_byte_for_byte_and_decodes_to_the_rendering(printer_on, make_face, kind, paper_mm):
    printer, sim = printer_on(kind, paper_mm)
    image = render_ticket(make_face(), paper_mm)
    with printer:
        sent = printer.print_ticket(image)
    expected = ticket_bytes(image, ROLLS[paper_mm])
    assert sent == len(expected)
    tickets = sim.wait_for(1)
    assert [t.raw for t in tickets] == [expected]
    assert_paper_shows(tickets[0].image, image)
    assert tickets[0].paper.unknown == []
    files = sorted(p.name for p in sim.out_dir.iterdir())
    assert files == ["ticket-0001.bin", "ticket-0001.png"]
    assert (sim.out_dir / "ticket-0001.bin").read_bytes() == expected
    with Image.open(sim.out_dir / "ticket-0001.png") as png:
        assert_paper_shows(png.convert("1"), image)


@pytest.mark.parametrize("kind", ["tcp", "serial", "sim"])
def test_several_tickets_in_one_session_are_split_at_the_cut(printer_on, make_face, kind):
    printer, sim = printer_on(kind, 80)
    images = [render_ticket(make_face(label=f"B{n:03d}", ahead=n), 80) for n in (1, 2, 3)]
    with printer:
        for image in images:
            printer.print_ticket(image)
    tickets = sim.wait_for(3)
    assert len(tickets) == 3 and sim.pending == b""
    for ticket, image in zip(tickets, images):
        assert_paper_shows(ticket.image, image)


@pytest.mark.parametrize("paper_mm", [80, 58])
def test_file_path_writes_the_same_bytes_to_a_real_file(tmp_path, make_face, paper_mm):
    target = tmp_path / "lp0"
    image = render_ticket(make_face(), paper_mm)
    with open_printer(f"file:{target}", paper_mm) as printer:
        status = printer.status()
        printer.print_ticket(image)
    assert status.online is None and status.paper == "unknown"  # a file cannot say; printed anyway
    data = target.read_bytes()
    assert data == ticket_bytes(image, ROLLS[paper_mm])
    assert_paper_shows(paper_from_bytes(data, image.width).image(), image)


def test_a_file_that_cannot_be_opened_is_offline(tmp_path, make_face):
    from drivers.printer import PrinterOffline

    with open_printer(f"file:{tmp_path / 'no-such-dir' / 'lp0'}", 80) as printer:
        with pytest.raises(PrinterOffline, match="cannot open"):
            printer.print_ticket(render_ticket(make_face(), 80))


@pytest.mark.parametrize("kind", ["tcp", "serial", "sim"])
@pytest.mark.parametrize("paper_mm", [80, 58])
def test_text_mode_prints_gb18030_chinese(printer_on, make_face, kind, paper_mm):
    printer, sim = printer_on(kind, paper_mm)
    data = ticket_text(make_face(), ROLLS[paper_mm].columns)
    with printer:
        printer.print_ticket(data)
    ticket = sim.wait_for(1)[0]
    raw = ticket.raw
    assert raw.startswith(data) and raw.endswith(b"\x1dV\x00")
    assert raw[len(data):].startswith(b"\x1bd\x06")  # python-escpos' feed before the cut
    assert raw.decode("gb18030", errors="strict").count("不动产登记") == 1
    assert ticket.paper.unknown == []
    assert ticket.image.getextrema() == (0, 255)  # something black was printed


def test_a_ticket_of_the_wrong_width_is_refused_before_anything_is_sent(printer_on, make_face):
    printer, sim = printer_on("sim", 58)
    with printer, pytest.raises(ValueError, match="384"):
        printer.print_ticket(render_ticket(make_face(), 80))
    assert sim.questions == 0 and sim.tickets == [] and sim.pending == b""
