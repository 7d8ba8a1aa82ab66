"""The clerk's screen as a pure function of the counter's state, the small-panel painter, and a
property: whatever the clerk presses, every request the keypad makes is one the protocol accepts."""

from __future__ import annotations

import pygame
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.caller import words
from devices.caller.keys import KEYS
from devices.caller.machine import CallerMachine, Notice
from devices.caller.screen import BACKGROUND, COLOURS, WIDTH, columns, paint, screen_lines
from hall import config
from hall.config import Names
from protocol import messages
from protocol.envelope import make_message

from .conftest import EXAMPLE_HALL

HALL = config.load(EXAMPLE_HALL)
VIEW = {
    "counter": 10,
    "state": "open",
    "clerk": "S005",
    "reason": None,
    "ticket": {"id": "20261123-A023", "label": "A023", "state": "called", "service": "social", "recalls": 2},
    "held": ["A019", "B004"],
    "waiting": 7,
}


def machine(view=VIEW, online=True) -> CallerMachine:
    m = CallerMachine(HALL, 10)
    if view is not None:
        m.view_pushed(view)
    m.set_online(online)
    return m


def texts(m: CallerMachine, keyboard: bool = True) -> list[str]:
    return [line.text for line in screen_lines(m.state, HALL, keyboard=keyboard)]


def test_the_serving_screen():
    m = machine()
    m.notice = Notice("ok", Names("已呼叫 A023", "called A023"))
    assert texts(m, keyboard=False) == [
        "10号 老年人优先窗口 Counter 10 (Elderly priority)",
        "开放 open · 工号 S005",
        "A023 · 已呼叫 called (2)",
        "社保医保 Social & Medical Insurance",
        "待播报 waiting to be announced",
        "等候 Waiting 7 · 挂起 Held A019 B004",
        "已呼叫 A023 · called A023",
    ]
    assert texts(m)[-2:] == ["n呼叫  r重呼  s开始  f完成  x过号  h挂起", "u取回  t转移  p暂停  i复号  o登录  c关闭"]


def test_the_screen_says_when_the_hall_heard_the_call():
    """The clerk sees whether the call has been announced yet (a no-show waits for it)."""
    heard = {**VIEW, "ticket": {**VIEW["ticket"], "announced": "2026-11-23T02:42:07.000Z"}}
    assert texts(machine(heard), keyboard=False)[4] == "重呼已播报 10:42:07 · recall announced"
    first = {**VIEW, "ticket": {**VIEW["ticket"], "recalls": 0, "announced": "2026-11-23T02:42:07.000Z"}}
    assert texts(machine(first), keyboard=False)[4] == "已播报 10:42:07 · announced"
    serving = {**VIEW, "ticket": {**VIEW["ticket"], "state": "serving", "announced": None}}
    assert not any("播报" in line for line in texts(machine(serving), keyboard=False))


def test_before_the_controller_answered_and_offline():
    assert texts(machine(view=None, online=False), keyboard=False) == [
        "10号 老年人优先窗口 Counter 10 (Elderly priority)",
        "正在连接控制器… connecting to the controller",
        "⚠ 离线 offline",
    ]


def test_a_paused_counter_shows_why_and_a_refusal_wraps_the_controllers_sentence():
    m = machine({**VIEW, "state": "paused", "reason": "meal", "ticket": None})
    m.notice = Notice(
        "refused",
        words.refusal(
            "counter_paused", "counter 10 is paused (meal); resume first, or ask the supervisor to reopen it for you"
        ),
    )
    lines = texts(m, keyboard=False)
    assert lines[1:3] == ["暂停 paused(用餐 meal) · 工号 S005", "当前无号 no ticket"]
    assert lines[4] == "× 窗口暂停中,请先恢复"
    assert lines[5:] == ["  counter 10 is paused (meal); resume first,", "  or ask the supervisor to reopen it for you"]


def test_menus_fit_the_screen():
    for keys in (
        ["pause"],
        ["finish"],
        ["transfer"],
        ["transfer", "transfer", "4"],
        ["reinstate"],
        ["resume_held"],
        ["close"],
        ["open", "S", "0"],
    ):
        m = machine()
        for k in keys:
            m.key(k)
        lines = texts(m)
        assert all(columns(t) <= WIDTH for t in lines[4:]), lines
    m = machine()
    m.key("pause")
    assert texts(m)[6:] == [
        "暂停原因 Pause reason:",
        "1 休息 break  2 用餐 meal  3 开会 meeting",
        "4 业务咨询 consultation  5 培训 training",
        "6 系统维护 system  7 其他事务 other",
    ]


def test_while_waiting_the_screen_says_so():
    m = machine()
    (request,) = m.key("call")
    m.sent(request)
    assert "… 等待控制器 waiting for the controller" in texts(m)


def test_the_panel_draws_every_line_inside_the_screen():
    m = machine()
    m.notice = Notice(
        "refused",
        Names("请先办结、挂起或转移当前号", "finish, hold or transfer ticket A023 first" + " and then some" * 6),
    )
    lines = screen_lines(m.state, HALL)
    surface = paint(lines, (480, 320))
    assert surface.get_size() == (480, 320)
    right_edge = {tuple(surface.get_at((479, y)))[:3] for y in range(320)}
    assert right_edge == {BACKGROUND}  # long lines are drawn smaller, never cut off
    amber = COLOURS["ticket"]
    assert any(tuple(surface.get_at((x, y)))[:3] == amber for x in range(0, 480, 2) for y in range(60, 130))


def test_the_panel_scales_to_a_larger_window(tmp_path):
    surface = paint(screen_lines(machine().state, HALL), (800, 480))
    pygame.image.save(surface, str(tmp_path / "caller.png"))
    assert (tmp_path / "caller.png").stat().st_size > 1000


KEY_NAMES = sorted(KEYS) + ["S", "A"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(KEY_NAMES), st.sampled_from(["ok", "refused", "timeout"])), max_size=40))
def test_every_request_the_keypad_makes_is_a_valid_caller_message(presses):
    m = machine()
    for key, outcome in presses:
        requests = m.key(key)
        screen_lines(m.state, HALL)  # never raises, whatever the state
        if not requests:
            continue
        (request,) = requests
        messages.check(make_message(request.type, dict(request.body)), "caller")
        m.sent(request)
        if outcome == "ok":
            m.answered(request, VIEW)
        elif outcome == "refused":
            m.refused(request, "bad_state", "no")
        else:
            m.timed_out(request)
        assert m.busy is None
