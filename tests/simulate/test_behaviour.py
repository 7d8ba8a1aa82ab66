"""The people both simulators play (simulators/behaviour.py): the crowd of `hall demo` is the
crowd of `hall simulate` for the same seed, and the rating key follows the scenario's mix."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace

import pytest

from hall_controller.engine import events as ev
from simulators import behaviour, day, scenario
from simulators.crowd import TRANSFER_SHARE, plan_arrivals

from .conftest import SCENARIO_TOML


@pytest.fixture(scope="module")
def plan(hall):
    return day.plan_day(hall, scenario.load(SCENARIO_TOML, hall))


def test_the_crowd_takes_the_tickets_of_hall_simulate_at_the_same_instants(hall, plan):
    issued = []
    day.simulate(hall, plan, seed=2, on_event=lambda e: issued.append(e) if type(e) is ev.TicketReserved else None)
    crowd = plan_arrivals(hall, plan, seed=2)
    assert all(x.kiosk is not None for x in crowd)
    assert [(x.at, x.service, x.kiosk) for x in crowd] == [(e.at, e.service, e.kiosk) for e in issued]


def test_transfers_leave_the_rest_of_the_crowd_as_it_was(hall, plan):
    alone = list(behaviour.citizens(hall, plan, seed=4))
    moved = list(behaviour.citizens(hall, plan, seed=4, transfer_share=TRANSFER_SHARE))
    assert [replace(x, transfer=None) for x in moved] == alone
    assert any(x.transfer for x in moved) and not any(x.transfer for x in alone)
    assert all(x.transfer is None or (x.transfer[0] != x.service and not x.no_show) for x in moved)


def test_arrivals_follow_the_steps_and_stop_at_closing():
    steps = ((0.0, 0.0), (100.0, 1.0), (200.0, 0.0), (300.0, 2.0))
    times = list(behaviour.arrival_times(steps, 0.0, 400.0, random.Random(1)))
    assert times == sorted(times) and all(100 <= t < 200 or 300 <= t < 400 for t in times)
    assert 30 < sum(1 for t in times if t >= 300) < 400 and 30 < sum(1 for t in times if t < 200) < 200
    assert list(itertools.islice(behaviour.arrival_times(((0.0, 0.0),), 0.0, 10.0, random.Random(1)), 1)) == []


def test_a_wait_past_the_target_brings_the_worse_mix(plan):
    strict = behaviour.RatingMix(replace(plan.citizens, mix=(1.0, 0, 0, 0), mix_over_target=(0, 0, 0, 1.0)))
    assert strict.level(0.5, late=False) == 4
    assert strict.level(0.5, late=True) == 1
    usual = behaviour.RatingMix(plan.citizens)
    assert usual.level(0.999, late=False) == 1 and usual.level(0.0, late=False) == 4
    same = behaviour.RatingMix(replace(plan.citizens, mix_over_target=None))
    assert same.level(0.95, late=True) == same.level(0.95, late=False)
