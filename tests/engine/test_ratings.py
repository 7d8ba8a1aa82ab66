"""Ratings: one prompt per served ticket, ended by a rating, the next call or a timeout."""

from __future__ import annotations

import pytest

from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev

from .conftest import MINUTE


@pytest.fixture
def served(shift):
    """Two social tickets; the first is served and finished at counter 2. Returns its prompt id."""
    shift.issue("social")
    shift.issue("social")
    shift.open(2)
    t = shift.serve(2)
    shift.later(5 * MINUTE)
    shift.finish(2)
    return t.id


def test_finishing_a_service_prompts_for_a_rating(shift, served):
    prompted = shift.events_of(ev.RatingPrompted)
    assert prompted == [ev.RatingPrompted(shift.clock.now, served, served, 2, "clerk2", "social", shift.clock.now + 30)]
    assert shift.engine.state.desks[2].prompt == served


def test_rating_is_recorded_with_ticket_counter_clerk_and_service(shift, served):
    shift.later(5)
    events = shift.do(cmd.SubmitRating(served, 4, pressed_at=shift.clock.now, counter=2))
    assert events == [ev.RatingRecorded(shift.clock.now, served, served, 2, "clerk2", "social", 4, shift.clock.now)]
    assert shift.engine.state.desks[2].prompt is None


def test_one_rating_per_served_ticket(shift, served):
    shift.do(cmd.SubmitRating(served, 3, pressed_at=shift.clock.now))
    shift.refuse(cmd.SubmitRating(served, 4, pressed_at=shift.clock.now), "already_rated")


def test_next_call_at_the_counter_ends_the_prompt(shift, served):
    shift.later(5)
    events = shift.do(cmd.CallNext(2))
    assert events[0] == ev.RatingClosed(shift.clock.now, served, 2, "next_call")
    assert shift.engine.state.prompts[served].closed_at == shift.clock.now
    shift.later(1)
    shift.refuse(cmd.SubmitRating(served, 4, pressed_at=shift.clock.now), "rating_closed")


def test_prompt_times_out(shift, served):
    assert shift.later(29) == []
    assert shift.later(1) == [ev.RatingClosed(shift.clock.now, served, 2, "timeout")]
    assert shift.engine.state.desks[2].prompt is None


def test_rating_pressed_while_the_prompt_was_open_but_delivered_late_is_accepted_once(shift, served):
    pressed = shift.clock.now + 20
    shift.later(10 * MINUTE)  # the evaluator's outbox resends after an outage
    shift.call(2)  # meanwhile the prompt timed out and the next call came
    shift.do(cmd.SubmitRating(served, 2, pressed_at=pressed))
    assert shift.engine.state.prompts[served].level == 2
    shift.refuse(cmd.SubmitRating(served, 2, pressed_at=pressed), "already_rated")


def test_rating_pressed_after_the_prompt_timed_out_is_refused(shift, served):
    shift.later(MINUTE)
    shift.refuse(cmd.SubmitRating(served, 4, pressed_at=shift.clock.now), "rating_closed")


def test_rating_pressed_before_the_prompt_opened_is_refused(shift, served):
    shift.refuse(cmd.SubmitRating(served, 4, pressed_at=shift.clock.now - 1), "rating_closed")


def test_rating_pressed_in_the_future_is_refused(shift, served):
    shift.refuse(cmd.SubmitRating(served, 4, pressed_at=shift.clock.now + 121), "bad_time")


def test_rating_from_another_counters_evaluator_is_refused(shift, served):
    shift.refuse(cmd.SubmitRating(served, 4, pressed_at=shift.clock.now, counter=3), "wrong_counter")


@pytest.mark.parametrize("level", [0, 5, -1])
def test_rating_levels_are_one_to_four(shift, served, level):
    shift.refuse(cmd.SubmitRating(served, level, pressed_at=shift.clock.now), "bad_level")


def test_rating_for_an_unknown_prompt_is_refused(shift, served):
    shift.refuse(cmd.SubmitRating("20261123-A002", 4, pressed_at=shift.clock.now), "unknown_prompt")


@pytest.mark.parametrize("level, word", [(2, "一般"), (1, "不满意")])
def test_negative_rating_raises_an_alert(shift, served, level, word):
    shift.do(cmd.SubmitRating(served, level, pressed_at=shift.clock.now))
    alert = shift.active_alert("negative_rating", served)
    assert alert is not None and word in alert.message and "clerk2" in alert.message


@pytest.mark.parametrize("level", [3, 4])
def test_satisfied_rating_raises_no_alert(shift, served, level):
    shift.do(cmd.SubmitRating(served, level, pressed_at=shift.clock.now))
    assert not shift.events_of(ev.AlertRaised)


def test_resuming_a_held_ticket_ends_the_open_prompt_like_a_call(shift):
    shift.issue("social")
    shift.issue("social")
    shift.open(2)
    shift.serve(2)
    shift.do(cmd.Hold(2))
    second = shift.serve(2)
    shift.finish(2)
    shift.later(5)
    events = shift.do(cmd.ResumeHeld(2))
    assert events[0] == ev.RatingClosed(shift.clock.now, second.id, 2, "next_call")
    assert shift.engine.state.desks[2].prompt is None


def test_counter_shows_one_prompt_at_a_time(shift, served):
    """Resuming a held ticket and finishing it opens a new prompt: the older one ends first."""
    shift.serve(2)
    shift.do(cmd.Hold(2))
    shift.later(60)  # the first prompt timed out meanwhile
    shift.issue("social")
    shift.serve(2)
    shift.finish(2)  # prompt for A003
    shift.do(cmd.ResumeHeld(2))  # back to A002 with A003's prompt still open
    shift.finish(2)
    state = shift.engine.state
    open_prompts = [p.id for p in state.prompts.values() if p.counter == 2 and p.closed_at is None]
    assert open_prompts == [state.desks[2].prompt]
