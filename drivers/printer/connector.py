"""Printer connector strings: how the config and `hall kiosk --printer` say where the printer is.

    usb:VID:PID              usb:0416:5011            (hex ids, as `lsusb` shows them)
    serial:DEVICE[@BAUD[,FLOW]]  serial:/dev/ttyUSB0@115200,rtscts   (default 9600, no handshake)
    tcp:HOST[:PORT]          tcp:192.168.1.50          (default port 9100)
    file:PATH                file:/dev/usb/lp0         (write-only: no status can be read)
    sim                      an in-process simulated printer

Parsing is pure and happens before anything is opened, so a typo stops the kiosk at start with
one sentence (BadConnector) instead of at the first citizen's ticket.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from .errors import BadConnector

BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400)
FLOW_CONTROLS = ("none", "rtscts", "xonxoff", "dsrdtr")
EXAMPLES = "usb:0416:5011, serial:/dev/ttyUSB0@115200, tcp:192.168.1.50:9100, file:/dev/usb/lp0 or sim"


@dataclass(frozen=True)
class UsbConnector:
    vendor: int
    product: int

    def __str__(self) -> str:
        return f"usb:{self.vendor:04x}:{self.product:04x}"


@dataclass(frozen=True)
class SerialConnector:
    device: str
    baudrate: int = 9600
    flow: str = "none"

    def __str__(self) -> str:
        flow = "" if self.flow == "none" else f",{self.flow}"
        return f"serial:{self.device}@{self.baudrate}{flow}"


@dataclass(frozen=True)
class TcpConnector:
    host: str
    port: int = 9100

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"tcp:{host}:{self.port}"


@dataclass(frozen=True)
class FileConnector:
    path: str

    def __str__(self) -> str:
        return f"file:{self.path}"


@dataclass(frozen=True)
class SimConnector:
    def __str__(self) -> str:
        return "sim"


Connector = UsbConnector | SerialConnector | TcpConnector | FileConnector | SimConnector

_HEX_ID = re.compile(r"(?:0x)?([0-9a-fA-F]{1,4})")
_HOSTNAME = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)


def parse_connector(text: str) -> Connector:
    """Read a connector string; raise BadConnector (one sentence) if it does not parse."""
    if not isinstance(text, str):
        raise BadConnector(f"printer connector {text!r} is not text; use one of {EXAMPLES}")
    kind, colon, rest = text.partition(":")
    if text == "sim":
        return SimConnector()
    parsers = {"usb": _usb, "serial": _serial, "tcp": _tcp, "file": _file}
    if not colon or kind not in parsers:
        raise BadConnector(f"printer connector {text!r} is not one of {EXAMPLES}")
    try:
        return parsers[kind](rest)
    except _Problem as problem:
        raise BadConnector(f"printer connector {text!r}: {problem}") from None


class _Problem(Exception):
    pass


def _usb(rest: str) -> UsbConnector:
    parts = rest.split(":")
    ids = [_HEX_ID.fullmatch(p) for p in parts]
    if len(parts) != 2 or not all(ids):
        raise _Problem("expected usb:VID:PID with the two hex ids `lsusb` shows, like usb:0416:5011")
    vendor, product = (int(m.group(1), 16) for m in ids)
    if vendor == 0 or product == 0:
        raise _Problem("a USB vendor or product id cannot be 0000")
    return UsbConnector(vendor, product)


def _serial(rest: str) -> SerialConnector:
    device, at, settings = rest.rpartition("@") if "@" in rest else (rest, "", "")
    if not device.startswith("/") or len(device) < 2 or any(c.isspace() for c in device):
        raise _Problem("expected the serial device path, like serial:/dev/ttyUSB0 or serial:/dev/serial0@115200")
    if at and not settings:
        raise _Problem(f"nothing after '@'; give a baud rate, one of {', '.join(map(str, BAUD_RATES))}")
    baud_text, _, flow = settings.partition(",")
    baudrate = 9600
    if at:
        if not baud_text.isdigit() or int(baud_text) not in BAUD_RATES:
            raise _Problem(f"baud rate {baud_text!r} is not one of {', '.join(map(str, BAUD_RATES))}")
        baudrate = int(baud_text)
    flow = flow or "none"
    if flow not in FLOW_CONTROLS:
        raise _Problem(f"handshake {flow!r} is not one of {', '.join(FLOW_CONTROLS)}")
    return SerialConnector(device, baudrate, flow)


def _tcp(rest: str) -> TcpConnector:
    if rest.startswith("["):
        host, bracket, tail = rest[1:].partition("]")
        if not bracket or (tail and not tail.startswith(":")):
            raise _Problem("an IPv6 address goes in brackets, like tcp:[fd00::50]:9100")
        port_text = tail[1:] if tail else None
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise _Problem(f"{host!r} is not an IPv6 address") from None
    else:
        host, colon, port_text = rest.partition(":")
        port_text = port_text if colon else None
        if not _HOSTNAME.fullmatch(host):
            raise _Problem("expected a host name or IP address, like tcp:192.168.1.50 or tcp:printer-k1.local:9100")
    port = 9100
    if port_text is not None:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise _Problem(f"port {port_text!r} must be a number from 1 to 65535, like tcp:192.168.1.50:9100")
        port = int(port_text)
    return TcpConnector(host, port)


def _file(rest: str) -> FileConnector:
    if not rest or rest != rest.strip() or "\0" in rest:
        raise _Problem("expected a file path, like file:/dev/usb/lp0")
    return FileConnector(rest)
