"""From the controller's reservation (or an offline number) to the ticket face and the printer's input."""

from __future__ import annotations

import dataclasses

import pytest
from PIL import Image

from devices.kiosk.faces import BadTicketReply, offline_face, online_face, printable
from devices.kiosk.offline import OfflineTicket

TICKET = {
    "id": "20261123-A023",
    "label": "A023",
    "service": "social",
    "class": "normal",
    "number": 23,
    "ahead": 12,
    "estimated_wait_s": 1500,
    "issued_at": "2026-11-23T01:05:12.345Z",
    "status_url": "http://hall.local:8080/t/4kq9w2rz8d1m",
}


def test_a_reservation_becomes_its_face(example_hall):
    face = online_face(example_hall, TICKET)
    assert (face.label, face.ahead, face.wait_s, face.ticket_class, face.offline) == (
        "A023",
        12,
        1500.0,
        "normal",
        False,
    )
    assert face.taken_at.isoformat() == "2026-11-23T09:05:12.345000+08:00"  # the hall's time zone
    assert face.service_name.zh == "社保医保" and face.materials == example_hall.services["social"].materials
    assert face.qr_url == TICKET["status_url"] and face.footer == example_hall.footer
    assert online_face(example_hall, {**TICKET, "estimated_wait_s": None}).wait_s is None


@pytest.mark.parametrize(
    "change",
    [
        {"id": None},
        {"service": "nope"},
        {"issued_at": "yesterday"},
        {"ahead": -1},
        {"class": "vip"},
        {"label": ""},
        {"status_url": "has spaces in it"},
    ],
)
def test_a_reservation_that_cannot_be_printed_is_refused(example_hall, change):
    with pytest.raises(BadTicketReply):
        online_face(example_hall, {**TICKET, **change})


def test_an_offline_number_becomes_a_marked_face_and_each_kiosk_prints_its_way(example_hall):
    face = offline_face(example_hall, OfflineTicket("tax", 951, 1795399200.0, "20261123"), "priority", 4)
    assert (face.label, face.offline, face.wait_s, face.qr_url, face.ticket_class) == (
        "D951",
        True,
        None,
        "",
        "priority",
    )
    k1, k2 = example_hall.kiosks["K1"], example_hall.kiosks["K2"]
    assert isinstance(printable(face, k1), Image.Image) and printable(face, k1).width == 576
    assert printable(face, k2).width == 384  # 58 mm, large print
    text = printable(face, dataclasses.replace(k1, text_mode=True))
    assert isinstance(text, bytes) and "税务综合".encode("gb18030") in text


def test_no_counter_open_is_printed_as_such_not_as_a_number(example_hall, tmp_path):
    from devices.kiosk.ticket import wait_words

    closed = online_face(example_hall, {**TICKET, "estimated_wait_s": None, "no_counter_open": True})
    assert closed.no_counter_open and closed.wait_s is None
    words = wait_words(closed)
    assert "暂无窗口办理此业务" in words.zh and "no counter open now" in words.en
    unknown = wait_words(online_face(example_hall, {**TICKET, "estimated_wait_s": None}))  # an older controller
    assert "暂无窗口" not in unknown.zh and "wait not known yet" in unknown.en
    # a figure with the flag (a confused reply) prints the figure: the flag only explains a missing one
    assert not online_face(example_hall, {**TICKET, "no_counter_open": True}).no_counter_open
    image = printable(closed, example_hall.kiosks["K1"])
    image.save(tmp_path / "ticket-no-counter.png")
    import os
    import shutil

    if os.environ.get("HALL_SCREENSHOTS"):
        shutil.copy(tmp_path / "ticket-no-counter.png", os.environ["HALL_SCREENSHOTS"])


def test_a_hall_priority_class_prints_as_priority(example_hall):
    import dataclasses as dc

    hall = dc.replace(
        example_hall,
        dispatch=dc.replace(
            example_hall.dispatch,
            head_start_s={**example_hall.dispatch.head_start_s, "elderly": 600.0},
            priority_classes=("priority", "elderly"),
        ),
    )
    face = online_face(hall, {**TICKET, "class": "elderly"})
    assert face.ticket_class == "elderly"
    text = printable(face, dataclasses.replace(hall.kiosks["K1"], text_mode=True))
    assert "优先 PRIORITY".encode("gb18030") in text
