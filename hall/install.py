"""`hall install ROLE`: put the hall's systemd units, udev rule and system user in place on a Pi
(or the hall server), from the files in `deploy/` of this checkout.

    hall install controller            # /etc/systemd/system/hall-controller.service, sysusers
    hall install kiosk --id K1         # hall-kiosk@.service, the printers' udev rule, no usblp
    hall install broker                # hall-broker.service (Mosquitto with `hall provision`'s config)
    hall install display --root DIR    # into DIR/etc/... instead of /etc (tests, image builds)

The units run `/opt/hall/suite/.venv/bin/hall`; installed from another place, the units name the
`hall` that runs this command instead. Credentials are never written into a unit: each unit loads
its device's file from /etc/hall/credentials/ with LoadCredential= (see docs/deploy.md). The
command changes nothing but files (no systemctl): it prints the commands that follow.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
SHIPPED_HALL = "/opt/hall/suite/.venv/bin/hall"

#: role -> (unit file, the files beyond it: (source under deploy/, target under the root))
ROLES: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "broker": ("hall-broker.service", []),
    "controller": ("hall-controller.service", [("sysusers.d/hall.conf", "etc/sysusers.d/hall.conf")]),
    "kiosk": (
        "hall-kiosk@.service",
        [
            ("sysusers.d/hall.conf", "etc/sysusers.d/hall.conf"),
            ("udev/60-hall-printers.rules", "etc/udev/rules.d/60-hall-printers.rules"),
            ("modprobe.d/hall-no-usblp.conf", "etc/modprobe.d/hall-no-usblp.conf"),
        ],
    ),
    "evaluator": ("hall-evaluator@.service", [("sysusers.d/hall.conf", "etc/sysusers.d/hall.conf")]),
    "caller": ("hall-caller@.service", [("sysusers.d/hall.conf", "etc/sysusers.d/hall.conf")]),
    "display": ("hall-display@.service", [("sysusers.d/hall.conf", "etc/sysusers.d/hall.conf")]),
}


class InstallError(RuntimeError):
    """The files cannot be put in place; one sentence."""


def install(role: str, root: Path, hall: str) -> list[Path]:
    """Write the role's files under `root`; the paths written."""
    if not DEPLOY.is_dir():
        raise InstallError(
            f"the deploy files are not beside this program ({DEPLOY}); run `hall install` from a "
            f"checkout of the hall suite"
        )
    unit, extra = ROLES[role]
    files = [(f"systemd/{unit}", f"etc/systemd/system/{unit}"), *extra]
    written = []
    for source, target in files:
        text = (DEPLOY / source).read_text(encoding="utf-8")
        if source.startswith("systemd/"):
            text = text.replace(SHIPPED_HALL, hall)
        path = root / target
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except OSError as e:
            raise InstallError(f"cannot write {path}: {e.strerror or e}") from None
        written.append(path)
    return written


def next_steps(role: str, device: str | None) -> list[str]:
    unit = ROLES[role][0]
    name = unit.replace("@", f"@{device or 'ID'}") if "@" in unit else unit
    steps = []
    if role != "broker":
        steps.append("systemd-sysusers")
    if role == "kiosk":
        steps.append("udevadm control --reload && udevadm trigger")
    steps += ["systemctl daemon-reload", f"systemctl enable --now {name}"]
    return steps


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="hall install", description=__doc__.split("\n\n")[0])
    p.add_argument("role", choices=list(ROLES), help="what this machine is in the hall")
    p.add_argument("--id", help="the device's id in the hall file (for the command that enables it)")
    p.add_argument(
        "--root",
        type=Path,
        default=Path("/"),
        help="install under this folder instead of / (an image being built, a test)",
    )
    p.add_argument(
        "--hall",
        default=None,
        help=f"the `hall` program the units run (default: {SHIPPED_HALL}, or this one if that does not exist)",
    )
    args = p.parse_args(argv)
    hall = args.hall or (
        SHIPPED_HALL
        if Path(SHIPPED_HALL).exists()
        else str(Path(sys.argv[0]).resolve() if Path(sys.argv[0]).name == "hall" else Path(sys.prefix) / "bin" / "hall")
    )
    try:
        written = install(args.role, args.root, hall)
    except InstallError as e:
        print(f"hall install: {e}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    print("then, as root:" if args.root == Path("/") else "on the machine itself, as root:")
    for step in next_steps(args.role, args.id):
        print(f"  {step}")
    return 0
