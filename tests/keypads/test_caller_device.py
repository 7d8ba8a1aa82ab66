"""The clerk's keypad against a real controller and broker: every action and every refusal, as
the clerk sees it on the screen (the text lines the terminal and the small panel show)."""

from __future__ import annotations

import pytest
from testkit import no_show_wait

from hall_controller.engine import events as ev
from hall_controller.journal import Journal

from .conftest import WAIT_S


def shows(screen: list[str], text: str) -> bool:
    """Whether the screen shows `text`, even wrapped over lines (the notice wraps on a narrow screen)."""
    flat = " ".join(" ".join(line.split()) for line in screen)
    return " ".join(text.split()) in flat


def signed_in(caller) -> None:
    caller.ready().press("open", "S", "0", "0", "5", "enter")


def test_a_counter_day_every_action_shown(broker_url, controller, kiosk, caller, example_hall, hall_ears):
    ctl = controller(broker_url, no_show_wait(example_hall))
    ears = hall_ears(broker_url, example_hall)
    k1 = kiosk(broker_url)
    c3 = caller(broker_url, "C3").ready()
    assert c3.screen[:4] == ["3号窗口 Counter 3", "关闭 closed", "当前无号 no ticket", "等候 Waiting 0"]

    assert c3.press("open")[-2:] == ["登录 工号 Staff no: _", "确认 confirm · 清除 clear"]
    assert "登录 工号 Staff no: S005_" in c3.press("S", "0", "0", "5")
    screen = c3.press("enter")
    assert screen[1] == "开放 open · 工号 S005" and "已登录 工号 S005 · signed in as S005" in screen
    assert ctl.engine.state.desks[3].clerk == "S005"

    a1, a2, a3 = k1.issue("social"), k1.issue("social"), k1.issue("fund")
    assert c3.program.wait_for(lambda: "等候 Waiting 3" in c3.screen, WAIT_S), c3.text  # pushed, no key

    screen = c3.press("call")
    assert screen[2:4] == [f"{a1} · 已呼叫 called", "社保医保 Social & Medical Insurance"]
    assert f"已呼叫 {a1} · called {a1}" in screen and "等候 Waiting 2" in screen
    ears.heard(ctl, 3)
    screen = c3.press("recall")
    assert screen[2] == f"{a1} · 已呼叫 called (1)"
    assert f"重呼 {a1}(第 1 次) · recalled {a1} (1)" in screen
    screen = c3.press("start")
    assert screen[2] == f"{a1} · 办理中 serving" and f"{a1} 开始办理 · serving {a1}" in screen

    screen = c3.press("hold")
    assert screen[2:4] == ["当前无号 no ticket", f"等候 Waiting 2 · 挂起 Held {a1}"]
    assert f"{a1} 已挂起 · {a1} on hold" in screen
    c3.press("call", "start")
    assert ctl.engine.state.tickets[ctl.engine.state.desks[3].current].label == a2

    screen = c3.press("transfer")  # to a service: the menu lists the hall's services
    assert "转移到业务 Transfer to service:" in screen and any("2 B 不动产登记" in line for line in screen)
    screen = c3.press("2")
    assert shows(screen, f"{a2} 已转至 不动产登记 {a2} sent to Property Registration")
    assert ctl.engine.state.tickets[next(t for t in ctl.engine.state.tickets if t.endswith(a2))].service == "property"

    screen = c3.press("resume_held")
    assert screen[2] == f"{a1} · 办理中 serving" and f"已取回 {a1} · resumed {a1}" in screen
    screen = c3.press("finish")
    assert "办结结果 Outcome (确认 = 1):" in screen
    screen = c3.press("2")
    assert shows(screen, f"{a1} 材料不全,请评价 {a1} materials incomplete; rating requested")

    c3.press("call")
    ears.heard(ctl, 3)
    screen = c3.press("no_show")
    assert f"{a3} 已过号 · {a3} marked no-show" in screen
    screen = c3.press("reinstate")
    assert "复号 Reinstate ticket: _" in screen and "1=A  2=B  3=C  4=D  5=E" in screen
    assert "复号 Reinstate ticket: C_" in c3.press("3")
    screen = c3.press(*a3[1:], "enter")
    assert f"{a3} 已恢复排队 · {a3} back in the queue" in screen
    assert "等候 Waiting 1" in screen

    c1 = caller(broker_url, "C1").ready()
    c1.press("open", "S", "0", "0", "1", "enter")
    c3.press("call", "start")
    screen = c3.press("transfer", "transfer")
    assert "转移到窗口 Transfer to counter: _" in screen
    screen = c3.press("1", "enter")
    assert shows(screen, f"{a3} 已转至 1 号窗口 {a3} sent to counter 1")
    assert c1.program.wait_for(lambda: "等候 Waiting 1" in c1.screen, WAIT_S), c1.text
    assert shows(c1.press("call"), f"已呼叫 {a3} · called {a3}")

    screen = c3.press("pause")
    assert "暂停原因 Pause reason:" in screen
    screen = c3.press("2")
    assert screen[1] == "暂停 paused(用餐 meal) · 工号 S005" and "已暂停:用餐 · paused: meal" in screen
    screen = c3.press("pause")  # on a paused counter the same key resumes
    assert screen[1] == "开放 open · 工号 S005" and "已恢复服务 · open again" in screen

    screen = c3.press("close")
    assert "关闭窗口? Close the counter?" in screen
    screen = c3.press("7")  # any other key: not closed
    assert "· 窗口未关闭 · the counter stays open" in screen and ctl.engine.state.desks[3].state.value == "open"
    screen = c3.press("close", "enter")
    assert screen[1] == "关闭 closed" and "窗口已关闭 · counter closed" in screen


def test_the_clerk_confirms_or_refuses_a_priority_request_from_the_keypad(broker_url, controller, kiosk, caller):
    """K2 (touch) leaves priority to staff: the request waits as normal until the clerk decides;
    the decision is journalled with the clerk's staff number."""
    ctl = controller(broker_url)
    k2 = kiosk(broker_url, "K2")
    c3 = caller(broker_url, "C3").ready()
    signed_in(c3)
    first, asked, again = k2.issue("social"), k2.issue("social", "priority"), k2.issue("social", "priority")
    tickets = {t.label: t for t in ctl.engine.state.tickets.values()}
    assert (tickets[asked].klass, tickets[asked].priority_check) == ("normal", "asked")

    screen = c3.press("enter")
    assert "优先申请 Priority request, ticket: _" in screen and "1=A  2=B  3=C  4=D  5=E" in screen
    screen = c3.press("1", *asked[1:], "enter")
    assert f"优先申请 Priority request {asked}:" in screen
    screen = c3.press("1")
    assert shows(screen, f"{asked} 优先已确认 · {asked}: priority confirmed")
    assert (tickets[asked].klass, tickets[asked].priority_check) == ("priority", "confirmed")
    screen = c3.press("enter", "1", *again[1:], "enter", "2")
    assert shows(screen, f"{again} 不予优先,照常排队 {again}: priority refused")  # wrapped
    screen = c3.press("enter", "1", *again[1:], "enter", "1")
    assert shows(screen, "× 该号的优先申请已处理") and tickets[again].klass == "normal"
    screen = c3.press("enter", "1", *first[1:], "enter", "1")
    assert shows(screen, "× 该号未申请优先")
    assert shows(c3.press("call"), f"已呼叫 {asked} · called {asked}")  # the head start: before {first}
    ctl.stop()  # the journal says who decided
    journal = Journal(ctl.db, ctl.hall)
    try:
        decided = [e for e in journal.events() if isinstance(e, ev.PriorityDecided)]
    finally:
        journal.close()
    assert [(e.confirmed, e.by, e.counter) for e in decided] == [(True, "S005", 3), (False, "S005", 3)]


REFUSALS = [  # (keys, the Chinese line, the controller's sentence)
    (["call"], "× 窗口未开放,请先登录", "counter 3 is closed; sign in first"),
    (["open", "S", "0", "0", "5", "enter"], None, None),
    (["open", "S", "9", "enter"], "× 窗口已开放", "counter 3 is already open (clerk S005)"),
    (["call"], "× 没有等候的号", "nobody is waiting for counter 3"),
    (["start"], "× 当前没有号", "counter 3 has no ticket at the moment"),
    (["recall"], "× 当前没有号", "counter 3 has no ticket at the moment"),
    (["resume_held"], "× 没有挂起的号", "counter 3 holds no ticket"),
    (["reinstate", "1", "9", "9", "enter"], "× 今天没有此号", "there is no ticket A99 today"),
    (["pause", "1"], None, None),
    (["call"], "× 窗口暂停中,请先恢复", "counter 3 is paused (break); resume first"),
    (["pause"], None, None),
    (["issue"], None, None),
    (["call", "finish", "enter"], "× 当前号的状态不允许此操作", "ticket A001 is called, not serving"),
    (["transfer", "2"], "× 当前号的状态不允许此操作", "ticket A001 is called, not serving"),
    (["start"], None, None),
    (["transfer", "transfer", "3", "enter"], "× 无法转移", "a ticket cannot be transferred to its own counter"),
    (["transfer", "transfer", "5", "enter"], "× 窗口未开放,请先登录", "counter 5 is closed"),
    (["transfer", "transfer", "4", "2", "enter"], "× 没有此窗口", "there is no counter 42"),
    (["pause", "3"], "× 请先办结、挂起或转移当前号", "finish, hold or transfer ticket A001 first"),
    (["close", "enter"], "× 请先办结、挂起或转移当前号", "finish, hold or transfer ticket A001 first"),
]


def test_every_refusal_is_shown_in_plain_words(broker_url, controller, kiosk, caller):
    ctl = controller(broker_url)
    k1 = kiosk(broker_url)
    c3 = caller(broker_url, "C3").ready()
    for keys, zh, en in REFUSALS:
        if keys == ["issue"]:
            k1.issue("social")
            continue
        *setup, last = keys
        c3.press(*setup)
        before = c3.program.machine.view
        screen = c3.press(last)
        if zh is None:
            assert not any(line.startswith("×") for line in screen), screen
            continue
        assert shows(screen, zh), (keys, screen)
        assert shows(screen, en), (keys, screen)
        assert c3.program.machine.view == before, keys  # a refusal changes nothing
    assert ctl.engine.state.desks[3].state.value == "open"


def test_no_answer_from_the_controller_says_so_and_changes_nothing(broker_url, controller, kiosk, caller):
    ctl = controller(broker_url)
    kiosk(broker_url).issue("social")
    c3 = caller(broker_url, "C3", timeout=0.5).ready()
    signed_in(c3)
    before = c3.program.machine.view
    ctl.stop()
    screen = c3.press("call")
    assert shows(screen, "! 控制器无响应,请重试 controller not answering, try again")
    assert c3.program.machine.view == before and screen[2] == "当前无号 no ticket"
    assert c3.program.wait_for(lambda: "⚠ 控制器离线 controller offline" in c3.screen, WAIT_S)  # its last word
    ctl.start()
    assert c3.program.wait_for(lambda: "⚠ 控制器离线 controller offline" not in c3.screen, WAIT_S)
    screen = c3.press("call")
    assert screen[2] == "A001 · 已呼叫 called"


def test_a_key_pressed_twice_quickly_counts_once(broker_url, controller, kiosk, caller, clock, example_hall, hall_ears):
    ctl = controller(broker_url)
    ears = hall_ears(broker_url, example_hall)
    k1 = kiosk(broker_url)
    c3 = caller(broker_url, "C3").ready()
    signed_in(c3)
    k1.issue("social"), k1.issue("social")
    c3.press("call")
    ears.heard(ctl, 3)
    c3.press("recall")  # answered at once
    clock.advance(0.3)
    c3.program.press("recall")  # the clerk pressed twice, firmly: one more announcement, not two
    c3.settle()
    assert c3.program.machine.view["ticket"]["recalls"] == 1
    assert ctl.engine.state.call_seq == 2
    assert not any(line.startswith("×") for line in c3.screen)
    ears.heard(ctl, 3)
    clock.advance(1.0)
    c3.program.press("recall")  # a second later it is a deliberate press again
    c3.settle()
    assert c3.program.machine.view["ticket"]["recalls"] == 2


def test_keys_pressed_while_the_controller_is_answering_are_dropped(broker_url, controller, kiosk, caller, clock):
    controller(broker_url)
    k1 = kiosk(broker_url)
    c3 = caller(broker_url, "C3").ready()
    signed_in(c3)
    k1.issue("social"), k1.issue("social")
    clock.advance(5)
    c3.program.press("call")
    c3.program.press("recall")  # stamped at the same moment: while "call" waits for its reply
    c3.settle()
    assert c3.program.machine.view["ticket"]["recalls"] == 0


def test_the_screen_follows_pushed_views_and_knows_when_it_is_offline(mosquitto_broker, controller, kiosk, caller):
    controller(mosquitto_broker.url)
    c3 = caller(mosquitto_broker.url, "C3").ready()
    signed_in(c3)
    mosquitto_broker.kill()
    assert c3.program.wait_for(lambda: "⚠ 离线 offline" in c3.screen, WAIT_S)
    mosquitto_broker.start()
    assert c3.program.wait_for(lambda: "⚠ 离线 offline" not in c3.screen, 3 * WAIT_S)
    kiosk(mosquitto_broker.url).issue("fund")
    assert c3.program.wait_for(lambda: "等候 Waiting 1" in c3.screen, WAIT_S), c3.text


@pytest.mark.parametrize("device", ["C9"])
def test_a_caller_sees_only_its_own_counter(broker_url, controller, kiosk, caller, device):
    controller(broker_url)
    c3, c9 = caller(broker_url, "C3").ready(), caller(broker_url, device).ready()
    signed_in(c3)
    kiosk(broker_url).issue("social")
    assert c3.program.wait_for(lambda: "等候 Waiting 1" in c3.screen, WAIT_S)
    assert c9.screen[:2] == ["9号窗口 Counter 9", "关闭 closed"] and "等候 Waiting 0" in c9.screen


def test_a_view_it_cannot_show_changes_nothing(broker_url, controller, mqtt_peer, caller, caplog):
    from protocol import topics
    from protocol.envelope import make_message

    controller(broker_url)
    c3 = caller(broker_url, "C3").ready()
    before = c3.screen
    peer = mqtt_peer(broker_url, "impostor")
    down = topics.device_down("xinhua", "C3")
    for view in (
        {"counter": 3, "state": "open", "held": [None], "waiting": 1, "ticket": None},
        {"counter": 9, "state": "open", "held": [], "waiting": 1, "ticket": None},
        {"counter": 3, "state": "open", "held": [], "waiting": "many", "ticket": None},
    ):
        peer.publish(down, make_message("counter.view", {"view": view}))
    assert c3.program.wait_for(lambda: caplog.text.count("a counter.view it cannot show") == 3, WAIT_S)
    assert c3.screen == before
