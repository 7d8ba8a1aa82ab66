"""Fixtures: ticket faces.

    make_face(**changes)   a TicketFace for the property-registration service, 12 ahead

The printer backends (the twin in-process, over TCP and a pty, a file, a real printer) are the
`backend` fixture of test_contract.py, the one module that runs over all of them.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from devices.kiosk.ticket import TicketFace
from hall.config import Names

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def make_face():
    def make(**changes) -> TicketFace:
        fields = dict(
            hall_name=Names("新华区政务服务中心", "Xinhua District Government Service Centre"),
            service_name=Names("不动产登记", "Property Registration"),
            label="B023",
            ahead=12,
            wait_s=25 * 60,
            taken_at=dt.datetime(2026, 11, 21, 9, 32, tzinfo=SHANGHAI),
            qr_url="http://hall.local:8080/t/xinhua-B023-3f9a2c7d",
            materials=(
                "身份证原件及复印件 ID card and copy",
                "不动产权证书 Property certificate",
                "购房合同 Purchase contract",
                "完税证明 Tax payment receipt",
            ),
            footer=Names("监督电话 12345 · 请保管好号票，过号请到服务台", "Complaints: 12345 · Keep your ticket"),
        )
        fields.update(changes)
        return TicketFace(**fields)

    return make
