"""The hand-made day of the report tests, played on the real engine, and the halls it needs.

The small hall: two services, social (A, target 10 min) and tax (B, target 20 min); counter 1
serves social, counter 2 tax, counter 3 both. Tuesday 2026-03-17, Asia/Shanghai; `m` is minutes
after 09:00. What happens (the tests work out every figure from this by hand):

    m0   counters 1 (clerk S1) and 2 (clerk S2) open; A001 taken
    m1   A002 taken            m2  B001 taken        m3  A003 taken (priority: 10 min head start)
    m4   A004 taken, its printout fails: voided
    m5   counter 1 calls A003 (waited 2 min: the head start puts it first), serves it
    m5   counter 2 calls B001 (waited 3 min), serves it
    m6   B002 taken
    m8   counter 1 finishes A003 (3 min of service); rated 4 非常满意
    m9   counter 1 calls A001 (waited 9 min, within 10), serves it
    m10  counter 2 finishes B001 (5 min); rated 2 一般; counter 2 closes
    m11  S2 signs in at counter 3: one clerk, two counters in a day
    m12  counter 1 transfers A001 to tax (3 min served); counter 3 calls it (its place kept), serves it
    m13  counter 3 transfers A001 to counter 1 (1 more min): the same ticket's second transfer
    m13  counter 1 calls A001, serves it; counter 3 calls A002 (waited 12 min, over 10)
    m14, m15  counter 3 recalls A002
    m15  counter 1 finishes A001 (2 more min: 6 in all, as tax); rated 3 满意
    m16  counter 3's third recall: A002 is a no-show; counter 3 calls B002 (waited 10 min), serves it
    m17  A002 reinstated; counter 1 calls it again, serves it
    m19  counter 3 finishes B002 (3 min); not rated
    m20  counter 1 finishes A002 (3 min); rated 1 不满意
    m21  counter 1 pauses (break)   m25  resumes   m30  counters 1 and 3 close
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from hall import config
from hall_controller.engine import Engine
from hall_controller.engine import commands as c
from hall_controller.engine import events as ev

REPO = Path(__file__).resolve().parents[2]
HALL_TOML = REPO / "examples" / "hall.toml"
SCENARIO_TOML = REPO / "examples" / "scenario.toml"
TZ = dt.timezone(dt.timedelta(hours=8))
NINE = dt.datetime(2026, 3, 17, 9, 0, tzinfo=TZ).timestamp()
MIDNIGHT = dt.datetime(2026, 3, 17, 0, 0, tzinfo=TZ).timestamp()
DAY = 24 * 3600


def m(minutes: float) -> float:
    """The instant `minutes` after 09:00 on the hand-made day."""
    return NINE + minutes * 60


SMALL_HALL_TOML = """
[hall]
id = "small"
name = { zh = "小厅", en = "Small hall" }
timezone = "Asia/Shanghai"

[[services]]
id = "social"
prefix = "A"
name = { zh = "社保医保", en = "Social insurance" }
target_wait_min = 10

[[services]]
id = "tax"
prefix = "B"
name = { zh = "税务综合", en = "Tax" }
target_wait_min = 20

[[counters]]
number = 1
primary = ["social"]

[[counters]]
number = 2
primary = ["tax"]

[[counters]]
number = 3
name = { zh = "3号 综合窗口", en = "Counter 3 (all)" }
primary = ["social", "tax"]

[[kiosks]]
id = "K1"
services = ["social", "tax"]
priority = "self"        # the citizen's word is enough: A003 is priority at once

[[kiosks]]
id = "K2"
services = ["social", "tax"]
# priority = "staff", the default: a request waits as normal until staff decide
"""


def small_hall() -> config.Hall:
    return config.parse(tomllib.loads(SMALL_HALL_TOML))


def play_day(apply: Callable[[object, float], list]) -> list:
    """Play the hand-made day through `apply(command, at) -> events`; return every event."""
    out: list = []
    tickets: dict[str, str] = {}

    def do(command, minutes: float) -> list:
        events = apply(command, m(minutes))
        out.extend(events)
        return events

    def take(service: str, klass: str, minutes: float, printed: bool = True) -> None:
        (reserved,) = [e for e in do(c.RequestTicket(service, klass, "K1"), minutes) if type(e) is ev.TicketReserved]
        tickets[reserved.label] = reserved.ticket
        do(c.ConfirmPrinted(reserved.ticket) if printed else c.ReportPrintFailed(reserved.ticket), minutes)

    def call(counter: int, minutes: float, expect: str) -> None:
        (called,) = [e for e in do(c.CallNext(counter), minutes) if type(e) is ev.TicketCalled]
        assert called.label == expect, f"counter {counter} called {called.label}, the day expects {expect}"

    def rate(label: str, level: int, minutes: float) -> None:
        do(c.SubmitRating(tickets[label], level, pressed_at=m(minutes)), minutes)

    do(c.OpenCounter(1, "S1"), 0)
    do(c.OpenCounter(2, "S2"), 0)
    take("social", "normal", 0)  # A001
    take("social", "normal", 1)  # A002
    take("tax", "normal", 2)  # B001
    take("social", "priority", 3)  # A003
    take("social", "normal", 4, printed=False)  # A004, voided
    call(1, 5, "A003")
    do(c.StartService(1), 5)
    call(2, 5, "B001")
    do(c.StartService(2), 5)
    take("tax", "normal", 6)  # B002
    do(c.Finish(1), 8)
    rate("A003", 4, 8)
    call(1, 9, "A001")
    do(c.StartService(1), 9)
    do(c.Finish(2), 10)
    rate("B001", 2, 10)
    do(c.CloseCounter(2), 10)
    do(c.OpenCounter(3, "S2"), 11)
    do(c.Transfer(1, to_service="tax"), 12)
    call(3, 12, "A001")
    do(c.StartService(3), 12)
    do(c.Transfer(3, to_counter=1), 13)
    call(1, 13, "A001")
    do(c.StartService(1), 13)
    call(3, 13, "A002")
    do(c.Recall(3), 14)
    do(c.Recall(3), 15)
    do(c.Finish(1), 15)
    rate("A001", 3, 15)
    assert any(type(e) is ev.TicketNoShow for e in do(c.Recall(3), 16))
    call(3, 16, "B002")
    do(c.StartService(3), 16)
    do(c.Reinstate(tickets["A002"]), 17)
    call(1, 17, "A002")
    do(c.StartService(1), 17)
    do(c.Finish(3), 19)
    do(c.Finish(1), 20)
    rate("A002", 1, 20)
    do(c.PauseCounter(1, "break"), 21)
    do(c.ResumeCounter(1), 25)
    do(c.CloseCounter(1), 30)
    do(c.CloseCounter(3), 30)
    return out


def engine_apply(hall: config.Hall) -> Callable[[object, float], list]:
    """`apply` on a bare engine: time passes (tick), then the command."""
    engine = Engine(hall)

    def apply(command, at: float) -> list:
        return engine.tick(at) + engine.handle(command, at)

    return apply


@pytest.fixture(scope="session")
def hall() -> config.Hall:
    return small_hall()


@pytest.fixture(scope="session")
def day_events(hall) -> list:
    return play_day(engine_apply(hall))


@pytest.fixture(scope="session")
def xinhua() -> config.Hall:
    """examples/hall.toml (the root conftest's `example_hall` is per test; the journals here are per module)."""
    return config.load(HALL_TOML)
