"""The ticket life cycle is a table: check the table itself and the one error an illegal move raises."""

from __future__ import annotations

import pytest

from hall_controller.engine import IllegalTransition, TicketState
from hall_controller.engine.model import TRANSITIONS, Ticket

S = TicketState


def a_ticket(state: TicketState) -> Ticket:
    return Ticket(
        id="20261123-A001",
        label="A001",
        service="social",
        origin="social",
        number=1,
        klass="normal",
        arrival=0.0,
        since=0.0,
        seq=1,
        key=(0.0, 1),
        state=state,
    )


def test_every_state_has_a_row():
    assert set(TRANSITIONS) == set(TicketState)


def test_every_move_leads_to_a_state():
    assert all(isinstance(to, TicketState) for row in TRANSITIONS.values() for to in row.values())


@pytest.mark.parametrize("state", [S.DONE, S.VOIDED, S.EXPIRED])
def test_closed_tickets_never_move_again(state):
    assert TRANSITIONS[state] == {}


def test_the_documented_life_cycle():
    path = [
        ("print", S.WAITING),
        ("call", S.CALLED),
        ("recall", S.CALLED),
        ("start", S.SERVING),
        ("hold", S.HELD),
        ("resume", S.SERVING),
        ("transfer", S.WAITING),
        ("call", S.CALLED),
        ("no_show", S.NO_SHOW),
        ("reinstate", S.WAITING),
        ("call", S.CALLED),
        ("start", S.SERVING),
        ("hold", S.HELD),
        ("requeue", S.WAITING),
        ("call", S.CALLED),
        ("start", S.SERVING),
        ("finish", S.DONE),
    ]
    t = a_ticket(S.RESERVED)
    for action, expected in path:
        t.move(action)
        assert t.state is expected, action


def test_every_open_ticket_except_one_being_served_expires_with_its_day():
    expiring = {s for s, row in TRANSITIONS.items() if "day_closed" in row}
    assert expiring == {S.RESERVED, S.WAITING, S.CALLED, S.HELD, S.NO_SHOW}


@pytest.mark.parametrize(
    "state, action",
    [
        (S.RESERVED, "call"),
        (S.WAITING, "finish"),
        (S.CALLED, "finish"),
        (S.DONE, "reinstate"),
        (S.VOIDED, "print"),
        (S.NO_SHOW, "call"),
        (S.SERVING, "day_closed"),
        (S.HELD, "call"),
    ],
)
def test_an_illegal_move_is_the_engines_bug_and_changes_nothing(state, action):
    t = a_ticket(state)
    assert not t.can(action)
    with pytest.raises(IllegalTransition, match=action):
        t.move(action)
    assert t.state is state


def test_every_event_type_has_exactly_one_handler_in_the_state_table(hall):
    """The state's handler table is written out by hand (to grep); a new event without a line in
    it would be journalled but never applied."""
    from hall_controller.engine import events as ev
    from hall_controller.engine.state import HallState

    table = HallState(hall)._handlers()
    assert set(table) == set(ev.EVENT_TYPES.values())
    assert all(
        handler.__name__ == "_" + "".join("_" + c.lower() if c.isupper() else c for c in cls.__name__).lstrip("_")
        for cls, handler in table.items()
    )
