"""The gateway's way in for the web: submit, query and the live snapshot, against a real
controller and a real mosquitto (no browser here)."""

from __future__ import annotations

import concurrent.futures
import threading

import pytest

from hall_controller.engine import commands as c
from hall_controller.gateway import GatewayStopped
from protocol.topics import Kind

from .conftest import WAIT_S, issue_ticket, journal_events, wait_until


def test_a_submitted_command_is_journalled_with_who_then_announced(hall_web, device):
    web = hall_web()
    screen = device(web, "D1", listen=("board",))
    result = web.gateway.submit(c.SetNotice("今日下午系统升级", "System upgrade this afternoon", by="wang")).result(
        WAIT_S
    )
    assert result.ok and [type(e).__name__ for e in result.events][-1] == "NoticeSet"
    assert [(e.zh, e.by) for e in journal_events(web, "NoticeSet")] == [("今日下午系统升级", "wang")]
    deadline_board = None
    while deadline_board is None:
        item = screen.incoming.get(timeout=WAIT_S)
        if item.kind is Kind.BOARD and item.message.body["notice"]["zh"] == "今日下午系统升级":
            deadline_board = item
    assert deadline_board.message.body["notice"]["en"] == "System upgrade this afternoon"


def test_a_refused_command_says_why_and_changes_nothing(hall_web):
    web = hall_web()
    before = len(journal_events(web, "FollowUpClosed"))
    result = web.gateway.submit(c.CloseFollowUp("20260101-A001", "called back", by="wang")).result(WAIT_S)
    assert not result.ok and result.refused.code == "unknown_follow_up"
    assert result.events == [] or all(type(e).__name__ != "FollowUpClosed" for e in result.events)
    assert len(journal_events(web, "FollowUpClosed")) == before


def test_a_query_runs_on_the_loop_thread_and_returns_its_answer(hall_web):
    web = hall_web()
    seen = {}

    def question(engine):
        seen["thread"] = threading.current_thread().name
        return sorted(engine.state.desks)

    assert web.gateway.query(question).result(WAIT_S) == list(range(1, 11))
    assert seen["thread"] != threading.current_thread().name
    with pytest.raises(KeyError):
        web.gateway.query(lambda engine: engine.state.tickets["nobody"]).result(WAIT_S)


def test_the_live_snapshot_follows_the_hall_and_tells_its_listeners(hall_web, device):
    web = hall_web()
    versions = []
    web.gateway.add_live_listener(lambda live: versions.append(live.version))
    wait_until(lambda: web.gateway.live.view is not None, "a first snapshot")
    caller, kiosk = device(web, "C1"), device(web, "K1", state={"paper": "ok"})
    caller.request("counter.open", {"clerk": "S001"})
    issue_ticket(kiosk)
    wait_until(
        lambda: next(s for s in web.gateway.live.view["services"] if s["id"] == "social")["waiting"] == 1,
        "the live snapshot shows the waiting ticket",
    )
    counter = web.gateway.live.view["counters"][0]
    assert counter["state"] == "open" and counter["clerk"] == "S001" and counter["waiting"] == 1
    # the snapshot is published, then its listeners are told: wait for them too
    wait_until(lambda: versions and versions[-1] == web.gateway.live.version, "the listener hears of it")
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    caller.request("counter.call_next")
    wait_until(
        lambda: (web.gateway.live.view["counters"][0]["ticket"] or {}).get("label") == "A001",
        "the live snapshot shows the call",
    )
    assert web.gateway.live.view["calls"][0]["label"] == "A001"


def test_the_web_is_served_while_the_broker_is_away(hall_web, mosquitto_broker, device):
    web = hall_web()
    mosquitto_broker.kill()
    wait_until(lambda: not web.gateway.connected.is_set(), "the controller notices the broker is gone")
    wait_until(lambda: web.gateway.live.broker is False, "the live snapshot says the broker is away")
    result = web.gateway.submit(c.SetNotice("网络维护中", "Network maintenance", by="li")).result(WAIT_S)
    assert result.ok
    assert web.gateway.query(lambda engine: engine.state.notice).result(WAIT_S) == ("网络维护中", "Network maintenance")
    mosquitto_broker.start()
    screen = device(web, "D1", listen=("board",))
    while True:
        item = screen.incoming.get(timeout=WAIT_S)
        if item.kind is Kind.BOARD and item.message.body["notice"]["zh"] == "网络维护中":
            break


def test_a_withdrawn_command_is_not_carried_out_and_a_stopped_gateway_refuses(hall_web):
    web = hall_web()
    gate, started = threading.Event(), threading.Event()

    def hold(engine):  # holds the loop thread until the test has withdrawn its command
        started.set()
        return gate.wait(WAIT_S)

    blocker = web.gateway.query(hold)
    assert started.wait(WAIT_S)
    withdrawn = web.gateway.submit(c.SetNotice("撤回", "withdrawn", by="li"))
    assert withdrawn.cancel()
    gate.set()
    blocker.result(WAIT_S)
    assert web.gateway.query(lambda engine: engine.state.notice[0]).result(WAIT_S) != "撤回"
    web.stop()
    with pytest.raises(GatewayStopped):
        web.gateway.submit(c.SetNotice("太晚", "too late", by="li")).result(WAIT_S)
    with pytest.raises(GatewayStopped):
        web.gateway.query(lambda engine: 1).result(WAIT_S)
    assert isinstance(withdrawn, concurrent.futures.Future)
