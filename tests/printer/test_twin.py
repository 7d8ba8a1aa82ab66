"""The printer's twin (drivers/printer/twin/): it decodes what python-escpos sends (every image command, text, QR),
splits the stream at cuts whatever the chunking, answers status from its state, writes files."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops

from devices.kiosk.ticket import native_qr_bytes
from drivers.printer import ROLLS, ticket_bytes
from drivers.printer._escpos import Dummy
from drivers.printer.twin import SimulatedPrinter, command_at, paper_from_bytes


def noise(width: int, height: int, seed: int = 7) -> Image.Image:
    rng = random.Random(seed)
    img = Image.new("1", (width, height), 255)
    img.putdata([0 if rng.random() < 0.3 else 255 for _ in range(width * height)])
    return img


def same(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None


IMPLS = ["bitImageRaster", "graphics", "bitImageColumn"]  # GS v 0, GS ( L, ESC *


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("paper_mm", [80, 58])
def test_every_image_command_decodes_exactly(impl, paper_mm):
    roll = ROLLS[paper_mm]
    image = noise(roll.dots, 2000)  # taller than one image command: sent in fragments
    paper = paper_from_bytes(ticket_bytes(image, roll, impl=impl), roll.dots)
    assert paper.unknown == []
    assert same(paper.image().crop((0, 0, roll.dots, 2000)), image)


@pytest.mark.parametrize("impl", IMPLS)
def test_a_narrow_image_from_python_escpos_itself_decodes_exactly(impl):
    out = Dummy(profile="TM-T20II")
    out.image(noise(200, 100), impl=impl)
    printed = paper_from_bytes(out.output, 576).image()
    assert same(printed.crop((0, 0, 200, 100)), noise(200, 100))
    assert printed.crop((200, 0, 576, printed.height)).getextrema() == (255, 255)


def test_python_escpos_graphics_overflow_is_avoided_and_would_show():
    image = noise(576, 1000)
    raw = Dummy(profile="TM-T20II")
    raw.image(image, impl="graphics")  # 960 rows of 576 dots: a length over 65,535
    assert paper_from_bytes(raw.output, 576).unknown  # the simulator says something is wrong
    assert paper_from_bytes(ticket_bytes(image, ROLLS[80], impl="graphics"), 576).unknown == []


def test_centred_raster_lands_in_the_middle():
    out = Dummy(profile="TM-T20II")
    out.set(align="center")
    out.image(noise(200, 48), impl="bitImageRaster")
    printed = paper_from_bytes(out.output, 576).image()
    assert same(printed.crop((188, 0, 388, 48)), noise(200, 48))


def test_native_qr_is_drawn_from_the_command():
    paper = paper_from_bytes(b"\x1b@\x1ba\x01" + native_qr_bytes("http://hall.local/t/x", module=4), 576)
    img = paper.image()
    left, top, right, bottom = ImageChops.invert(img.convert("L")).getbbox()
    assert right - left == bottom - top and (right - left) % 4 == 0  # a square of 4-dot modules
    assert abs((left + right) / 2 - 288) <= 2  # centred
    assert paper.unknown == []


def test_unknown_commands_are_listed_not_fatal():
    paper = paper_from_bytes(b"\x1b\x7fA\x1bd\x01", 576)
    assert paper.unknown == ["unknown 1b 7f"]


two_tickets = ticket_bytes(noise(576, 60), ROLLS[80]) + b"\x10\x04\x01" + ticket_bytes(b"\x1b@\xc7\xeb\n", ROLLS[80])


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=1, max_value=len(two_tickets) - 1), max_size=40, unique=True))
def test_stream_is_split_at_cuts_however_it_is_chunked(cuts):
    sim = SimulatedPrinter(80)
    replies = b""
    edges = [0, *sorted(cuts), len(two_tickets)]
    for a, b in zip(edges, edges[1:]):
        replies += sim.receive(two_tickets[a:b])
    assert replies == b"\x12"  # the one status question, answered once
    first, second = ticket_bytes(noise(576, 60), ROLLS[80]), ticket_bytes(b"\x1b@\xc7\xeb\n", ROLLS[80])
    assert [t.raw for t in sim.tickets] == [first, second]  # the question is not part of a ticket
    assert sim.pending == b""


def test_status_answers_follow_the_state():
    sim = SimulatedPrinter(58)
    ask = b"\x10\x04\x01\x10\x04\x02\x10\x04\x04"
    assert sim.receive(ask) == bytes((0x12, 0x12, 0x12))
    sim.set_state(paper="low")
    assert sim.receive(ask) == bytes((0x12, 0x12, 0x1E))
    sim.set_state(paper="out")
    assert sim.receive(ask) == bytes((0x1A, 0x32, 0x7E))
    sim.set_state(paper="ok", cover_open=True)
    assert sim.receive(ask) == bytes((0x1A, 0x16, 0x12))
    sim.set_state(silent=True)
    assert sim.receive(ask) == b""
    assert sim.questions == 15
    with pytest.raises(ValueError):
        sim.set_state(paper="empty")


def test_files_are_numbered_after_those_already_there(tmp_path):
    (tmp_path / "ticket-0041.bin").write_bytes(b"old")
    sim = SimulatedPrinter(80, out_dir=tmp_path)
    sim.receive(ticket_bytes(noise(576, 30), ROLLS[80]))
    assert (tmp_path / "ticket-0042.png").exists() and (tmp_path / "ticket-0042.bin").exists()
    assert (tmp_path / "ticket-0041.bin").read_bytes() == b"old"
    assert not list(tmp_path.glob("*.tmp"))


def test_command_lengths_wait_for_complete_commands():
    raster = b"\x1dv0\x00\x01\x00\x02\x00\xff\x00"
    for end in range(1, len(raster)):
        assert command_at(raster[:end], 0) is None
    cmd, end = command_at(raster, 0)
    assert (cmd.name, cmd.data, end) == ("GS v 0", b"\xff\x00", len(raster))
    assert command_at(b"\x1dV\x00", 0)[0].name == "GS V"
    assert command_at(b"\x1dVA\x03", 0)[1] == 4
    assert command_at(b"\x1bc5\x00", 0)[0].name == "ESC c 5"


def test_only_the_latest_tickets_stay_in_memory(tmp_path):
    sim = SimulatedPrinter(80, out_dir=tmp_path, keep=2)
    for n in range(5):
        sim.receive(ticket_bytes(noise(576, 8, seed=n), ROLLS[80]))
    assert sim.printed == 5 and [t.number for t in sim.tickets] == [4, 5]
    assert len(list(tmp_path.glob("ticket-*.png"))) == 5
