"""Links: the wire to one printer (USB, serial, TCP, a device file, or the in-process simulator).

A link opens, sends a whole ticket, asks one status question, and closes. It does not know
ESC/POS beyond that. The real links open the wire through python-escpos' printer classes (which
handle the USB kernel driver, serial settings and the TCP connect) and send through their `_raw`;
status questions bypass python-escpos' `query_status`, which reads 16 bytes and so waits the full
timeout on every question, and whose empty reply means "paper OK". Here each question drains any
stale input, writes DLE EOT n and reads one byte with a short timeout; no byte is None.

On opening, a link that can ask turns on the printer's Automatic Status Back (GS a): the printer
then sends a few bytes by itself whenever its paper, cover or online state changes. `told()`
looks, without waiting, whether it has; the kiosk then asks at once instead of at its next poll.
Those bytes are never answers to DLE EOT (see status.py), so a question skips them and notes them.

Every failure of the wire becomes PrinterOffline and leaves the link closed, so the next ticket
opens it again (a printer switched off and on, or a replugged cable, just works again).
"""

from __future__ import annotations

import logging
import socket
from typing import Protocol

from . import _escpos
from .connector import Connector, FileConnector, SerialConnector, SimConnector, TcpConnector, UsbConnector
from .errors import DriverMissing, PrinterOffline
from .status import STATUS_BACK, is_answer

log = logging.getLogger(__name__)


class PrinterSimulator(Protocol):
    """What the in-process `sim` link talks to (the twin: drivers.printer.twin.SimulatedPrinter)."""

    def receive(self, data: bytes) -> bytes:
        """Take bytes as the printer would; return what the printer sends back."""

    def take_unasked(self) -> bytes:
        """What the printer has sent by itself (Automatic Status Back) since the last take."""


class Link(Protocol):
    name: str
    can_ask: bool

    def open(self) -> None: ...

    def send(self, data: bytes) -> None: ...

    def ask(self, query: bytes, timeout: float) -> int | None: ...

    def told(self) -> bool:
        """Whether the printer has said something unasked (its state changed) since the last look.
        Never waits and never opens the wire."""

    def close(self) -> None: ...


class _EscposLink:
    """Shared open/send/close over one python-escpos printer object."""

    can_ask = True

    def __init__(self, name: str):
        self.name = name
        self._printer: _escpos.Escpos | None = None
        self._told = False

    def _make(self) -> _escpos.Escpos:
        raise NotImplementedError

    def _connect(self, printer: _escpos.Escpos) -> None:
        printer.open()

    def _configure(self, printer: _escpos.Escpos) -> None:
        """Settings python-escpos does not make itself, applied once the wire is open."""

    @property
    def is_open(self) -> bool:
        return self._printer is not None

    def open(self) -> None:
        if self._printer is not None:
            return
        printer = self._make()
        try:
            self._connect(printer)
            self._configure(printer)
            if self.can_ask:  # a write-only file could never read what the printer says
                self._write(printer, STATUS_BACK)
        except (_escpos.DeviceNotFoundError, OSError) as e:
            _close_quietly(printer)
            reason = str(e).replace("\n", " ")
            raise PrinterOffline(f"cannot open the printer at {self.name}: {reason}") from None
        self._printer = printer

    def send(self, data: bytes) -> None:
        self.open()
        try:
            self._write(self._printer, data)
        except OSError as e:
            self._abandon()
            raise PrinterOffline(f"lost the printer at {self.name} while sending a ticket: {e}") from None

    def _write(self, printer: _escpos.Escpos, data: bytes) -> None:
        printer._raw(data)

    def ask(self, query: bytes, timeout: float) -> int | None:
        """One status byte, or None if none came within `timeout`. A wire that has broken since
        it was opened (the printer was switched off and on) is reopened once and asked again."""
        for attempt in (1, 2):
            self.open()
            try:
                return self._ask(self._printer.device, query, timeout)
            except OSError as e:
                log.info("printer at %s: status question failed (attempt %d): %s", self.name, attempt, e)
                self.close()
        return None

    def _ask(self, device, query: bytes, timeout: float) -> int | None:
        raise NotImplementedError

    def _answer(self, replies: bytes) -> int | None:
        """The first DLE EOT answer among bytes read; any other byte is the printer telling."""
        for byte in replies:
            if is_answer(byte):
                return byte
            self._told = True
        return None

    def told(self) -> bool:
        if self._printer is None:
            return False
        try:
            unasked = self._unasked(self._printer.device)
        except OSError as e:  # the wire broke: that is news too; the status question will say
            log.info("printer at %s: %s", self.name, e)
            self.close()
            return True
        told, self._told = self._told or bool(unasked), False
        return told

    def _unasked(self, device) -> bytes:
        """Bytes waiting on the wire, read without waiting."""
        raise NotImplementedError

    def _abandon(self) -> None:
        """Close after a failed send (the default: an ordinary close)."""
        self.close()

    def close(self) -> None:
        printer, self._printer = self._printer, None
        if printer is not None:
            _close_quietly(printer)


def _close_quietly(printer: _escpos.Escpos) -> None:
    try:
        printer.close()
    except OSError as e:  # the wire is gone already; closing cannot fail any harder
        log.info("closing a printer link: %s", e)


class TcpLink(_EscposLink):
    def __init__(self, connector: TcpConnector, *, timeout: float = 5.0):
        super().__init__(str(connector))
        self.connector = connector
        self.timeout = timeout

    def _make(self):
        return _escpos.Network(self.connector.host, self.connector.port, timeout=self.timeout)

    def _connect(self, printer) -> None:
        # Not Network.open(): on a refused connection it drops its socket without closing it.
        printer.device = socket.create_connection((self.connector.host, self.connector.port), self.timeout)

    def _configure(self, printer) -> None:
        printer.device.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _ask(self, sock: socket.socket, query: bytes, timeout: float) -> int | None:
        if self._unasked(sock):
            self._told = True
        sock.sendall(query)
        sock.settimeout(timeout)
        try:
            while True:
                reply = sock.recv(1)
                if not reply:
                    raise ConnectionResetError("the printer closed the connection")
                answer = self._answer(reply)
                if answer is not None:
                    return answer
        except TimeoutError:
            return None
        finally:
            sock.settimeout(self.timeout)

    def _unasked(self, sock: socket.socket) -> bytes:
        waiting = bytearray()
        sock.setblocking(False)
        try:
            while True:
                stale = sock.recv(256)
                if not stale:
                    raise ConnectionResetError("the printer closed the connection")
                waiting += stale
        except BlockingIOError:
            pass
        finally:
            sock.settimeout(self.timeout)
        return bytes(waiting)


class SerialLink(_EscposLink):
    def __init__(self, connector: SerialConnector, *, timeout: float = 0.3):
        super().__init__(str(connector))
        self.connector = connector
        self.timeout = timeout

    def _make(self):
        c = self.connector
        return _escpos.Serial(
            c.device, baudrate=c.baudrate, timeout=self.timeout, xonxoff=c.flow == "xonxoff", dsrdtr=c.flow == "dsrdtr"
        )

    def _configure(self, printer) -> None:
        printer.device.rtscts = self.connector.flow == "rtscts"
        printer.device.write_timeout = 2.0  # a handshake that never lets a status question out

    def _write(self, printer, data: bytes) -> None:
        port = printer.device
        # Time for the bytes at this baud rate (10 bits a byte), twice over, plus the printer's
        # own pauses: past that, a handshake holding us back means the printer has stopped.
        port.write_timeout = 5.0 + 2 * len(data) * 10 / self.connector.baudrate
        port.write(data)  # no flush(): tcdrain has no timeout, and a held handshake would hang it

    def _ask(self, port, query: bytes, timeout: float) -> int | None:
        if self._unasked(port):
            self._told = True
        port.write_timeout = 2.0
        port.write(query)
        port.timeout = timeout
        try:
            while True:  # a question's timeout per byte: a printer telling while asked is rare
                reply = port.read(1)
                if not reply:
                    return None
                answer = self._answer(reply)
                if answer is not None:
                    return answer
        finally:
            port.timeout = self.timeout

    def _unasked(self, port) -> bytes:
        waiting = port.in_waiting
        return port.read(waiting) if waiting else b""

    def _abandon(self) -> None:
        # python-escpos' close() drains the output first: with the printer holding the handshake
        # that waits for ever, so what could not be sent is dropped before closing.
        if self._printer is not None:
            try:
                self._printer.device.reset_output_buffer()
            except OSError as e:
                log.info("printer at %s: could not drop unsent bytes: %s", self.name, e)
        self.close()


LIBUSB_MISSING = (
    "the printer {name} is on USB, but this machine lacks the libusb library that USB needs; "
    "install it with `sudo apt-get install libusb-1.0-0`"
)


class UsbLink(_EscposLink):
    """Raises DriverMissing when made on a machine without libusb (pyusb finds no backend)."""

    def __init__(self, connector: UsbConnector, *, timeout: float = 10.0):
        super().__init__(str(connector))
        self.connector = connector
        self.timeout = timeout
        if not usb_backend_available():
            raise DriverMissing(LIBUSB_MISSING.format(name=self.name))

    def _make(self):
        return _escpos.Usb(self.connector.vendor, self.connector.product, timeout=int(self.timeout * 1000))

    def _configure(self, printer) -> None:
        endpoints = bulk_endpoints(printer.device.get_active_configuration()[(0, 0)])
        if endpoints is not None:
            printer.in_ep, printer.out_ep = endpoints

    def _ask(self, device, query: bytes, timeout: float) -> int | None:
        import usb.core

        if self._unasked(device):
            self._told = True
        device.write(self._printer.out_ep, query, int(self.timeout * 1000))
        try:
            reply = device.read(self._printer.in_ep, 64, timeout=max(1, int(timeout * 1000)))
        except usb.core.USBTimeoutError:
            return None
        return self._answer(bytes(reply))

    def _unasked(self, device) -> bytes:
        import usb.core

        waiting = bytearray()
        try:
            while chunk := device.read(self._printer.in_ep, 64, timeout=1):
                waiting += bytes(chunk)
        except usb.core.USBTimeoutError:
            pass
        return bytes(waiting)


def usb_backend_available() -> bool:
    """Whether pyusb finds a library to reach USB devices through (libusb 1.0, OpenUSB or libusb 0.1),
    the same search `usb.core.find` makes before it raises NoBackendError."""
    import usb.backend.libusb0
    import usb.backend.libusb1
    import usb.backend.openusb

    return any(
        backend.get_backend() is not None for backend in (usb.backend.libusb1, usb.backend.openusb, usb.backend.libusb0)
    )


def bulk_endpoints(interface) -> tuple[int, int] | None:
    """(in, out) addresses of the first bulk endpoints of a USB interface, or None if it lacks one.

    Printers differ (0x81/0x02, 0x82/0x01, 0x81/0x03 …); python-escpos assumes 0x82/0x01.
    """
    found: dict[str, int] = {}
    for endpoint in interface:
        if endpoint.bmAttributes & 0x03 != 0x02:
            continue
        direction = "in" if endpoint.bEndpointAddress & 0x80 else "out"
        found.setdefault(direction, endpoint.bEndpointAddress)
    if "in" in found and "out" in found:
        return found["in"], found["out"]
    return None


class FileLink(_EscposLink):
    """A device file such as /dev/usb/lp0 (the usblp kernel driver) or a plain file: write-only."""

    can_ask = False

    def __init__(self, connector: FileConnector):
        super().__init__(str(connector))
        self.connector = connector

    def _make(self):
        return _escpos.File(self.connector.path, auto_flush=True)

    def _ask(self, device, query: bytes, timeout: float) -> int | None:
        return None

    def told(self) -> bool:
        return False


class SimLink:
    """The in-process simulated printer: bytes go straight into it, answers come straight back."""

    can_ask = True

    def __init__(self, simulator: PrinterSimulator):
        self.name = "sim"
        self.simulator = simulator
        self.is_open = False

    def send(self, data: bytes) -> None:
        self.open()
        self.simulator.receive(data)

    def open(self) -> None:
        if not self.is_open:
            self.is_open = True
            self.simulator.receive(STATUS_BACK)

    def ask(self, query: bytes, timeout: float) -> int | None:
        self.open()
        reply = self.simulator.receive(query)
        return reply[0] if reply else None

    def told(self) -> bool:
        return self.is_open and bool(self.simulator.take_unasked())

    def close(self) -> None:
        self.is_open = False


def link_for(
    connector: Connector, *, status_timeout: float, simulator: PrinterSimulator | None = None, paper_mm: int = 80
) -> Link:
    """The link for a parsed connector; `sim` uses `simulator`, or a fresh one if none is given."""
    if isinstance(connector, TcpConnector):
        return TcpLink(connector)
    if isinstance(connector, SerialConnector):
        return SerialLink(connector, timeout=status_timeout)
    if isinstance(connector, UsbConnector):
        return UsbLink(connector)
    if isinstance(connector, FileConnector):
        return FileLink(connector)
    if isinstance(connector, SimConnector):
        if simulator is None:
            from .twin import SimulatedPrinter  # here, not above: the twin imports this package

            simulator = SimulatedPrinter(paper_mm=paper_mm)
        return SimLink(simulator)
    raise TypeError(f"not a printer connector: {connector!r}")
