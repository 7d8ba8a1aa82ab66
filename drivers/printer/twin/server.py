"""The twin's wires: a TCP server on 127.0.0.1 (like a LAN printer on port 9100) and a serial pty.

Each runs one background thread that moves bytes between its file descriptors and the twin's
`receive`, and sends back its answers and whatever it tells unasked (Automatic Status Back).
They know nothing of ESC/POS; the kiosk reaches them through the real python-escpos links
(`tcp:…`, `serial:…`), so a test over them exercises the same code as a real printer does.
"""

from __future__ import annotations

import os
import selectors
import socket
import threading
import tty

from .device import SimulatedPrinter


class _Pump:
    """One background thread moving bytes between file descriptors and the printer."""

    def __init__(self, printer: SimulatedPrinter):
        self.printer = printer
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._stopping = False
        printer.on_unasked(self._wake)

    def start(self):
        self._thread.start()
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        if self._thread.is_alive():
            self._stopping = True
            self._wake_w.send(b"x")
            self._thread.join(timeout=5)
        for key in list(self._selector.get_map().values()):
            self._forget(key.fileobj)
        self._selector.close()
        self._wake_w.close()

    def _forget(self, fileobj) -> None:
        self._selector.unregister(fileobj)
        if isinstance(fileobj, socket.socket):
            fileobj.close()

    def _run(self) -> None:
        while not self._stopping:
            for key, _ in self._selector.select():
                if key.data is None:  # woken: stopping, or the printer has something to say unasked
                    self._wake_r.recv(4096)
                    self._tell(self.printer.take_unasked())
                    continue
                key.data(key.fileobj)

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"t")
        except OSError:  # closed: nobody to tell
            pass

    def _tell(self, data: bytes) -> None:
        """Send what the printer says unasked (Automatic Status Back) to whoever is connected."""


class TcpPrinterServer(_Pump):
    """The simulated printer listening on 127.0.0.1:port (0: a free port), like a LAN printer on 9100."""

    def __init__(self, printer: SimulatedPrinter, port: int = 0, host: str = "127.0.0.1"):
        self._listener = socket.create_server((host, port))  # first: if the port is taken, nothing to undo
        super().__init__(printer)
        self._listener.setblocking(False)
        self.host, self.port = self._listener.getsockname()[:2]
        self._selector.register(self._listener, selectors.EVENT_READ, self._accept)
        self.start()

    @property
    def connector(self) -> str:
        return f"tcp:{self.host}:{self.port}"

    def _accept(self, listener: socket.socket) -> None:
        try:
            conn, _ = listener.accept()
        except BlockingIOError:
            return
        conn.setblocking(True)
        conn.settimeout(5)
        self._selector.register(conn, selectors.EVENT_READ, self._read)

    def _tell(self, data: bytes) -> None:
        for key in list(self._selector.get_map().values()):
            if key.data == self._read and data:
                try:
                    key.fileobj.sendall(data)
                except OSError:
                    self._forget(key.fileobj)

    def _read(self, conn: socket.socket) -> None:
        try:
            data = conn.recv(65536)
        except OSError:
            data = b""
        if not data:
            self._forget(conn)
            return
        reply = self.printer.receive(data) + self.printer.take_unasked()
        if reply:
            try:
                conn.sendall(reply)
            except OSError:
                self._forget(conn)


class SerialPrinterPort(_Pump):
    """The simulated printer at the far end of a pty: the kiosk opens `device` as a serial port."""

    def __init__(self, printer: SimulatedPrinter, baudrate: int = 115200):
        super().__init__(printer)
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        tty.setraw(self._slave)  # no line discipline: binary bytes pass as they are
        os.set_blocking(self._master, False)
        self.device = os.ttyname(self._slave)
        self.baudrate = baudrate
        self._selector.register(self._master, selectors.EVENT_READ, self._read)
        self.start()

    @property
    def connector(self) -> str:
        return f"serial:{self.device}@{self.baudrate}"

    def _read(self, fd: int) -> None:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        self._write(self.printer.receive(data) + self.printer.take_unasked())

    def _tell(self, data: bytes) -> None:
        self._write(data)

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self._master, view) :]
            except BlockingIOError:
                continue
            except OSError:  # closed
                return

    def close(self) -> None:
        super().close()
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
