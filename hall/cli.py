"""`hall`: the one command. It only dispatches; each program parses its own arguments.

    hall <program> [arguments]     e.g. hall simulate --arrivals-per-hour 60 --counters 4 --json

Programs are imported only when run, so `hall --help` is instant and a program's heavy
libraries (pygame, escpos) load only where they are used. Each entry names the module and
function `main(argv) -> int`. A program whose piece of the hall is not built yet says so and
exits 2; none pretends to work.
"""

from __future__ import annotations

import importlib
import sys

#: program -> (module:function, one line of help). "" as target: not available yet.
PROGRAMS: dict[str, tuple[str, str]] = {
    "demo": ("simulators.demo:main", "the whole hall on this machine: broker, controller, simulated devices, crowd"),
    "controller": ("hall_controller.main:main", "the hall server: engine, journal and MQTT gateway"),
    "kiosk": ("devices.kiosk.main:main", "a ticket kiosk (buttons or touch menu, ESC/POS printer)"),
    "evaluator": ("devices.evaluator.main:main", "the four-button satisfaction keypad at a counter"),
    "caller": ("devices.caller.main:main", "the clerk's keypad at a counter"),
    "display": ("devices.display.main:main", "a calling screen (hall or counter mode) with voice"),
    "sim": ("simulators.cli:main", "drive simulated hardware: printers, buttons, screens, a crowd"),
    "simulate": ("simulators.simulate_cli:main", "fast simulation of a whole day on the engine, JSON results"),
    "plan": ("simulators.plan_cli:main", "staffing planner: the fewest counters per hour that meet the wait targets"),
    "report": ("hall_controller.report_cli:main", "satisfaction, waiting and staff reports (--json, --csv)"),
    "bench": ("benchmarks.run:main", "the benchmark suite: prints a table and writes JSON"),
    "user": ("hall_controller.users_cli:main", "the management web's users: add, list, passwd, remove"),
    "provision": (
        "hall_controller.provision:main",
        "per-device MQTT passwords and the ACL file for Mosquitto (--district: the bridge)",
    ),
    "district": (
        "district.web.main:main",
        "the district web: every hall live, cross-hall reports, follow-ups, fleet, accounts",
    ),
    "broker": ("hall_controller.broker:main", "start an MQTT broker for technicians"),
    "ship": ("district.ship_cli:main", "copy this hall's journal to the district's PostgreSQL (--status: how far)"),
    "restore": ("district.restore:main", "rebuild a hall's journal from the district copy"),
    "install": ("hall.install:main", "put the systemd units, udev rule and system user of a role in place"),
}


def usage() -> str:
    width = max(map(len, PROGRAMS))
    lines = ["usage: hall <program> [arguments]   (hall <program> --help for its arguments)", "", "programs:"]
    for name, (target, text) in PROGRAMS.items():
        lines.append(f"  {name:<{width}}  {text}{'' if target else '  [not available yet]'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in PROGRAMS:
        print(f"hall: there is no program {name!r}; run `hall --help` for the list", file=sys.stderr)
        return 2
    target = PROGRAMS[name][0]
    if not target:
        print(f"hall {name}: not available yet in this version of the hall suite", file=sys.stderr)
        return 2
    module, _, function = target.partition(":")
    try:
        return int(getattr(importlib.import_module(module), function)(rest) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
