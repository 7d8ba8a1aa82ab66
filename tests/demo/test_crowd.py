"""The crowd's decisions, on a fake clock with fake devices: who arrives when, what each clerk
presses next, and how the crowd reads the state the simulated devices give (never their screens)."""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import threading
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from devices.caller import words
from devices.caller.machine import CallerState, Mode, Notice
from devices.evaluator.machine import EvaluatorMachine, Prompt
from devices.kiosk.program import Issued, Outcome
from hall import config
from simulators import caller as caller_sim
from simulators import crowd as c
from simulators import evaluator as evaluator_sim
from simulators import kiosk as kiosk_sim
from simulators import scenario
from simulators.behaviour import IDLE_LOOK_S, Citizen
from simulators.clerk import Sees
from simulators.day import PlannedShift, plan_day

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def hall() -> config.Hall:
    return config.load(ROOT / "examples" / "hall.toml")


@pytest.fixture(scope="module")
def plan(hall):
    return plan_day(hall, scenario.load(ROOT / "examples" / "scenario.toml", hall))


# --- who arrives when -----------------------------------------------------------------------------


def test_the_same_seed_brings_the_same_crowd_and_another_seed_another(hall, plan):
    first = c.plan_arrivals(hall, plan, seed=5)
    assert c.plan_arrivals(hall, plan, seed=5) == first
    assert c.plan_arrivals(hall, plan, seed=6) != first


def test_citizens_arrive_through_the_day_at_the_scenarios_rates(hall, plan):
    crowd = c.plan_arrivals(hall, plan, seed=1)
    assert [x.at for x in crowd] == sorted(x.at for x in crowd)
    assert all(plan.start <= x.at < plan.close for x in crowd)
    for service, steps in plan.arrivals.items():
        ends = [t for t, _ in steps[1:]] + [plan.close]
        expected = sum(rate * (end - start) for (start, rate), end in zip(steps, ends))
        got = sum(1 for x in crowd if x.service == service)
        assert abs(got - expected) < 5 * math.sqrt(expected), (service, got, expected)
    # the rush hour is busier than the hour before it (the scenario's peak)
    nine = plan.start + 1800
    rush = sum(1 for x in crowd if nine <= x.at < nine + 3600)
    early = sum(1 for x in crowd if x.at >= nine + 6 * 3600)
    assert rush > early


def test_each_citizen_uses_a_kiosk_of_their_service_and_the_shares_follow_the_scenario(hall, plan):
    crowd = c.plan_arrivals(hall, plan, seed=2)
    assert all(x.service in hall.kiosks[x.kiosk].services for x in crowd)
    n = len(crowd)

    def share(pred):
        return sum(1 for x in crowd if pred(x)) / n

    assert abs(share(lambda x: x.klass == "priority") - plan.citizens.priority_share) < 0.05
    assert abs(share(lambda x: x.rating is not None) - plan.citizens.participation) < 0.08
    assert 0 < share(lambda x: x.no_show) < 0.12
    assert all(plan.citizens.walk_s[0] <= x.walk_s <= plan.citizens.walk_s[1] for x in crowd)
    assert all(x.transfer is None or x.transfer[0] != x.service for x in crowd)
    assert not any(x.transfer and x.no_show for x in crowd)


# --- reading the devices ------------------------------------------------------------------------------


def over_the_socket(state: dict) -> dict:
    return json.loads(json.dumps(state, ensure_ascii=False))


def caller_state(view, notice=None) -> dict:
    return over_the_socket(caller_sim.state_for_control(CallerState(3, view, Mode.READY, "", notice, None, True)))


def test_the_clerk_reads_the_callers_state(hall):
    view = {
        "counter": 3,
        "state": "open",
        "clerk": "S103",
        "ticket": {"label": "A023", "state": "called", "service": "social", "recalls": 1},
        "held": ["B002"],
        "waiting": 7,
    }
    assert c.read_caller(caller_state(view)) == Sees("open", "A023", "called", 7)
    serving = dict(view, ticket={"label": "C004", "state": "serving", "service": "fund", "recalls": 0}, waiting=0)
    assert c.read_caller(caller_state(serving)) == Sees("open", "C004", "serving", 0)
    idle = dict(view, state="paused", reason="meal", ticket=None, waiting=2)
    refused = Notice("refused", words.refusal("counter_paused", "counter 3 is paused (meal); resume first"))
    state = caller_state(idle, refused)
    assert c.read_caller(state) == Sees("paused", None, None, 2)
    assert state["notice"]["tone"] == "refused" and state["notice"]["zh"].startswith("窗口暂停中")
    assert state["held"] == ["B002"] and state["reason"] == "meal"
    assert c.read_caller(caller_state(None)) == Sees(None)  # still connecting


def test_the_citizen_reads_the_evaluators_state(hall):
    machine = EvaluatorMachine()
    program = SimpleNamespace(evaluator=hall.evaluators["E3"], machine=machine, log=[])

    def show():
        return c.read_evaluator(over_the_socket(evaluator_sim.state_for_control(program, True)))

    assert show() == c.EvaluatorScreen(None)
    machine.prompted(Prompt("p1", "A023", sent_at=1000.0, deadline=1030.0, received_at=5.0))
    assert show() == c.EvaluatorScreen("A023")
    machine.pressed(3, 6.0)
    assert show() == c.EvaluatorScreen(None, 3)


def test_the_kiosks_state_says_which_ticket_the_press_printed(hall):
    face = SimpleNamespace()
    printed = Issued("A023", "social", "priority", False, "t-1", 23, face)
    program = SimpleNamespace(
        kiosk=hall.kiosks["K1"],
        machine=SimpleNamespace(phase=SimpleNamespace(value="take"), online=lambda now: True, waiting={"social": 4}),
        clock=lambda: 0.0,
        printed=[printed],
    )

    def state(answered):
        return over_the_socket(kiosk_sim.state_for_control(program, answered))

    pressed = [Outcome("priority", "priority selected"), Outcome("social", "ticket A023 printed", printed)]
    assert c.read_kiosk(state(pressed)) == c.KioskAnswer("A023", "ticket A023 printed")
    assert state(pressed)["last_printed"]["id"] == "t-1" and state(pressed)["waiting"] == {"social": 4}
    again = c.read_kiosk(state([Outcome("social", "ignored: pressed again at once, counted once", ignored=True)]))
    assert again.ticket is None and again.ignored
    out = c.read_kiosk(state([Outcome("social", "not issued: out of service: paper out")]))
    assert out.ticket is None and not out.ignored


def test_a_staff_number_the_keypad_cannot_type_is_refused():
    assert c.clerk_keys("S101") == ("S", "1", "0", "1")
    with pytest.raises(c.CrowdError, match="cannot be typed"):
        c.clerk_keys("s-1")


# --- what the clerk does next: a fake counter, a fake clock ------------------------------------------------


class FakeClock:
    """Simulated time that jumps to the end of every wait (unless the wait's event is set)."""

    def __init__(self, now: float) -> None:
        self.t = now

    def now(self) -> float:
        return self.t

    def wait_until(self, until: float, event: threading.Event) -> None:
        if not event.is_set():
            self.t = max(self.t, until)


class FakeHall:
    """A counter's caller and evaluator as the controller would drive them, just enough to see the
    clerk's presses: a queue of tickets, the ticket at the counter, a rating prompt after a finish."""

    def __init__(self, clock: FakeClock, queue: list[str]) -> None:
        self.clock, self.queue = clock, list(queue)
        self.state, self.ticket, self.ticket_state = "closed", None, None
        self.recalls = 0
        self.prompt: str | None = None
        self.presses: list[tuple[float, str, tuple[str, ...]]] = []
        self.ratings: list[tuple[str, int]] = []

    def press(self, device: str, keys: tuple[str, ...]) -> object:
        self.presses.append((self.clock.now(), device, keys))
        if device.startswith("E"):
            if keys[0] in "4321" and self.prompt:
                self.ratings.append((self.prompt, int(keys[0])))
                self.prompt = None
                return c.EvaluatorScreen(None, int(keys[0]))
            return c.EvaluatorScreen(self.prompt)
        match keys:
            case ("open", *_):
                self.state = "open"
            case ("call",) if self.queue:
                self.ticket, self.ticket_state, self.recalls, self.prompt = self.queue.pop(0), "called", 0, None
            case ("recall",):
                self.recalls += 1
            case ("start",):
                self.ticket_state = "serving"
            case ("finish", _):
                self.prompt, self.ticket = self.ticket, None
            case ("no_show",) | ("transfer", _):
                self.ticket = None
            case ("pause", _):
                self.state = "paused"
            case ("pause",):
                self.state = "open"
            case ("close", "enter"):
                self.state = "closed"
        return Sees(self.state, self.ticket, self.ticket_state if self.ticket else None, len(self.queue))

    def keys(self) -> list[tuple[str, ...]]:
        return [keys for _, _, keys in self.presses if keys != ("show",)]


OPEN = dt.datetime(2026, 3, 17, 8, 30).timestamp()


def citizen(**changes) -> Citizen:
    base = Citizen(
        at=OPEN - 600,
        service="social",
        kiosk="K1",
        klass="normal",
        service_s=360.0,
        no_show=False,
        walk_s=20.0,
        rating=None,
        transfer=None,
    )
    return replace(base, **changes)


def work(hall, plan, shift, holders: dict[str, Citizen], queue=None, printed_at=OPEN - 600.0, devices=None):
    clock = FakeClock(OPEN - 3600)
    counter = (devices or FakeHall)(clock, list(holders) if queue is None else queue)
    seen = c.Happenings()
    for label, who in holders.items():
        seen.printed(label, who, printed_at)
    desk = c.desks(hall)[shift.counter]
    script = c.clerk_shift(shift, desk, hall, plan, seen, clock.now, random.Random(1), speed=60)
    c.act(script, counter, clock, threading.Event(), threading.Event())
    return counter, seen


def shift(plan, counter=1, clerk="S101", start=OPEN, end=None, breaks=(), stays_late=False) -> PlannedShift:
    return PlannedShift(counter, clerk, start, end if end is not None else OPEN + 3600, stays_late, tuple(breaks))


def test_a_clerk_signs_in_then_calls_starts_finishes_and_the_citizen_rates(hall, plan):
    mix = replace(plan, citizens=replace(plan.citizens, mix=(0, 1.0, 0, 0)))
    who = citizen(rating=(0.5, 6.0))
    counter, seen = work(hall, mix, shift(plan), {"A001": who})
    assert counter.keys()[:5] == [("open", "S", "1", "0", "1", "enter"), ("call",), ("start",), ("finish", "1"), ("3",)]
    at: dict = {}
    for t, _, keys in counter.presses:
        at.setdefault(keys, t)  # the first time each was pressed
    assert at[("open", "S", "1", "0", "1", "enter")] == OPEN
    assert at[("start",)] - at[("call",)] == pytest.approx(who.walk_s)
    assert at[("finish", "1")] - at[("start",)] == pytest.approx(who.service_s)
    assert at[("3",)] - at[("finish", "1")] == pytest.approx(6.0)  # the citizen's own moment to press
    assert counter.ratings == [("A001", 3)]
    assert ("E1", ("show",)) in [(d, k) for _, d, k in counter.presses]  # looked before pressing
    assert seen.snapshot()[0]["ratings"] == 1
    assert counter.keys()[-1] == ("close", "enter")  # the shift ended at 9:30


def test_a_citizen_who_never_comes_is_recalled_until_the_hall_marks_a_no_show(hall, plan):
    counter, seen = work(
        hall, plan, shift(plan), {"A001": citizen(no_show=True), "A002": citizen()}, devices=RecallLimitHall
    )
    keys = counter.keys()
    limit = hall.dispatch.recall_limit
    assert limit == RecallLimitHall.limit
    assert keys[1 : 3 + limit] == [("call",), *[("recall",)] * (limit + 1)]  # the last one marks the no-show
    times = [t for t, _, k in counter.presses if k in (("call",), ("recall",))][: limit + 2]
    assert all(b - a == pytest.approx(plan.clerks.recall_s) for a, b in zip(times, times[1:]))
    assert keys[3 + limit] == ("call",) and counter.keys().count(("start",)) == 1  # then the next citizen
    assert seen.snapshot()[0]["no_shows"] == 1


def test_a_citizen_at_the_wrong_service_is_transferred(hall, plan):
    counter, seen = work(hall, plan, shift(plan), {"A001": citizen(transfer=("tax", 300.0))})
    assert ("transfer", str(list(hall.services).index("tax") + 1)) in counter.keys()
    assert ("finish", "1") not in counter.keys()
    assert seen.holder("A001").citizen.service == "tax" and seen.holder("A001").citizen.transfer is None


def test_a_break_comes_after_the_citizen_at_the_counter_and_ends_on_time(hall, plan):
    brk = (OPEN + 60, 45 * 60, "meal")
    counter, _ = work(hall, plan, shift(plan, breaks=[brk]), {"A001": citizen()})
    keys = counter.keys()
    assert keys.index(("pause", "2")) > keys.index(("finish", "1"))  # 2 = 用餐 meal on the keypad
    paused = next(t for t, _, k in counter.presses if k == ("pause", "2"))
    resumed = next(t for t, _, k in counter.presses if k == ("pause",))
    assert resumed - paused == pytest.approx(45 * 60)


def test_a_shift_ending_during_a_break_ends_after_the_break(hall, plan):
    brk = (OPEN + 60, 45 * 60, "meal")
    counter, _ = work(hall, plan, shift(plan, counter=3, clerk="S103", end=OPEN + 600, breaks=[brk]), {})
    assert counter.keys() == [("open", "S", "1", "0", "3", "enter"), ("pause", "2"), ("pause",), ("close", "enter")]
    assert counter.presses[-1][0] == OPEN + 60 + 45 * 60  # back from lunch, then closes


def test_an_idle_clerk_waits_then_signs_out_at_the_end_of_the_shift(hall, plan):
    assert not hall.counters[3].backup
    counter, _ = work(hall, plan, shift(plan, counter=3, clerk="S103", end=OPEN + 600), {})
    assert counter.keys() == [("open", "S", "1", "0", "3", "enter"), ("close", "enter")]  # nobody came: no call
    assert counter.presses[-1][0] == OPEN + 600
    shows = [t for t, _, k in counter.presses if k == ("show",)]
    assert len(shows) >= 600 / IDLE_LOOK_S  # looked at the caller now and then


def test_an_idle_counter_with_backup_services_calls_now_and_then(hall, plan):
    assert hall.counters[1].backup  # a backup service becomes its own once its oldest ticket is past the target
    counter, _ = work(hall, plan, shift(plan, end=OPEN + 600), {})
    calls = [t for t, _, k in counter.presses if k == ("call",)]
    assert len(calls) == pytest.approx(600 / IDLE_LOOK_S, abs=1)
    assert counter.keys()[-1] == ("close", "enter")


def test_at_closing_a_clerk_closes_the_counter_once_nobody_waits_even_if_the_shift_runs_later(hall, plan):
    late = shift(plan, counter=3, clerk="S103", start=plan.close - 60, end=plan.close + 3600, stays_late=True)
    counter, _ = work(hall, plan, late, {})
    assert counter.keys()[-1] == ("close", "enter") and counter.presses[-1][0] == plan.close


def test_a_clerk_on_duty_at_closing_serves_who_still_waits_then_leaves(hall, plan):
    late = shift(plan, start=plan.close - 60, end=plan.close, stays_late=True)
    counter, _ = work(hall, plan, late, {"A001": citizen(), "A002": citizen()})
    keys = counter.keys()
    assert keys.count(("finish", "1")) == 2 and keys[-1] == ("close", "enter")
    assert counter.presses[-1][0] > plan.close


class RecallLimitHall(FakeHall):
    """A controller that marks a no-show at the recall past the hall's recall limit."""

    limit = 2

    def press(self, device, keys):
        if keys == ("recall",) and self.recalls >= self.limit:
            self.presses.append((self.clock.now(), device, keys))
            self.ticket = None
            return Sees(self.state, None, None, len(self.queue))
        return super().press(device, keys)


class SlowHall(FakeHall):
    """A controller that did not answer the sign-in, and left a citizen at the counter."""

    def __init__(self, clock: FakeClock, queue: list[str]) -> None:
        super().__init__(clock, queue)
        self.answered_open = False
        self.ticket, self.ticket_state = "A009", "serving"

    def press(self, device, keys):
        if keys[0] == "open" and not self.answered_open:
            self.answered_open = True
            self.presses.append((self.clock.now(), device, keys))
            return Sees("closed", self.ticket, self.ticket_state, len(self.queue))  # timed out
        return super().press(device, keys)


def test_a_clerk_presses_again_what_did_not_get_through_and_finishes_who_was_left(hall, plan):
    counter, _ = work(hall, plan, shift(plan), {"A001": citizen()}, devices=SlowHall)
    keys = counter.keys()
    assert keys[:4] == [
        ("open", "S", "1", "0", "1", "enter"),
        ("open", "S", "1", "0", "1", "enter"),
        ("finish", "1"),
        ("call",),
    ]
    assert keys.count(("finish", "1")) == 2


def test_a_ticket_the_crowd_did_not_take_is_served_as_an_ordinary_citizen(hall, plan):
    counter, _ = work(hall, plan, shift(plan), {}, queue=["A077"])
    assert [("call",), ("start",), ("finish", "1")] == counter.keys()[1:4]


# --- the kiosk's queue ---------------------------------------------------------------------------------


class FakeKiosk:
    def __init__(self, clock: FakeClock) -> None:
        self.clock, self.presses, self.n = clock, [], 0

    def press(self, device: str, keys: tuple[str, ...]) -> c.KioskAnswer:
        self.presses.append((self.clock.now(), keys))
        self.n += 1
        return c.KioskAnswer(f"A{self.n:03d}", f"ticket A{self.n:03d} printed")


def test_citizens_press_their_service_when_they_arrive_and_the_ticket_wakes_the_counters(hall):
    clock = FakeClock(OPEN)
    kiosk = FakeKiosk(clock)
    woken = []
    seen = c.Happenings(on_ticket=woken.append)
    crowd = [citizen(at=OPEN + 10), citizen(at=OPEN + 11, klass="priority"), citizen(at=OPEN + 200, service="tax")]
    c.act(c.kiosk_queue("K1", crowd, hall, seen, clock.now, speed=60), kiosk, clock, threading.Event())
    assert [k for _, k in kiosk.presses] == [("social",), ("priority", "social"), ("tax",)]
    # the same button twice within the kiosk's double-press window would count once: kept apart
    assert kiosk.presses[1][0] - kiosk.presses[0][0] >= c.KEY_GAP_REAL_S * 60
    assert kiosk.presses[2][0] == OPEN + 200
    assert woken == ["social", "social", "tax"]
    assert seen.holder("A002").citizen.klass == "priority" and seen.snapshot()[0]["tickets"] == 3


def test_the_sped_up_clock_runs_speed_times_faster():
    now = [100.0]
    clock = c.SpedUpClock(OPEN, 60, monotonic=lambda: now[0])
    now[0] += 1.5
    assert clock.now() == OPEN + 90
