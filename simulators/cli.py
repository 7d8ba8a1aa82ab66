"""`hall sim <what>`: simulated hardware for technicians and for the demo.

hall sim printer --out DIR        a printer on TCP or a serial pty that saves each ticket as PNG
hall sim kiosk --id K1            a kiosk on simulated buttons and a simulated printer
hall sim evaluator --id E3        an evaluator on simulated keys, its LEDs drawn in the terminal
hall sim caller --id C3           a clerk's keypad in the terminal
hall sim display [--id D1]        a calling screen in a window (or PNG frames)
hall sim press DEVICE KEY         press a key on a running simulated device (K1 A, E3 4, C3 call)
hall sim crowd                    citizens and clerks for a running hall (what `hall demo` runs)
"""

from __future__ import annotations

import importlib
import sys

SIMULATORS = {
    "printer": "simulators.printer_cli:main",
    "kiosk": "simulators.kiosk:main",
    "evaluator": "simulators.evaluator:main",
    "caller": "simulators.caller:main",
    "display": "simulators.display:main",
    "press": "simulators.control:press_main",
    "crowd": "simulators.crowd:main",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    target = SIMULATORS.get(argv[0])
    if target is None:
        print(f"hall sim: there is no simulator {argv[0]!r}; one of {', '.join(SIMULATORS)}", file=sys.stderr)
        return 2
    if not target:
        print(f"hall sim {argv[0]}: not available yet in this version of the hall suite", file=sys.stderr)
        return 2
    module, _, function = target.partition(":")
    return int(getattr(importlib.import_module(module), function)(argv[1:]) or 0)
