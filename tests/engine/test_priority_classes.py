"""Several priority classes (elderly, disabled, pregnant) named in the hall file: each its own
head start, served by the counters for "priority" tickets, counted apart by the reports."""

from __future__ import annotations

import pytest

from hall.config import parse
from hall_controller.engine import Engine
from hall_controller.engine import commands as cmd
from hall_controller.reports import report

from .conftest import MINUTE, Shift, SimClock, hall_description, rebuilt


@pytest.fixture
def classes_hall():
    raw = hall_description()
    raw["classes"] = {"priority": 10, "appointment": 15, "elderly": 10, "disabled": 20, "pregnant": 5}
    return parse(raw)


@pytest.fixture
def shift(classes_hall):
    s = Shift(Engine(classes_hall), SimClock())
    s.later(0)
    yield s
    assert rebuilt(classes_hall, s.journal).state.snapshot() == s.engine.state.snapshot()


def test_each_class_has_its_own_head_start(shift):
    first = shift.issue("social")  # 08:30
    shift.later(6 * MINUTE)
    pregnant = shift.issue("social", "pregnant")  # 08:36, counts as 08:31: after the first
    shift.later(1 * MINUTE)
    disabled = shift.issue("social", "disabled")  # 08:37, counts as 08:17: before everyone
    shift.open(2)
    assert shift.labels_called_at(2, 3) == [disabled.label, first.label, pregnant.label]


def test_counters_for_priority_tickets_serve_every_priority_class(shift):
    shift.issue("social")
    elderly = shift.issue("social", "elderly")
    shift.open(6)  # priority tickets only
    assert shift.call(6).label == elderly.label
    shift.do(cmd.StartService(6))
    shift.do(cmd.Finish(6))
    shift.refuse(cmd.CallNext(6), "nothing_waiting")  # the normal ticket is not for this counter


def test_an_unknown_class_is_refused(shift):
    shift.refuse(cmd.RequestTicket(service="social", klass="vip", kiosk="K1"), "bad_class")
    shift.refuse(cmd.RequestTicket(service="social", klass="appointment", kiosk="K1"), "bad_class")


def test_reports_tell_the_classes_apart(shift, classes_hall):
    start = shift.clock.now
    shift.issue("social", "elderly")
    shift.issue("social", "pregnant")
    shift.issue("social", "pregnant")
    shift.issue("social")
    shift.open(2)
    shift.later(4 * MINUTE)
    shift.labels_called_at(2, 4)
    r = report(shift.journal, classes_hall, start, start + 24 * 3600)
    assert list(r.by_class) == ["normal", "priority", "appointment", "elderly", "disabled", "pregnant"]
    assert (r.by_class["elderly"].issued, r.by_class["pregnant"].issued, r.by_class["normal"].issued) == (1, 2, 1)
    assert r.by_class["priority"].issued == 0 and r.by_class["disabled"].wait_mean_s is None
    assert r.by_class["elderly"].wait_mean_s == 4 * MINUTE


@pytest.fixture
def interleave_hall():
    raw = hall_description()
    raw["classes"] = {"priority": 10, "appointment": 15, "elderly": 10}
    raw["counters"][1]["interleave"] = "2:1"  # counter 2: social, every class
    return parse(raw)


def test_interleave_calls_two_normal_then_one_priority_when_both_wait(interleave_hall):
    s = Shift(Engine(interleave_hall), SimClock())
    s.later(0)
    normal = [s.issue("social") for _ in range(5)]
    s.later(1 * MINUTE)
    priority = [s.issue("social", "priority"), s.issue("social", "elderly"), s.issue("social", "priority")]
    s.open(2)
    # the head start alone would call the three priority tickets first (ten minutes earlier)
    assert s.labels_called_at(2, 8) == [
        normal[0].label,
        normal[1].label,
        priority[0].label,
        normal[2].label,
        normal[3].label,
        priority[1].label,
        normal[4].label,
        priority[2].label,
    ]  # then only priority waits
    assert rebuilt(interleave_hall, s.journal).state.snapshot() == s.engine.state.snapshot()


def test_without_interleave_the_head_start_decides(shift):
    normal = [shift.issue("social") for _ in range(2)]
    shift.later(1 * MINUTE)
    elderly = shift.issue("social", "elderly")
    shift.open(2)
    assert shift.labels_called_at(2, 3) == [elderly.label, normal[0].label, normal[1].label]
