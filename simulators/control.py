"""How `hall sim press K1 A` reaches a simulated device running in another process.

Every simulated device (kiosk, evaluator, caller) listens on a Unix socket named after its device
id in one folder per user (`$XDG_RUNTIME_DIR/hall-sim`, else `/tmp/hall-sim-<uid>`, mode 0700).
A command is one line of text; the answer is one line starting with `ok` or `error`:

    press A          ->  ok ticket A023 printed
    press 4          ->  ok rating 4 given
    press call       ->  error nobody is waiting for counter 3

`ControlServer(device, handler)` runs the socket on a thread and calls `handler(words) -> str`
for each line (raising `ControlError` gives an `error` answer); `send(device, line)` is the
client side. Only the user who started the simulator can reach it.
"""

from __future__ import annotations

import os
import socket
import socketserver
import threading
from pathlib import Path
from typing import Callable

TIMEOUT_S = 10.0


class ControlError(Exception):
    """A command a simulated device cannot carry out; its message is the answer's text."""


def folder() -> Path:
    base = os.environ.get("XDG_RUNTIME_DIR")
    path = Path(base) / "hall-sim" if base else Path(f"/tmp/hall-sim-{os.getuid()}")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def socket_path(device: str) -> Path:
    return folder() / f"{device}.sock"


class ControlServer:
    def __init__(self, device: str, handler: Callable[[list[str]], str]):
        self.path = socket_path(device)
        if self.path.exists():
            if _answers(self.path):
                raise ControlError(f"a simulated {device} is already running")
            self.path.unlink()
        handle = handler

        class Line(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                words = self.rfile.readline().decode("utf-8", "replace").split()
                try:
                    answer = "ok " + handle(words) if words else "error empty command"
                except ControlError as e:
                    answer = f"error {e}"
                self.wfile.write((answer.strip() + "\n").encode())

        self._server = socketserver.ThreadingUnixStreamServer(str(self.path), Line)
        self._server.daemon_threads = True
        os.chmod(self.path, 0o600)
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"control-{device}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> ControlServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def send(device: str, line: str, timeout: float = TIMEOUT_S) -> str:
    """Send one command to a running simulated device; its answer, or ControlError."""
    path = socket_path(device)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(path))
            s.sendall(line.strip().encode() + b"\n")
            answer = s.makefile("rb").readline().decode().strip()
    except (FileNotFoundError, ConnectionRefusedError):
        raise ControlError(f"no simulated {device} is running (start it with `hall sim ...`)") from None
    except socket.timeout:
        raise ControlError(f"simulated {device} did not answer within {timeout:g} s") from None
    status, _, text = answer.partition(" ")
    if status != "ok":
        raise ControlError(text or "the simulator refused the command")
    return text


def _answers(path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(1)
            s.connect(str(path))
            return True
    except OSError:
        return False
