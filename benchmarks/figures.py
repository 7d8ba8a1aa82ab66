"""A measured figure, its target from DESIGN.md, and the table `hall bench` prints."""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Figure:
    group: str
    name: str
    value: float
    unit: str
    target: str = ""  # as DESIGN.md states it, e.g. "≥ 50,000" or "≤ 1.5×"
    met: bool | None = None  # None: a figure without a target (context for the others)


def table(figures: list[Figure]) -> str:
    rows = [("group", "figure", "value", "target", "met")]
    for f in figures:
        value = f"{f.value:,.0f}" if abs(f.value) >= 100 else f"{f.value:,.3g}"
        rows.append(
            (f.group, f.name, f"{value} {f.unit}".strip(), f.target, {True: "yes", False: "NO", None: ""}[f.met])
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_json(figures: list[Figure], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "machine": {
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                    "processor": platform.machine(),
                },
                "figures": [asdict(f) for f in figures],
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
