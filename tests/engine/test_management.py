"""What supervisors do through the management web, and what the engine forgets on its own."""

import pytest

from hall_controller.engine import TicketState
from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev
from hall_controller.engine.state import RETAIN_S

from .conftest import MINUTE, rebuilt


def rated(shift, level: int, counter: int = 2) -> str:
    """Serve one ticket at `counter` and rate it `level`; the prompt (ticket) id."""
    shift.issue("social")
    shift.serve(counter)
    shift.finish(counter)
    prompt = shift.engine.state.desks[counter].prompt
    shift.do(cmd.SubmitRating(prompt, level, pressed_at=shift.clock.now))
    return prompt


@pytest.fixture
def open_2(shift):
    shift.open(2)
    return shift


@pytest.mark.parametrize("level, followed", [(1, True), (2, True), (3, False), (4, False)])
def test_only_average_and_unsatisfied_ratings_open_a_follow_up(open_2, level, followed):
    ticket = rated(open_2, level)
    f = open_2.engine.state.followups.get(ticket)
    assert (f is not None) is followed
    if followed:
        assert (f.label, f.counter, f.clerk, f.service, f.level) == (
            ticket.rsplit("-")[-1],
            2,
            "clerk2",
            "social",
            level,
        )


def test_a_follow_up_is_noted_then_closed_with_who_and_when(open_2):
    ticket = rated(open_2, 1)
    open_2.later(MINUTE)
    open_2.do(cmd.NoteFollowUp(ticket, "打电话回访 called back", "sup1"))
    open_2.later(MINUTE)
    (closed,) = open_2.do(cmd.CloseFollowUp(ticket, "resolved", "sup2"))
    f = open_2.engine.state.followups[ticket]
    assert [(by, note) for _, by, note in f.notes] == [("sup1", "打电话回访 called back"), ("sup2", "resolved")]
    assert (f.closed_by, f.closed_at) == ("sup2", closed.at)
    open_2.refuse(cmd.NoteFollowUp(ticket, "again", "sup1"), "closed")
    open_2.refuse(cmd.CloseFollowUp("20261123-A999", "x", "sup1"), "unknown_follow_up")


@pytest.mark.parametrize(
    "note, by, code", [("", "sup1", "bad_note"), ("x" * 2001, "sup1", "bad_note"), ("ok", "", "bad_user")]
)
def test_a_bad_follow_up_note_is_refused(open_2, note, by, code):
    ticket = rated(open_2, 2)
    open_2.refuse(cmd.NoteFollowUp(ticket, note, by), code)


def test_the_incident_notice_goes_on_and_off_with_who_set_it(shift):
    shift.refuse(cmd.SetIncident(False, by="mgr"), "no_incident")
    shift.refuse(cmd.SetIncident(True, "维护中", "", by="mgr"), "bad_notice")
    shift.refuse(
        cmd.SetIncident(True, "维护中", "Maintenance", expected_back=shift.clock.now - 1, by="mgr"), "bad_time"
    )
    (on,) = shift.do(cmd.SetIncident(True, "系统维护中", "Under maintenance", shift.clock.now + 3600, "mgr"))
    incident = shift.engine.state.incident
    assert (incident.zh, incident.en, incident.since, incident.by) == ("系统维护中", "Under maintenance", on.at, "mgr")
    shift.do(cmd.SetIncident(False, by="mgr"))
    assert shift.engine.state.incident is None


def test_the_notice_records_who_changed_it(shift):
    (notice,) = shift.do(cmd.SetNotice("今天下午三点闭馆", "Closing at 15:00 today", "mgr"))
    assert notice.by == "mgr" and shift.engine.state.notice == ("今天下午三点闭馆", "Closing at 15:00 today")


def test_closing_a_counter_ends_its_rating_prompt(open_2):
    open_2.issue("social")
    open_2.serve(2)
    open_2.finish(2)
    prompt = open_2.engine.state.desks[2].prompt
    events = open_2.do(cmd.CloseCounter(2))
    assert [type(e) for e in events][:2] == [ev.RatingClosed, ev.CounterClosed]
    assert events[0].reason == "counter_closed"
    open_2.later(1)
    open_2.refuse(cmd.SubmitRating(prompt, 4, pressed_at=open_2.clock.now), "rating_closed")


def test_a_device_fault_raises_an_alert_until_it_clears(shift):
    shift.do(cmd.ReportDevice("K1", online=True, paper="ok", fault="printer cover open"))
    assert shift.active_alert("device_fault", "K1")
    shift.do(cmd.ReportDevice("K1", online=True, paper="ok", fault=None))
    assert ("device_fault", "K1") not in shift.engine.state.active_alerts


def test_a_transferred_ticket_starts_its_recalls_afresh(shift):
    shift.open(2, 3)
    shift.issue("social")
    shift.call(2)
    shift.do(cmd.Recall(2))
    shift.do(cmd.StartService(2))
    shift.do(cmd.Transfer(2, to_service="property"))
    t = shift.call(3)
    assert t.recalls == 0


def test_finished_tickets_are_forgotten_after_a_while_but_rebuild_the_same(shift):
    shift.open(2)
    done = [shift.issue("social") for _ in range(3)]
    for _ in done:
        shift.serve(2)
        shift.finish(2)
    no_show = shift.issue("social")
    shift.call(2)
    shift.do(cmd.MarkNoShow(2))
    state = shift.engine.state
    assert all(t.id in state.tickets for t in done + [no_show])
    shift.later(RETAIN_S + MINUTE)
    shift.issue("social")  # any later event lets the engine forget
    assert not any(t.id in state.tickets for t in done), "served tickets stay only RETAIN_S"
    assert state.tickets[no_show.id].state is TicketState.NO_SHOW, "a no-show stays past its reinstate window"
    shift.refuse(cmd.Reinstate(no_show.id), "too_late")
    assert rebuilt(shift.engine.hall, shift.journal).state.snapshot() == state.snapshot()


def test_prompts_are_forgotten_once_rated_but_wait_hours_for_a_late_press(shift):
    from hall_controller.engine.state import UNRATED_KEEP_S

    shift.open(2)
    rated_prompt = rated(shift, 4)
    shift.issue("social")
    shift.serve(2)
    shift.finish(2)
    unrated = shift.engine.state.desks[2].prompt
    pressed = shift.clock.now + 5
    shift.later(60)  # the prompt times out unrated
    shift.later(3600)  # an evaluator's outbox was stuck for an hour
    shift.issue("social")
    prompts = shift.engine.state.prompts
    assert rated_prompt not in prompts, "a rated prompt is forgotten after RETAIN_S"
    shift.do(cmd.SubmitRating(unrated, 3, pressed_at=pressed))  # pressed in time, delivered late: counts
    shift.later(UNRATED_KEEP_S)
    shift.issue("social")
    assert unrated not in prompts
    assert rebuilt(shift.engine.hall, shift.journal).state.snapshot() == shift.engine.state.snapshot()


@pytest.mark.parametrize("offset, counts", [(-0.3, True), (-0.6, False)])
def test_a_press_stamped_a_moment_before_the_prompt_still_counts(open_2, offset, counts):
    """Wire times have millisecond resolution and come from the evaluator's clock."""
    open_2.issue("social")
    open_2.serve(2)
    open_2.finish(2)
    prompt = open_2.engine.state.prompts[open_2.engine.state.desks[2].prompt]
    rating = cmd.SubmitRating(prompt.id, 4, pressed_at=prompt.opened_at + offset)
    if counts:
        open_2.do(rating)
        assert prompt.level == 4
    else:
        open_2.refuse(rating, "rating_closed")
