"""Does every pinned dependency install on a Raspberry Pi (Pi OS Bookworm 64-bit: aarch64,
CPython 3.11, glibc 2.36)? `make pi-check` runs this on any machine with the package index.

For each requirement pinned in pyproject.toml (plus lgpio, which only the Pis install, see
docs/deploy.md), pip downloads what a Pi would install, with the dependencies pip resolves for
that platform, accepting only wheels: a `py3-none-any` wheel (pure Python) or one built for
aarch64 with a manylinux tag the Pi's glibc accepts. Nothing would be compiled on the Pi. It
prints one line per file and exits 1 naming each requirement that has no such wheel.

    python deploy/pi_wheels.py [--dest DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PI_ONLY = ["lgpio==0.2.2.0"]  # GPIO on the Pi (docs/deploy.md); not needed elsewhere
PYTHON = "3.11"  # Bookworm's python3
GLIBC_MINORS = (17, 24, 26, 27, 28, 31, 34, 35, 36)  # manylinux tags glibc 2.36 accepts
PLATFORMS = ["manylinux2014_aarch64", *(f"manylinux_2_{m}_aarch64" for m in GLIBC_MINORS), "linux_aarch64"]


def pinned(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    return list(project["dependencies"]) + PI_ONLY


def download(requirements: list[str], dest: Path, deps: bool = True) -> subprocess.CompletedProcess:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--dest",
        str(dest),
        "--only-binary=:all:",
        "--python-version",
        PYTHON,
        "--implementation",
        "cp",
        "--abi",
        "cp311",
        "--abi",
        "abi3",
        "--abi",
        "none",
        "--disable-pip-version-check",
    ]
    for platform in PLATFORMS:
        command += ["--platform", platform]
    if not deps:
        command.append("--no-deps")
    return subprocess.run(command + requirements, capture_output=True, text=True)


def kind(wheel: str) -> str:
    tags = wheel[: -len(".whl")].split("-")[-3:]
    if tags[2] == "any":
        return "pure Python"
    if "aarch64" in tags[2]:
        return f"aarch64 ({tags[1]}, {tags[2].split('.')[0]})"
    return f"UNUSABLE ({tags[2]})"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dest", type=Path, help="keep the wheels here (default: a temporary folder)")
    args = p.parse_args(argv)
    requirements = pinned()
    with tempfile.TemporaryDirectory() as tmp:
        dest = args.dest or Path(tmp)
        dest.mkdir(parents=True, exist_ok=True)
        whole = download(requirements, dest)
        missing = []
        if whole.returncode != 0:  # name the ones that fail, each on its own
            missing = [r for r in requirements if download([r], dest, deps=False).returncode != 0]
            if not missing:
                print(
                    whole.stderr.strip().splitlines()[-1] if whole.stderr.strip() else "pip download failed",
                    file=sys.stderr,
                )
                return 1
        wheels = sorted(w.name for w in dest.glob("*.whl"))
        for wheel in wheels:
            print(f"{kind(wheel):<36} {wheel}")
        bad = [w for w in wheels if kind(w).startswith("UNUSABLE")]
        for requirement in missing:
            print(f"no wheel for aarch64 / CPython {PYTHON}: {requirement}", file=sys.stderr)
        for wheel in bad:
            print(f"not for a Pi: {wheel}", file=sys.stderr)
        if missing or bad:
            return 1
        print(
            f"all {len(requirements)} pinned requirements ({len(wheels)} wheels with their dependencies) install "
            f"on aarch64, CPython {PYTHON}"
        )
        return 0


if __name__ == "__main__":
    sys.exit(main())
