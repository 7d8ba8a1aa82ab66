"""`hall bench [group ...]`: run benchmark groups, print one table, write the same as JSON."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from benchmarks.figures import table, write_json

#: group -> module with `run() -> list[Figure]`; "" while the group is not built yet
GROUPS = {
    "engine": "benchmarks.engine",
    "mqtt": "benchmarks.mqtt",
    "controller": "benchmarks.busy_day",
    "kiosk": "benchmarks.kiosk",
    "display": "benchmarks.display",
    "district": "benchmarks.district",
    "district-live": "benchmarks.district_live",
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="hall bench", description=__doc__)
    parser.add_argument("groups", nargs="*", metavar="group", help=f"any of {', '.join(GROUPS)} (default: all)")
    parser.add_argument(
        "--json",
        type=Path,
        default=Path("var/bench/results.json"),
        help="where to write the figures (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    unknown = [g for g in args.groups if g not in GROUPS]
    if unknown:
        parser.error(f"there is no benchmark group {unknown[0]!r}")
    figures = []
    for group in args.groups or GROUPS:
        if not GROUPS[group]:
            print(f"(benchmark group {group!r} is not available yet)")
            continue
        print(f"running {group} …", flush=True)
        figures += importlib.import_module(GROUPS[group]).run()
    print(table(figures))
    write_json(figures, args.json)
    print(f"\nwritten to {args.json}")
    return 0
