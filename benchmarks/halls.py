"""The hall the benchmarks run: shaped like examples/hall.toml, with room for millions of numbers.

One description, two uses: `config.parse(raw())` for in-process benchmarks, and `toml(raw())`
written to a file for benchmarks that start a real controller process.
"""

from __future__ import annotations

import json

SERVICES = ("social", "property", "fund", "tax", "business")
SKILLS = [
    (["social"], ["fund"]),
    (["social"], ["tax"]),
    (["social", "fund"], []),
    (["property"], ["business"]),
    (["property"], []),
    (["fund"], ["social"]),
    (["tax"], ["social"]),
    (["tax", "business"], []),
    (["business"], ["property"]),
    (["social", "fund", "tax"], ["property", "business"]),
]
KIOSKS = ("K1", "K2", "K3", "K4")


def raw() -> dict:
    services = [
        {"id": s, "prefix": p, "name": {"zh": s, "en": s}, "numbers": [1, 999_999], "reset": "never"}
        for s, p in zip(SERVICES, "ABCDE")
    ]
    counters = [{"number": i + 1, "primary": p, "backup": b} for i, (p, b) in enumerate(SKILLS)]
    counters[-1].update(classes=["priority", "appointment"], class_mode="first")
    return {
        "hall": {"id": "bench", "name": {"zh": "基准大厅", "en": "Bench hall"}},
        "services": services,
        "counters": counters,
        "kiosks": [{"id": k, "services": list(SERVICES)} for k in KIOSKS],
        "callers": [{"id": f"C{n}", "counter": n} for n in range(1, 11)],
        "evaluators": [{"id": f"E{n}", "counter": n} for n in range(1, 11)],
        "displays": [{"id": "D1"}],
    }


def toml(description: dict) -> str:
    """TOML for the subset `raw()` uses: tables, arrays of tables, scalars, lists, inline tables."""
    lines = []
    for key, value in description.items():
        rows = value if isinstance(value, list) else [value]
        for row in rows:
            lines.append(f"[[{key}]]" if isinstance(value, list) else f"[{key}]")
            lines += [f"{k} = {_value(v)}" for k, v in row.items()]
            lines.append("")
    return "\n".join(lines)


def _value(v) -> str:
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)
