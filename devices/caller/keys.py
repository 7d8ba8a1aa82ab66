"""The clerk's keypad: 20 keys, digits and functions, and the keyboard letters that stand for them.

    ┌────────┬────────┬────────┬────────┐
    │ 登录 o  │ 暂停 p  │ 转移 t  │ 关闭 c  │   sign in · pause/resume · transfer · close
    ├────────┼────────┼────────┼────────┤
    │   7    │   8    │   9    │ 呼叫 n  │   call next
    ├────────┼────────┼────────┼────────┤
    │   4    │   5    │   6    │ 重呼 r  │   recall
    ├────────┼────────┼────────┼────────┤
    │   1    │   2    │   3    │ 开始 s  │   start (the citizen has arrived)
    ├────────┼────────┼────────┼────────┤
    │ 清除 ⌫  │   0    │ 确认 ⏎  │ 完成 f  │   clear · confirm · finish
    ├────────┼────────┼────────┼────────┤
    │ 过号 x  │ 挂起 h  │ 取回 u  │ 复号 i  │   no-show · hold · resume held · reinstate
    └────────┴────────┴────────┴────────┘

The right-hand column is what a clerk presses all day (call, recall, start, finish) within reach of
the thumb; the digits sit where every numeric keypad has them; the keys that change the counter
(sign in, pause, transfer, close) are on the top row, away from the rest. A programmable USB
keypad with 20 keys types the letters shown (Enter and Backspace for confirm and clear), so the
same program serves a clerk's PC keyboard and a keypad; relegend its keycaps from this table.

Scripts and `hall sim press C3 …` name keys by the words in `KEYS` (`call`, `finish`, `5`, `enter`).
"""

from __future__ import annotations

from dataclasses import dataclass

from hall.config import Names


class UnknownKey(ValueError):
    """A key name or keyboard letter that is not on the clerk's keypad."""


@dataclass(frozen=True)
class Key:
    name: str  # what scripts and the program call it
    legend: Names  # what the keycap says
    keyboard: str  # the key that types it on a PC keyboard (or a programmed keypad)


FUNCTIONS = (
    Key("open", Names("登录", "Sign in"), "o"),
    Key("pause", Names("暂停", "Pause/Resume"), "p"),
    Key("transfer", Names("转移", "Transfer"), "t"),
    Key("close", Names("关闭", "Close"), "c"),
    Key("call", Names("呼叫", "Call next"), "n"),
    Key("recall", Names("重呼", "Recall"), "r"),
    Key("start", Names("开始", "Start"), "s"),
    Key("finish", Names("完成", "Finish"), "f"),
    Key("no_show", Names("过号", "No-show"), "x"),
    Key("hold", Names("挂起", "Hold"), "h"),
    Key("resume_held", Names("取回", "Resume held"), "u"),
    Key("reinstate", Names("复号", "Reinstate"), "i"),
    Key("enter", Names("确认", "Confirm"), "\r"),
    Key("clear", Names("清除", "Clear"), "\x7f"),
)
DIGITS = tuple(Key(str(d), Names(str(d), str(d)), str(d)) for d in range(10))
KEYS: dict[str, Key] = {k.name: k for k in FUNCTIONS + DIGITS}

LAYOUT = (  # the keypad, row by row, by key name
    ("open", "pause", "transfer", "close"),
    ("7", "8", "9", "call"),
    ("4", "5", "6", "recall"),
    ("1", "2", "3", "start"),
    ("clear", "0", "enter", "finish"),
    ("no_show", "hold", "resume_held", "reinstate"),
)

ALIASES = {
    "next": "call",
    "call_next": "call",
    "ok": "enter",
    "confirm": "enter",
    "noshow": "no_show",
    "no-show": "no_show",
    "skip": "no_show",
    "resume-held": "resume_held",
    "unhold": "resume_held",
    "signin": "open",
    "sign_in": "open",
    "login": "open",
    "backspace": "clear",
    "cancel": "clear",
    "arrived": "start",
    "done": "finish",
}

#: keyboard character -> key name. Capital letters are not keys: they are typed as text where a
#: staff number or a ticket number is entered ("S005", "A017").
KEYBOARD: dict[str, str] = {k.keyboard: k.name for k in FUNCTIONS + DIGITS}
KEYBOARD.update({"\n": "enter", "\b": "clear", "\x1b": "clear"})

#: text a key name may also be: a capital letter typed into a staff or ticket number
TEXT_KEYS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def key_name(text: str) -> str:
    """The key a script names: "call", "5", "enter", an alias ("next", "ok"), or a capital letter."""
    if len(text) == 1 and text in TEXT_KEYS:
        return text
    name = text.strip().lower()
    name = ALIASES.get(name, name)
    if name not in KEYS:
        raise UnknownKey(f"there is no key {text!r} on the clerk's keypad; keys: {', '.join(KEYS)}")
    return name


def from_keyboard(char: str) -> str | None:
    """The key a typed character stands for (None: not a key)."""
    if char in TEXT_KEYS:
        return char
    return KEYBOARD.get(char)
