"""The layers point one way (DESIGN.md, Layout): protocol/ imports nothing of ours; hall/ only
protocol/; the engine no I/O of ours; devices/ and drivers/ never the controller or the simulators;
the controller never the simulators; the district never the controller's engine
(only the web stack it is built on). Read from the
source's import statements, so a new import the wrong way fails here, not in review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = ("protocol", "hall", "hall_controller", "devices", "drivers", "simulators", "district", "benchmarks")

# package -> the packages of ours it may import (besides itself)
ALLOWED = {
    "protocol": set(),
    "hall": {"protocol"},
    "drivers": {"protocol", "hall"},
    "devices": {"protocol", "hall", "drivers"},
    "hall_controller": {"protocol", "hall"},
    "district": {"protocol", "hall"},
}
# the web serves the hall's shipped Chinese font to browsers: a file, not hardware
EXCEPTIONS = {
    "hall_controller": {"drivers.fonts"},
    # the district web is built on the hall web's stack (login, roles, CSRF, pages, server)
    # and, with no broker given, starts one as the controller does
    "district": {"hall_controller.web", "hall_controller.users_cli", "hall_controller.broker"},
}
ENGINE_MAY = {"protocol", "hall", "hall_controller.engine"}


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {f"{node.module}.{alias.name}" for alias in node.names}  # `from drivers import fonts`
    return {name for name in found if name.split(".")[0] in OURS}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_the_layers_below_it(package):
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in sorted(imports(path))
        if name.split(".")[0] not in ALLOWED[package] | {package}
        and not any(name == e or name.startswith(e + ".") for e in EXCEPTIONS.get(package, ()))
    ]
    assert wrong == []


def test_the_engine_imports_nothing_but_the_protocol_the_hall_file_and_itself():
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / "hall_controller" / "engine").rglob("*.py"))
        for name in sorted(imports(path))
        if not any(name == allowed or name.startswith(allowed + ".") for allowed in ENGINE_MAY)
    ]
    assert wrong == []


def test_the_session_does_no_io():
    """hall_controller/session.py is the controller's handling of messages, sans-I/O: the gateway
    owns the broker, the sockets and the thread; the time comes in as an argument."""
    path = ROOT / "hall_controller" / "session.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    assert found & {"paho", "socket", "select", "threading", "asyncio", "time"} == set()
    assert {
        name for name in imports(path) if name.startswith(("hall.clock", "hall.mqtt", "hall_controller.gateway"))
    } == set()
