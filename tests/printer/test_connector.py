"""Connector strings: every form a technician may write parses; anything else is one clear error."""

from types import SimpleNamespace

import pytest

from drivers.printer import BadConnector, open_printer, parse_connector
from drivers.printer.connector import FileConnector, SerialConnector, SimConnector, TcpConnector, UsbConnector
from drivers.printer.links import bulk_endpoints


@pytest.mark.parametrize(
    "text, expected, canonical",
    [
        ("usb:0416:5011", UsbConnector(0x0416, 0x5011), "usb:0416:5011"),
        ("usb:0x04b8:0x0e15", UsbConnector(0x04B8, 0x0E15), "usb:04b8:0e15"),
        ("serial:/dev/ttyUSB0", SerialConnector("/dev/ttyUSB0", 9600, "none"), "serial:/dev/ttyUSB0@9600"),
        ("serial:/dev/serial0@115200", SerialConnector("/dev/serial0", 115200), "serial:/dev/serial0@115200"),
        (
            "serial:/dev/ttyS0@19200,rtscts",
            SerialConnector("/dev/ttyS0", 19200, "rtscts"),
            "serial:/dev/ttyS0@19200,rtscts",
        ),
        (
            "serial:/dev/serial/by-id/usb-1a86_USB2.0-Ser_-if00-port0@9600,xonxoff",
            SerialConnector("/dev/serial/by-id/usb-1a86_USB2.0-Ser_-if00-port0", 9600, "xonxoff"),
            None,
        ),
        ("tcp:192.168.1.50", TcpConnector("192.168.1.50", 9100), "tcp:192.168.1.50:9100"),
        ("tcp:printer-k1.local:9101", TcpConnector("printer-k1.local", 9101), "tcp:printer-k1.local:9101"),
        ("tcp:[fd00::50]:9100", TcpConnector("fd00::50", 9100), "tcp:[fd00::50]:9100"),
        ("file:/dev/usb/lp0", FileConnector("/dev/usb/lp0"), "file:/dev/usb/lp0"),
        ("file:tickets.bin", FileConnector("tickets.bin"), "file:tickets.bin"),
        ("sim", SimConnector(), "sim"),
    ],
)
def test_good_connectors_parse_and_print_back(text, expected, canonical):
    parsed = parse_connector(text)
    assert parsed == expected
    assert parse_connector(str(parsed)) == parsed
    if canonical:
        assert str(parsed) == canonical


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "is not one of"),
        ("lpt1", "is not one of"),
        ("usb", "is not one of"),
        ("Sim", "is not one of"),
        ("sim:", "is not one of"),
        ("http://192.168.1.50", "is not one of"),
        ("usb:0416", "usb:VID:PID"),
        ("usb:0416:5011:1", "usb:VID:PID"),
        ("usb:04z6:5011", "usb:VID:PID"),
        ("usb:12345:5011", "usb:VID:PID"),
        ("usb:0000:5011", "cannot be 0000"),
        ("serial:ttyUSB0", "device path"),
        ("serial:/dev/ttyUSB0@", "nothing after"),
        ("serial:/dev/ttyUSB0@9601", "baud rate '9601'"),
        ("serial:/dev/ttyUSB0@fast", "baud rate 'fast'"),
        ("serial:/dev/ttyUSB0@9600,cts", "handshake 'cts'"),
        ("tcp:", "host name or IP"),
        ("tcp:192.168.1.50:", "port ''"),
        ("tcp:192.168.1.50:99999", "port '99999'"),
        ("tcp:192.168.1.50:91o0", "port '91o0'"),
        ("tcp:bad host", "host name or IP"),
        ("tcp:[fd00::50", "brackets"),
        ("tcp:[not-v6]:9100", "not an IPv6"),
        ("file:", "file path"),
        ("file: /dev/usb/lp0", "file path"),
    ],
)
def test_bad_connectors_get_one_sentence(text, words):
    with pytest.raises(BadConnector) as caught:
        parse_connector(text)
    message = str(caught.value)
    assert words in message
    assert repr(text) in message
    assert "\n" not in message


def test_open_printer_refuses_a_bad_connector_and_a_bad_paper_width(tmp_path):
    with pytest.raises(BadConnector):
        open_printer("tcp:printer:port", 80)
    with pytest.raises(ValueError, match="70"):
        open_printer(f"file:{tmp_path / 'x.bin'}", 70)
    assert not (tmp_path / "x.bin").exists()  # nothing was opened


def test_usb_endpoints_are_found_from_the_descriptor():
    ep = lambda address, kind=0x02: SimpleNamespace(bEndpointAddress=address, bmAttributes=kind)  # noqa: E731
    assert bulk_endpoints([ep(0x81), ep(0x02)]) == (0x81, 0x02)
    assert bulk_endpoints([ep(0x83, 0x03), ep(0x03), ep(0x82)]) == (0x82, 0x03)  # interrupt IN skipped
    assert bulk_endpoints([ep(0x01)]) is None
