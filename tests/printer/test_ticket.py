"""The printed ticket: sizes, the big number, marks, wrapping, refusals, and the text mode bytes."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from devices.kiosk.ticket import (
    MARGIN_DOTS,
    TicketFaceError,
    render_ticket,
    taken_words,
    text_boxes,
    text_width,
    ticket_text,
    wait_words,
    wrap,
)
from drivers import fonts
from drivers.printer import ROLLS
from drivers.printer.twin import command_at
from hall.config import Names

from .conftest import SHANGHAI


def ink_rows(img: Image.Image) -> list[tuple[int, int]]:
    """(left, right) ink extent of every row, (-1, -1) for a blank row."""
    px = img.load()
    out = []
    for y in range(img.height):
        xs = [x for x in range(img.width) if px[x, y] == 0]
        out.append((xs[0], xs[-1]) if xs else (-1, -1))
    return out


def blocks(img: Image.Image) -> list[tuple[int, int, int]]:
    """Runs of consecutive inked rows: (height, widest extent, top row)."""
    out, start, widest = [], None, 0
    for y, (left, right) in enumerate(ink_rows(img) + [(-1, -1)]):
        if left >= 0:
            start = y if start is None else start
            widest = max(widest, right - left + 1)
        elif start is not None:
            out.append((y - start, widest, start))
            start, widest = None, 0
    return out


def longest_black_run(img: Image.Image, *, row: int | None = None, column: int | None = None) -> int:
    px = img.load()
    cells = [px[x, row] for x in range(img.width)] if row is not None else [px[column, y] for y in range(img.height)]
    best = run = 0
    for v in cells:
        run = run + 1 if v == 0 else 0
        best = max(best, run)
    return best


@pytest.mark.parametrize("paper_mm", [80, 58])
@pytest.mark.parametrize("large", [False, True])
def test_ticket_is_one_bit_and_exactly_the_head_width(make_face, paper_mm, large):
    img = render_ticket(make_face(), paper_mm, large_print=large)
    assert img.mode == "1"
    assert img.width == ROLLS[paper_mm].dots


@pytest.mark.parametrize("paper_mm", [80, 58])
@pytest.mark.parametrize("label", ["A1", "B023", "AB1000"])
def test_the_number_is_large_enough_for_arms_length(make_face, paper_mm, label):
    img = render_ticket(make_face(label=label), paper_mm)
    height, width, _ = max(blocks(img))  # the tallest block of ink is the number
    assert height >= (100 if paper_mm == 80 else 70)  # 12.5 / 9 mm tall at 8 dots a mm
    assert width >= 0.4 * img.width


def test_large_print_is_bigger_everywhere(make_face):
    normal, large = render_ticket(make_face(), 80), render_ticket(make_face(), 80, large_print=True)
    assert large.height > normal.height * 1.3
    assert max(blocks(large))[0] > max(blocks(normal))[0]  # a bigger number
    normal_lines = sorted(h for h, _, _ in blocks(normal))
    large_lines = sorted(h for h, _, _ in blocks(large))
    assert large_lines[len(large_lines) // 2] > normal_lines[len(normal_lines) // 2]  # bigger text


@pytest.mark.parametrize("paper_mm", [80, 58])
@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"ticket_class": "priority", "offline": True},
        {
            "materials": (
                "营业执照副本原件及加盖公章的复印件一份（如已办理） Original business licence and a stamped copy",
            )
            * 3
        },
        {"hall_name": Names("新华区" * 12, "Supercalifragilisticexpialidocious" * 3), "label": "ABC9999"},
        {"footer": Names("", ""), "materials": (), "qr_url": ""},
    ],
)
def test_nothing_is_clipped(make_face, paper_mm, large, changes):
    img = render_ticket(make_face(**changes), paper_mm, large_print=large)
    margin = 8
    assert img.crop((0, 0, margin, img.height)).getextrema() == (255, 255)
    assert img.crop((img.width - margin, 0, img.width, img.height)).getextrema() == (255, 255)
    assert img.crop((0, 0, img.width, 4)).getextrema() == (255, 255)
    assert img.crop((0, img.height - 4, img.width, img.height)).getextrema() == (255, 255)


def test_priority_and_appointment_carry_a_black_band(make_face):
    def band(img):  # rows mostly black (white letters inside), in a run 3 mm tall
        px, run, best = img.load(), 0, 0
        for y in range(img.height):
            dark = sum(1 for x in range(0, img.width, 4) if px[x, y] == 0) * 4
            run = run + 1 if dark > 0.6 * img.width else 0
            best = max(best, run)
        return best

    assert band(render_ticket(make_face(), 80)) < 10
    assert band(render_ticket(make_face(ticket_class="priority"), 80)) >= 24
    assert band(render_ticket(make_face(ticket_class="appointment"), 58)) >= 24


@pytest.mark.parametrize("paper_mm, frame_x", [(80, 17), (58, 11)])
def test_offline_tickets_carry_a_framed_mark(make_face, paper_mm, frame_x):
    plain = render_ticket(make_face(), paper_mm)
    offline = render_ticket(make_face(offline=True), paper_mm)
    assert longest_black_run(plain, column=frame_x) < 60  # only the QR's finder patterns
    assert longest_black_run(offline, column=frame_x) >= 90  # the frame's side


def test_refuses_text_the_font_cannot_draw(make_face):
    face = make_face(service_name=Names("不动产登记𠀀", "Property"))
    for make in (lambda: render_ticket(face), lambda: ticket_text(face, 48)):
        with pytest.raises(TicketFaceError) as caught:
            make()
        assert "U+20000" in str(caught.value) and "service name (zh)" in str(caught.value)
    with pytest.raises(TicketFaceError, match="materials"):
        render_ticket(make_face(materials=("身份证 ID", "\U0001f4c4 photo")))


def test_text_mode_refuses_what_a_printers_own_font_lacks(make_face):
    symbol = next(c for c in "☀☂☎⚠⚡✈" if fonts.covers(c))  # drawable by us, not in GBK
    face = make_face(footer=Names(f"{symbol} 12345", "help"))
    render_ticket(face)
    with pytest.raises(TicketFaceError, match="Chinese printer"):
        ticket_text(face, 48)


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"taken_at": dt.datetime(2026, 11, 21, 9, 32)}, "time zone"),
        ({"ahead": -1}, "people ahead"),
        ({"ahead": True}, "people ahead"),
        ({"wait_s": -5}, "estimated wait"),
        ({"wait_s": float("nan")}, "estimated wait"),
        ({"ticket_class": "VIP!"}, "ticket class"),  # a name; which names a hall has, online_face checks
        ({"label": ""}, "ticket label"),
        ({"materials": ["list, not tuple"]}, "materials"),
        ({"qr_url": "http://x/ a"}, "QR URL"),
    ],
)
def test_a_bad_face_is_one_clear_error(make_face, changes, words):
    with pytest.raises(TicketFaceError, match=words):
        make_face(**changes)


def test_bad_paper_width_is_refused(make_face):
    with pytest.raises(TicketFaceError, match="70"):
        render_ticket(make_face(), 70)
    with pytest.raises(TicketFaceError, match="columns"):
        ticket_text(make_face(), 10)


@pytest.mark.parametrize(
    "ahead, wait_s, zh, en",
    [
        (12, 25 * 60, "前面还有 12 人 · 预计等候约 25 分钟", "12 ahead · about 25 min"),
        (3, 20, "前面还有 3 人 · 预计等候不到 1 分钟", "3 ahead · under 1 min"),
        (40, 90 * 60, "前面还有 40 人 · 预计等候约 1 小时 30 分钟", "40 ahead · about 1 h 30 min"),
        (80, 120 * 60, "前面还有 80 人 · 预计等候约 2 小时", "80 ahead · about 2 h"),
        (5, None, "前面还有 5 人 · 预计等候时间暂无法估计", "5 ahead · wait not known yet"),
        (0, 0, "您是下一位 · 无需等候", "You are next · no wait"),
        (0, 120, "您是下一位 · 预计等候约 2 分钟", "You are next · about 2 min"),
    ],
)
def test_wait_words(make_face, ahead, wait_s, zh, en):
    assert wait_words(make_face(ahead=ahead, wait_s=wait_s)) == Names(zh, en)


def test_time_taken_is_the_halls_local_time(make_face):
    utc = dt.datetime(2026, 11, 21, 1, 32, tzinfo=dt.UTC)
    assert taken_words(make_face(taken_at=utc.astimezone(SHANGHAI))) == "取号时间 Taken 2026-11-21 09:32"


_texts = st.lists(
    st.sampled_from(
        [
            "前面",
            "还有",
            "12",
            "人",
            " ",
            " · ",
            "Property",
            "registration",
            "，",
            "（如已办理）",
            "Supercalifragilistic",
            "ID",
            "card",
            "(original)",
        ]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=_texts, width=st.integers(min_value=4, max_value=48))
def test_wrapped_lines_fit_and_keep_every_character(text, width):
    lines = wrap(text, width, text_width)
    assert all(text_width(line) <= width for line in lines)
    squeeze = lambda s: s.replace(" · ", "").replace(" ", "")  # noqa: E731
    assert "".join(squeeze(line) for line in lines) == squeeze(text.strip())
    assert all(line == line.strip() and line for line in lines)


def test_chinese_closing_punctuation_never_starts_a_line():
    for width in range(6, 30):
        for line in wrap("请保管好号票，过号请到服务台。监督电话（工作日）12345", width, text_width):
            assert line[0] not in "，。）"


def printed_lines(data: bytes) -> list[tuple[str, int]]:
    """(text, width multiplier) of every line the commands print."""
    lines, i, current, wide = [], 0, b"", 1
    while i < len(data):
        cmd, i = command_at(data, i)
        if cmd.name == "text":
            current += cmd.data
        elif cmd.name == "GS !":
            wide = (cmd.args[0] >> 4) + 1
        elif cmd.name == "lf":
            lines.append((current.decode("gb18030"), wide))
            current = b""
    return lines


@pytest.mark.parametrize("paper_mm", [80, 58])
def test_text_mode_is_gb18030_sent_raw_and_fits_the_columns(make_face, paper_mm):
    columns = ROLLS[paper_mm].columns
    face = make_face(ticket_class="priority", offline=True)
    data = ticket_text(face, columns)
    assert data.startswith(b"\x1b@\x1c&")  # reset, then Chinese character mode
    assert "新华区政务服务中心".encode("gb18030") in data
    assert "请保管好号票，过号请到服务台".encode("gb18030") in data  # full-width comma too, not "?"
    assert b"\x1bt" not in data  # no code-page switching
    text = "\n".join(line for line, _ in printed_lines(data))
    for words in (
        "新华区政务服务中心",
        "不动产登记",
        "B023",
        "前面还有 12 人",
        "预计等候约 25 分钟",
        "12 ahead",
        "取号时间 Taken 2026-11-21 09:32",
        "请带齐以下材料",
        "身份证原件及复印件",
        "完税证明",
        "优先 PRIORITY",
        "离线出号",
        "监督电话 12345",
    ):
        assert words in text
    for line, wide in printed_lines(data):
        assert text_width(line) * wide <= columns, line
    number = [wide for line, wide in printed_lines(data) if line == "B023"]
    assert number and number[0] >= 2  # at least double size


def test_native_qr_only_when_the_printer_can(make_face):
    face = make_face()
    assert b"\x1d(k" not in ticket_text(face, 48)
    with_qr = ticket_text(face, 48, native_qr=True)
    assert b"\x1d(k" in with_qr and face.qr_url.encode() in with_qr


LONG = dict(
    hall_name=Names(
        "某某市某某区人民政府政务服务中心综合受理大厅",
        "Some City Some District People's Government Administrative Service Centre",
    ),
    service_name=Names("社会保险及医疗保险业务综合受理", "Social Insurance and Medical Insurance Services"),
    label="AB1234",
    ahead=1234,
    wait_s=4 * 3600 + 59 * 60,
    materials=(
        "户口簿原件及复印件(须本人签字确认) Household register, original and signed copy",
        "Supercalifragilisticexpialidocious-certificate-of-residence-original",
    ),
)


@pytest.mark.parametrize("paper_mm", [58, 80])
@pytest.mark.parametrize("large_print", [False, True], ids=["normal", "large"])
@pytest.mark.parametrize(
    "ticket_class, offline, long",
    [
        ("normal", False, False),
        ("priority", False, False),
        ("appointment", False, False),
        ("normal", True, False),
        ("appointment", False, True),
        ("priority", True, True),
        ("asked", False, False),
        ("asked", True, True),
    ],
)
def test_no_text_runs_off_the_paper(make_face, paper_mm, large_print, ticket_class, offline, long):
    """Every line of text lies inside the margins (the 58 mm large-print "预约 APPOINTMENT"
    banner, white on black, once ran off both edges), and the margins carry no ink at all.
    "asked": priority asked for, staff still to confirm it."""
    asked = ticket_class == "asked"
    face = make_face(
        ticket_class="normal" if asked else ticket_class,
        priority_asked=asked,
        offline=offline,
        **(LONG if long else {}),
    )
    margin, width = MARGIN_DOTS[paper_mm], ROLLS[paper_mm].dots
    boxes = text_boxes(face, paper_mm, large_print=large_print)
    assert any(text.startswith(face.label) for text, _ in boxes)
    for text, (x0, _, x1, _) in boxes:
        assert margin <= x0 and x1 <= width - margin, f"{text!r} spans x {x0}-{x1} on {width}-dot paper"
    image = render_ticket(face, paper_mm, large_print=large_print).convert("L")
    assert image.width == width
    for left, right in ((0, margin), (width - margin, width)):
        assert image.crop((left, 0, right, image.height)).getextrema()[0] == 255, f"ink in the margin at x {left}"


def test_a_priority_staff_must_confirm_says_so_in_image_and_text(make_face):
    face = make_face(priority_asked=True)
    assert "优先待确认 PRIORITY: SHOW STAFF" in [text for text, _ in text_boxes(face, 80)]
    texts = [text for text, _ in text_boxes(face, 58, large_print=True)]
    assert texts[texts.index("优先待确认") + 1].startswith("PRIORITY")  # two lines or more, whole
    for columns in (48, 32):
        printed = ticket_text(face, columns).decode("gb18030", "replace")
        assert "优先待确认" in printed and "PRIORITY: SHOW STAFF" in printed
        assert all(
            text_width(line.strip("\x1b\x1dBE\x00\x01")) <= columns
            for line in printed.split("\n")
            if "优先待确认" in line or "SHOW STAFF" in line
        )
