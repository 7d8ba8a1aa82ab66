"""Hypothesis strategies and settings for the engine's property tests.

Settings come from a profile so the suite stays fast by default and can be made thorough on
demand:  HALL_ENGINE_PROFILE=engine-thorough .venv/bin/pytest tests/engine
`deadline=None` everywhere: the machine is shared, and speed is for the benchmarks to measure.
"""

from __future__ import annotations

import dataclasses
import os
import typing

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from hall.config import OUTCOMES, PAUSE_REASONS
from hall_controller.engine import events as ev

settings.register_profile(
    "engine", deadline=None, max_examples=60, stateful_step_count=80, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "engine-thorough",
    deadline=None,
    max_examples=1000,
    stateful_step_count=150,
    suppress_health_check=[HealthCheck.too_slow],
)

#: the settings every property test of the engine uses (a decorator)
engine_settings = settings.get_profile(os.environ.get("HALL_ENGINE_PROFILE", "engine"))


# --- time -----------------------------------------------------------------------------------

#: how far the clock moves between two things happening: mostly seconds, sometimes hours;
#: the exact values are the edges of the hall's timers (reservation, rating, targets)
clock_steps = st.sampled_from(
    [0, 0, 1, 5, 29, 30, 31, 59, 60, 61, 120, 300, 600, 1199, 1200, 1201, 1800, 3600, 4 * 3600, 13 * 3600]
)

# --- what people type or press --------------------------------------------------------------

ticket_classes = st.sampled_from(["normal", "normal", "normal", "priority", "appointment", "vip"])
outcomes = st.sampled_from(OUTCOMES + ("lost",))
pause_reasons = st.sampled_from(PAUSE_REASONS + ("nap",))
clerks = st.sampled_from(["S1001", "S1002", "S2001", ""])
rating_levels = st.sampled_from([4, 4, 3, 3, 2, 1, 0, 5])
#: when a rating was pressed, relative to now (the evaluator may deliver it late, or lie)
press_offsets = st.sampled_from([0, -5, -29, -31, -60, -3600, 1, 200])
booking_codes = st.sampled_from(["XY01", "XY02", "XY03", "", "Z" * 33])
#: a slot's start relative to now, and its length (a few are nonsense)
slot_offsets = st.sampled_from([-3600, -1200, -300, 0, 300, 900, 3600])
slot_lengths = st.sampled_from([1800, 600, 0])
offline_offsets = st.sampled_from([0, -1, -30, -600, -7200, 100, 1000])
paper_states = st.sampled_from(["ok", "ok", "low", "out", "unknown", "wet"])


# --- events, for the journal's JSON round trip ----------------------------------------------

_finite = st.floats(allow_nan=False, allow_infinity=False)
_FIELD_VALUES = {
    float: _finite,
    int: st.integers(-(2**53), 2**53),
    str: st.text(),
    bool: st.booleans(),
    float | None: st.none() | _finite,
    int | None: st.none() | st.integers(-(2**53), 2**53),
    str | None: st.none() | st.text(),
}


def event_of(kind: type) -> st.SearchStrategy:
    """Any instance of one event type, with values JSON can carry (finite floats, any text)."""
    hints = typing.get_type_hints(kind)
    return st.builds(kind, **{f.name: _FIELD_VALUES[hints[f.name]] for f in dataclasses.fields(kind)})


any_event = st.sampled_from(sorted(ev.EVENT_TYPES.values(), key=lambda k: k.__name__)).flatmap(event_of)
