"""The clerk's screen: the counter's state in, text lines out; and a painter for a small LCD.

`screen_lines(state, hall)` is a pure function: the same state always gives the same lines, each
with a style (title, ticket, info, ok, refused, error, hint, mode, keys) that a terminal shows in
colour and `paint` shows on a small screen. Lines are kept to about 44 columns (a Chinese
character counts two) so they fit an 80-column terminal beside the log and a 480×320 panel.

What the clerk sees, top to bottom: the counter and its state (open, paused and why, closed; the
signed-in clerk; offline when the link is down), the ticket at the counter and its state, how
many wait for this counter and which tickets are held here, what just happened (or why the
controller refused, in its own words), the menu or entry of the current key, and on a keyboard
the letters of the function keys.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from devices.caller import words
from devices.caller.keys import KEYS
from devices.caller.machine import CallerState, Mode
from hall.config import OUTCOMES, PAUSE_REASONS, Hall
from protocol.envelope import parse_ts

WIDTH = 44
KEY_HINT_ORDER = (
    "call",
    "recall",
    "start",
    "finish",
    "no_show",
    "hold",
    "resume_held",
    "transfer",
    "pause",
    "reinstate",
    "open",
    "close",
)
PREFIX = {"ok": "", "refused": "× ", "error": "! ", "hint": "· "}


@dataclass(frozen=True)
class Line:
    text: str
    style: str


def screen_lines(state: CallerState, hall: Hall, *, keyboard: bool = True) -> list[Line]:
    counter = hall.counters[state.counter]
    view = state.view
    out: list[Line] = []
    title = f"{counter.names.zh} {counter.names.en}"
    if view is None:
        out.append(Line(title, "title"))
        out.append(Line("正在连接控制器… connecting to the controller", "info"))
    else:
        st = words.COUNTER_STATES.get(view.get("state", ""), None)
        head = f"{st.zh} {st.en}" if st else str(view.get("state"))
        if view.get("state") == "paused" and view.get("reason") in words.PAUSE:
            reason = words.PAUSE[view["reason"]]
            head += f"({reason.zh} {reason.en})"
        out.append(Line(title, "title"))
        clerk = f" · 工号 {view['clerk']}" if view.get("clerk") else ""
        out.append(Line(head + clerk, "title"))
        out += _ticket(view, hall)
        held = view.get("held") or []
        info = f"等候 Waiting {view.get('waiting', 0)}"
        if held:
            info += " · 挂起 Held " + " ".join(held)
        out.append(Line(info, "info"))
    if not state.online:
        out.append(Line(f"⚠ {words.OFFLINE.zh} {words.OFFLINE.en}", "error"))
    elif not state.controller_online:
        out.append(Line(f"⚠ {words.CONTROLLER_DOWN.zh} {words.CONTROLLER_DOWN.en}", "error"))
    if state.busy is not None:
        out.append(Line("… 等待控制器 waiting for the controller", "hint"))
    elif state.notice is not None:
        n = state.notice
        one = f"{PREFIX.get(n.tone, '')}{n.text.zh} · {n.text.en}"
        if columns(one) <= WIDTH:
            out.append(Line(one, n.tone))
        else:
            out.append(Line(PREFIX.get(n.tone, "") + n.text.zh, n.tone))
            out += [Line(t, n.tone) for t in _wrap(n.text.en.split(" "), sep=" ", indent="  ")]
    out += _mode(state, hall)
    if keyboard and state.mode is Mode.READY:
        out += [Line(t, "keys") for t in _wrap([f"{KEYS[k].keyboard}{KEYS[k].legend.zh}" for k in KEY_HINT_ORDER])]
    return out


def _ticket(view, hall: Hall) -> list[Line]:
    """The ticket at the counter, large, and its service under it."""
    ticket = view.get("ticket")
    if not ticket:
        return [Line("当前无号 no ticket", "ticket")]
    st = words.TICKET_STATES.get(ticket.get("state", ""))
    state = f"{st.zh} {st.en}" if st else ticket.get("state", "")
    text = f"{ticket.get('label', '?')} · {state}"
    if ticket.get("recalls") and ticket.get("state") == "called":
        text += f" ({ticket['recalls']})"
    out = [Line(text, "ticket")]
    service = hall.services.get(ticket.get("service", ""))
    if service is not None:
        out.append(Line(f"{service.names.zh} {service.names.en}", "info"))
    if ticket.get("state") == "called":
        out.append(_announced(ticket, hall))
    return out


def _announced(ticket: dict, hall: Hall) -> Line:
    """Whether the hall has heard the call yet: a no-show can only be marked once it has."""
    heard = ticket.get("announced")
    if not heard:
        return Line(f"{words.NOT_ANNOUNCED.zh} {words.NOT_ANNOUNCED.en}", "hint")
    try:
        at = parse_ts(heard).astimezone(hall.tz).strftime("%H:%M:%S")
    except ValueError:
        at = "?"
    said = words.RECALL_ANNOUNCED if ticket.get("recalls") else words.ANNOUNCED
    return Line(f"{said.zh} {at} · {said.en}", "info")


def _mode(state: CallerState, hall: Hall) -> list[Line]:
    mode, entry = state.mode, state.entry
    services = list(hall.services.values())[:9]
    if mode is Mode.READY:
        return []
    if mode is Mode.SIGN_IN:
        lines = [f"登录 工号 Staff no: {entry}_", "确认 confirm · 清除 clear"]
    elif mode is Mode.PAUSE:
        lines = ["暂停原因 Pause reason:"] + _wrap(
            [f"{i} {words.PAUSE[r].zh} {words.PAUSE[r].en}" for i, r in enumerate(PAUSE_REASONS, 1)]
        )
    elif mode is Mode.FINISH:
        lines = ["办结结果 Outcome (确认 = 1):"] + _wrap(
            [f"{i} {words.OUTCOME[o].zh}" for i, o in enumerate(OUTCOMES, 1)]
        )
    elif mode is Mode.TRANSFER_SERVICE:
        lines = (
            ["转移到业务 Transfer to service:"]
            + _wrap([f"{i} {s.prefix} {s.names.zh}" for i, s in enumerate(services, 1)])
            + ["再按转移: 转到窗口 (counter)"]
        )
    elif mode is Mode.TRANSFER_COUNTER:
        lines = [f"转移到窗口 Transfer to counter: {entry}_", "确认 confirm · 再按转移: 转到业务 (service)"]
    elif mode is Mode.REINSTATE:
        lines = [f"复号 Reinstate ticket: {entry}_"]
        if not entry:
            lines += _wrap([f"{i}={s.prefix}" for i, s in enumerate(services, 1)])
        lines.append("确认 confirm · 清除 clear")
    elif mode is Mode.PRIORITY:
        lines = [f"优先申请 Priority request, ticket: {entry}_"]
        if not entry:
            lines += _wrap([f"{i}={s.prefix}" for i, s in enumerate(services, 1)])
        lines.append("确认 confirm · 清除 clear")
    elif mode is Mode.PRIORITY_DECIDE:
        lines = [f"优先申请 Priority request {entry}:", "1 确认优先 confirm (确认 = 1) · 2 不予优先 refuse"]
    elif mode is Mode.RESUME_HELD:
        held = list(state.view.get("held", [])) if state.view else []
        lines = ["取回挂起的号 Resume held (确认 = 1):"] + _wrap(
            [f"{i} {label}" for i, label in enumerate(held[:9], 1)]
        )
    elif mode is Mode.CLOSE:
        lines = ["关闭窗口? Close the counter?", "确认 confirm · 其他键 keep open"]
    else:
        lines = []
    return [Line(t, "mode") for t in lines]


def columns(text: str) -> int:
    """Terminal columns `text` takes: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _wrap(items: Iterable[str], *, sep: str = "  ", indent: str = "", width: int = WIDTH) -> list[str]:
    lines: list[str] = []
    current = ""
    for item in items:
        candidate = f"{current}{sep}{item}" if current else f"{indent}{item}"
        if current and columns(candidate) > width:
            lines.append(current)
            current = f"{indent}{item}"
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


# --- a small screen (480x320 LCD, or a window on the clerk's PC) ---------------------------------

COLOURS = {
    "title": (242, 246, 252),
    "ticket": (255, 208, 64),
    "info": (158, 226, 255),
    "ok": (96, 226, 186),
    "refused": (255, 128, 96),
    "error": (255, 96, 96),
    "hint": (200, 200, 160),
    "mode": (242, 246, 252),
    "keys": (140, 150, 170),
}
BACKGROUND = (7, 22, 44)
TICKET_SCALE = 1.7  # the ticket at the counter: the line the clerk looks for


def paint(lines: list[Line], size: tuple[int, int] = (480, 320)):
    """The lines drawn on a `size` surface with the hall's font: one pygame Surface, nothing shown."""
    import pygame

    width, height = size
    surface = pygame.Surface(size)
    surface.fill(BACKGROUND)
    margin = max(6, width // 60)
    weights = [TICKET_SCALE if line.style == "ticket" else 1.0 for line in lines]
    unit = (height - 2 * margin) / max(sum(weights), 9.0)
    y = float(margin)
    for line, weight in zip(lines, weights):
        step = unit * weight
        size_px = max(8, int(step * 0.74))
        font = _font(size_px)
        rect = font.get_rect(line.text)
        if rect.width > width - 2 * margin:  # too long for the panel: smaller, never cut
            size_px = max(8, int(size_px * (width - 2 * margin) / rect.width))
            font = _font(size_px)
        font.render_to(
            surface, (margin, int(y + (step - size_px) / 2)), line.text, COLOURS.get(line.style, COLOURS["info"])
        )
        y += step
    return surface


@lru_cache(maxsize=32)
def _font(size: int):
    import pygame.freetype

    from drivers import fonts

    if not pygame.freetype.get_init():
        pygame.freetype.init()
    font = pygame.freetype.Font(str(fonts.REGULAR), size)
    font.origin = False
    return font
