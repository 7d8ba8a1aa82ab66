"""Fixtures: ticket faces, and the simulated printer reached in-process, over TCP and over a pty.

    make_face(**changes)   a TicketFace for the property-registration service, 12 ahead
    simulator              a SimulatedPrinter (80 mm) writing into tmp_path/"paper"
    printer_on             printer_on(kind, paper_mm) -> (TicketPrinter, SimulatedPrinter) for
                           kind "tcp" (a real socket on 127.0.0.1), "serial" (a real pty) or
                           "sim" (in-process); everything is closed after the test
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from devices.kiosk.ticket import TicketFace
from drivers.printer import open_printer
from hall.config import Names
from drivers.printer.twin import SerialPrinterPort, SimulatedPrinter, TcpPrinterServer

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
            materials=("身份证原件及复印件 ID card and copy", "不动产权证书 Property certificate",
                       "购房合同 Purchase contract", "完税证明 Tax payment receipt"),
            footer=Names("监督电话 12345 · 请保管好号票，过号请到服务台", "Complaints: 12345 · Keep your ticket"),
        )
        fields.update(changes)
        return TicketFace(**fields)

    return make


@pytest.fixture
def simulator(tmp_path) -> SimulatedPrinter:
    return SimulatedPrinter(80, out_dir=tmp_path / "paper")


@pytest.fixture
def printer_on(tmp_path):
    opened = []

    def make(kind: str, paper_mm: int = 80, *, status_timeout: float = 0.3):
        sim = SimulatedPrinter(paper_mm, out_dir=tmp_path / f"paper-{kind}-{paper_mm}")
        if kind == "sim":
            printer = open_printer("sim", paper_mm, simulator=sim, status_timeout=status_timeout)
        else:
            transport = TcpPrinterServer(sim) if kind == "tcp" else SerialPrinterPort(sim)
            opened.append(transport)
            printer = open_printer(transport.connector, paper_mm, status_timeout=status_timeout)
        opened.append(printer)
        return printer, sim

    yield make
    for thing in reversed(opened):
        thing.close()
