"""How scripts reach a running simulated device: a local control socket, and `hall sim press`.

    hall sim evaluator --id E3 …      # listens on CONTROL_DIR/E3.sock (kiosks and callers alike)
    hall sim press K1 A               # presses the button of service A on the simulated kiosk K1
    hall sim press E3 4               # presses 4 (非常满意) on it, prints what it shows afterwards
    hall sim press C3 call            # presses "call" on the simulated caller C3
    hall sim press C3 open S 0 0 5 enter
    hall sim press E3 show            # presses nothing, prints what it shows
    hall sim press --json C3 call     # the same press; prints the device's state as one JSON object

Each running simulator listens on a Unix stream socket named after its device id, in the control
directory: `--control DIR`, else HALL_SIM_DIR, else $XDG_RUNTIME_DIR/hall-sim, else
/tmp/hall-sim-UID (made private to the user, 0700). A Unix socket needs no port, cannot be reached
from another machine, and its file permissions decide who may press.

The conversation is one line each way and more lines back: the client sends the words after the
device id (UTF-8, at most 1 KiB, ending in a newline); the simulator presses the keys one after
another, each handled by the device program before the next (a caller's request answered or timed
out), and answers `ok` or `error: <sentence>` on the first line, then what the device shows now,
and closes. `hall sim press` prints that and exits 0 (ok), 1 (the simulator refused the keys), or
2 (no simulator is running, or it did not answer).

A program asks for the device's state instead of its screen by sending `--json` before the keys:
the answer is `ok` and one line, a JSON object the simulator builds from the device program's own
state (`state` of the simulator's control adapter: the kiosk's presses and the tickets they
printed, the caller's counter and ticket, the evaluator's prompt), with the screen's lines under
"screen" for a person reading along. The crowd reads devices this way, never by parsing screens.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

MAX_LINE = 1024
ANSWER_TIMEOUT_S = 30.0
ENV_DIR = "HALL_SIM_DIR"
JSON_WORD = "--json"  # first word of a request: answer with the device's state as JSON


class ControlError(Exception):
    """The keys cannot be pressed (unknown key, nothing to press); the message is for the person."""


class NoSimulator(Exception):
    """No simulator answers for that device."""


def control_dir(explicit: Path | None = None) -> Path:
    """Where the control sockets live (see the module docstring); made 0700 if missing."""
    if explicit is not None:
        path = explicit
    elif os.environ.get(ENV_DIR):
        path = Path(os.environ[ENV_DIR])
    elif os.environ.get("XDG_RUNTIME_DIR"):
        path = Path(os.environ["XDG_RUNTIME_DIR"]) / "hall-sim"
    else:
        path = Path(tempfile.gettempdir()) / f"hall-sim-{os.getuid()}"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def socket_path(directory: Path, device: str) -> Path:
    return directory / f"{device}.sock"


class ControlServer:
    """Listens on `path` and answers each connection with `handle(words) -> lines` on a thread of
    its own; `handle` raises ControlError for keys it refuses. With `state`, a request starting
    with `--json` is pressed the same way and answered with `state()` (plus the screen's lines) as
    one JSON line. Close it to remove the socket."""

    def __init__(
        self, path: Path, handle: Callable[[list[str]], list[str]], state: Callable[[], dict[str, Any]] | None = None
    ) -> None:
        self.path, self.handle, self.state = path, handle, state
        if path.exists() or path.is_symlink():
            if _answers(path):
                raise ControlError(f"a simulator is already running for {path.stem} ({path})")
            path.unlink()  # left behind by a simulator that was killed
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._sock.bind(str(path))
            os.chmod(path, 0o600)
            self._sock.listen(8)
        except OSError as e:
            self._sock.close()
            raise ControlError(f"cannot listen on {path}: {e.strerror or e}") from None
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"control-{path.stem}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        self._thread.join(2.0)
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> ControlServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5.0)
                try:
                    line = _read_line(conn)
                    if not line.strip():
                        continue  # a probe (is anyone listening?) or a client that said nothing
                    try:
                        answer = ["ok", *self._answer(line.split())]
                    except ControlError as e:
                        answer = [f"error: {e}"]
                    conn.sendall(("\n".join(answer) + "\n").encode("utf-8"))
                except (OSError, ValueError):
                    continue  # the client went away or sent rubbish: nothing was pressed

    def _answer(self, words: list[str]) -> list[str]:
        if words[0] != JSON_WORD:
            return self.handle(words)
        if self.state is None:
            raise ControlError(f"the simulator of {self.path.stem} has no state to give as JSON")
        screen = self.handle(words[1:])
        return [json.dumps({**self.state(), "screen": screen}, ensure_ascii=False)]


def _read_line(conn: socket.socket) -> str:
    data = b""
    while b"\n" not in data:
        chunk = conn.recv(MAX_LINE)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_LINE:
            raise ValueError("line too long")
    return data.split(b"\n", 1)[0].decode("utf-8")


def _answers(path: Path) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(1.0)
        probe.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        probe.close()


def send(directory: Path, device: str, words: list[str], timeout: float = ANSWER_TIMEOUT_S) -> tuple[bool, list[str]]:
    """Ask the simulator of `device` to press `words`; (ok, lines it answered). Raises NoSimulator."""
    path = socket_path(directory, device)
    text = " ".join(words)
    if "\n" in text or len(text.encode()) >= MAX_LINE:
        raise ControlError("the keys must fit on one line of less than 1 KiB")
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(timeout)
    try:
        try:
            conn.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError):
            raise NoSimulator(
                f"no simulated device {device} is running (nothing listens on {path}); start one "
                f"with `hall sim kiosk|evaluator|caller --id {device}`"
            ) from None
        conn.sendall((text + "\n").encode("utf-8"))
        data = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    except TimeoutError:
        raise NoSimulator(f"the simulator of {device} did not answer within {timeout:g} s") from None
    finally:
        conn.close()
    lines = data.decode("utf-8", errors="replace").splitlines()
    if not lines:
        raise NoSimulator(f"the simulator of {device} closed the connection without an answer")
    return lines[0] == "ok", lines[1:] if lines[0] == "ok" else [lines[0].removeprefix("error: ")]


def ask(directory: Path, device: str, words: list[str], timeout: float = ANSWER_TIMEOUT_S) -> dict[str, Any]:
    """Press `words` on `device` and get its state after (see the module docstring). Raises
    ControlError with the simulator's sentence when it refuses the keys, NoSimulator as `send`."""
    ok, lines = send(directory, device, [JSON_WORD, *words], timeout)
    if not ok:
        raise ControlError(lines[0])
    try:
        state = json.loads(lines[0]) if len(lines) == 1 else None
    except ValueError:
        state = None
    if not isinstance(state, dict):
        raise NoSimulator(f"the simulator of {device} did not answer with a JSON object")
    return state


def press_main(argv: list[str] | None = None) -> int:
    """`hall sim press DEVICE KEY…`: press keys on a running simulated kiosk, evaluator or caller."""
    p = argparse.ArgumentParser(prog="hall sim press", description=press_main.__doc__.split(": ", 1)[1])
    p.add_argument("device", help="the simulated device's id, e.g. K1, E3 or C3")
    p.add_argument(
        "keys",
        nargs="+",
        help="kiosk: a service prefix or id, priority, or a command (paper out, "
        "status, …); evaluator: 4 3 2 1; caller: key names (call, finish, 5, "
        "enter, …); show: press nothing, print what it shows",
    )
    p.add_argument("--control", type=Path, help="the simulators' control directory (default: HALL_SIM_DIR, …)")
    p.add_argument("--timeout", type=float, default=ANSWER_TIMEOUT_S, help="seconds to wait for the answer")
    p.add_argument("--json", action="store_true", help="print the device's state after the keys as one JSON object")
    args = p.parse_args(argv)
    try:
        ok, lines = send(
            control_dir(args.control), args.device, ([JSON_WORD] if args.json else []) + args.keys, args.timeout
        )
    except ControlError as e:
        print(f"hall sim press: {e}", file=sys.stderr)
        return 1
    except (NoSimulator, OSError) as e:
        print(f"hall sim press: {e}", file=sys.stderr)
        return 2
    if not ok:
        print(f"hall sim press: {lines[0]}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0
