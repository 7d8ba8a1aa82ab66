"""The one place python-escpos is imported, without its import-time side effects.

python-escpos 3.1 does two things when `escpos.capabilities` is imported (research §1):
it calls `logging.basicConfig()`, which adds a handler to the root logger so the program's own
logging setup is silently ignored, and it pickles its printer database into a fresh `mkdtemp()`
directory that is never removed (one per process: a kiosk restarted every night fills /tmp).
Setting `ESCPOS_CAPABILITIES_PICKLE_DIR` moves the pickle but does not stop the leak: the code
is `environ.get(NAME, mkdtemp())`, so the empty temp directory is made anyway. Here the pickle
goes to one fixed cache directory, written atomically first so several hall processes starting
together never read a half-written pickle; escpos' own `mkdtemp()` call is answered with that
directory instead of a new one; and any root handler the import added is taken away again.
Every other module of the printer driver imports escpos names from here.
"""

from __future__ import annotations

import importlib.resources
import json
import logging
import os
import pickle
import platform
import sys
import tempfile
from pathlib import Path

PICKLE_DIR_ENV = "ESCPOS_CAPABILITIES_PICKLE_DIR"


def _cache_dir() -> Path:
    """The directory for the capabilities pickle: the one given, else the user's cache."""
    given = os.environ.get(PICKLE_DIR_ENV)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        return path
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    for path in (base / "hall" / "escpos", Path(tempfile.gettempdir()) / f"hall-escpos-{os.getuid()}"):
        try:
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError:
            continue
        if os.access(path, os.W_OK):
            return path
    raise RuntimeError("no writable cache directory for the printer database; set " + PICKLE_DIR_ENV)


def _prime_pickle(directory: Path) -> None:
    """Write escpos' capabilities pickle once, atomically, where escpos will look for it."""
    target = directory / f"{platform.python_version()}.capabilities.pickle"
    source = importlib.resources.files("escpos") / "capabilities.json"
    with importlib.resources.as_file(source) as json_path:
        if target.exists() and target.stat().st_mtime >= json_path.stat().st_mtime:
            return
        capabilities = json.loads(json_path.read_text(encoding="utf-8"))
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            pickle.dump(capabilities, out, protocol=2)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def _import_quietly() -> None:
    directory = _cache_dir()
    os.environ[PICKLE_DIR_ENV] = str(directory)
    _prime_pickle(directory)
    root = logging.getLogger()
    before = list(root.handlers)
    real_mkdtemp = tempfile.mkdtemp

    def mkdtemp(*args, **kwargs):
        if sys._getframe(1).f_globals.get("__name__") == "escpos.capabilities":
            return str(directory)
        return real_mkdtemp(*args, **kwargs)

    tempfile.mkdtemp = mkdtemp  # read by escpos.capabilities' `from tempfile import mkdtemp`
    try:
        import escpos.capabilities  # noqa: F401  (the import with the side effects)
    finally:
        tempfile.mkdtemp = real_mkdtemp
    for handler in root.handlers[:]:
        if handler not in before:
            root.removeHandler(handler)


_import_quietly()

from escpos import constants  # noqa: E402
from escpos.escpos import Escpos  # noqa: E402
from escpos.exceptions import DeviceNotFoundError  # noqa: E402
from escpos.printer import Dummy, File, Network, Serial, Usb  # noqa: E402

__all__ = ["DeviceNotFoundError", "Dummy", "Escpos", "File", "Network", "Serial", "Usb", "constants"]
