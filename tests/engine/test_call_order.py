"""Call order under hypothesis: effective arrival (arrival minus the class head start), then issue
order; and a transfer keeps the ticket's place by its arrival."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hall.config import parse
from hall_controller.engine import Engine, Refused
from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev

from . import strategies as hs
from .conftest import MINUTE, SimClock, crowded_hall_description


def called_ticket(events: list) -> str:
    (called,) = [e.ticket for e in events if isinstance(e, ev.TicketCalled)]
    return called


arrivals = st.lists(
    st.tuples(st.integers(0, 40 * 60), st.sampled_from(["normal", "normal", "priority"])), min_size=1, max_size=25
)


@hs.engine_settings
@given(arrivals)
def test_call_order_is_arrival_minus_head_start_then_issue_order(arrivals):
    """One counter, one service: tickets are called by effective arrival; ties by issue order."""
    engine = Engine(parse(crowded_hall_description()))
    clock = SimClock()
    engine.tick(clock.now)
    start = clock.now
    issued = []
    for offset, klass in sorted(arrivals, key=lambda a: a[0]):
        clock.now = start + offset
        events = engine.handle(cmd.RequestTicket("property", klass), clock.now)
        engine.handle(cmd.ConfirmPrinted(events[0].ticket), clock.now)
        head = engine.hall.dispatch.head_start_s[klass]
        issued.append((start + offset - head, len(issued), events[0].ticket))
    engine.handle(cmd.OpenCounter(2, "S1"), clock.now)
    called = []
    for _ in issued:
        called.append(called_ticket(engine.handle(cmd.CallNext(2), clock.now)))
        engine.handle(cmd.StartService(2), clock.now)
        engine.handle(cmd.Finish(2), clock.now)
    assert called == [t for _, _, t in sorted(issued)]


@hs.engine_settings
@given(
    st.lists(
        st.tuples(st.sampled_from(["social", "property", "fund"]), st.integers(0, 30 * 60)), min_size=2, max_size=20
    ),
    st.data(),
)
def test_transfer_keeps_the_arrival_order(tickets, data):
    """Tickets of three services, some served at counter 1 and sent on to property: counter 2 then
    calls every property ticket in order of arrival, transferred or not."""
    engine = Engine(parse(crowded_hall_description()))
    clock = SimClock()
    engine.tick(clock.now)
    start = clock.now
    arrival = {}
    for service, offset in sorted(tickets, key=lambda t: t[1]):
        clock.now = start + offset
        t = engine.handle(cmd.RequestTicket(service), clock.now)[0].ticket
        engine.handle(cmd.ConfirmPrinted(t), clock.now)
        arrival[t] = start + offset
    clock.now += MINUTE
    engine.handle(cmd.OpenCounter(1, "S1"), clock.now)
    for _ in range(data.draw(st.integers(0, len(tickets)), label="tickets transferred")):
        try:
            engine.handle(cmd.CallNext(1), clock.now)
        except Refused:
            break
        engine.handle(cmd.StartService(1), clock.now)
        engine.handle(cmd.Transfer(1, to_service="property"), clock.now)
    engine.handle(cmd.OpenCounter(2, "S2"), clock.now)
    called = []
    while engine.state.waiting.count["property"]:
        called.append(called_ticket(engine.handle(cmd.CallNext(2), clock.now)))
        engine.handle(cmd.StartService(2), clock.now)
        engine.handle(cmd.Finish(2), clock.now)
    assert [arrival[t] for t in called] == sorted(arrival[t] for t in called)
