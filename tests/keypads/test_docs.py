"""docs/counter-devices.md is the technician's guide: its keypad and its refusal table must be the
program's own, so a relegended keypad or a clerk's question is answered by the truth."""

from __future__ import annotations

import re
from pathlib import Path

from devices.caller import words
from devices.caller.keys import FUNCTIONS, LAYOUT

GUIDE = (Path(__file__).parents[2] / "docs" / "counter-devices.md").read_text(encoding="utf-8")


def test_the_drawn_keypad_is_the_programs_layout():
    drawing = GUIDE[GUIDE.index("┌") : GUIDE.index("┘") + 1]
    cells = [re.findall(r"│\s*([^│]+?)\s*(?=│)", row) for row in drawing.splitlines() if row.startswith("│")]
    legend = {k.name: f"{k.legend.zh} {k.keyboard}" for k in FUNCTIONS}
    legend.update({"enter": "确认 ⏎", "clear": "清除 ⌫"})
    expected = [[legend.get(name, name) for name in row] for row in LAYOUT]
    assert cells == expected


def test_every_refusal_the_keypad_names_is_in_the_guide():
    for code, zh in words.REFUSALS.items():
        if code in ("not_allowed", "bad_field", "malformed", "bad_reason", "bad_outcome"):
            continue  # the keypad never sends these wrong; the table lists what a clerk can meet
        assert code in GUIDE and zh in GUIDE, code


def test_every_menu_is_documented():
    for name in (
        "完成 finish",
        "暂停 pause",
        "转移 transfer",
        "复号 reinstate",
        "取回 resume held",
        "关闭 close",
        "登录 open",
    ):
        assert f"| {name} |" in GUIDE
