"""The engine's invariants under random days (hypothesis drives commands; the clock only moves forward).

`HallDay` is a state machine driving one engine through a random day: tickets, counters, clerks,
evaluators, supervisors and the clock (which only moves forward). It runs on two halls: a small
one with every kind of counter (A/B posts, a class-first window, a class-only window, a service
with no unrestricted primary counter) and the example hall that ships with the suite. Every step
it checks:

- a refused command changes nothing (state and timers), and a restarted engine refuses it too;
- the engine rebuilt from the journal (each event through the JSON round trip) equals the live one;
- an engine rebuilt at a random moment ("restart") then answers every command and tick alike;
- no ticket is called twice: a call takes a ticket from the queue, and only printing, backfill,
  transfer, reinstating or requeuing put it there (a recall is not a call);
- numbers are unique per service per day; call numbers are gap-free;
- a call never passes a ticket of the same service with an earlier effective arrival (among the
  classes the counter is choosing from: a class-first window picks its classes first), so no normal
  ticket is overtaken by a priority ticket that arrived more than its head start later; a backup
  service is called only as the A/B post rule allows;
- a transfer keeps the ticket's arrival, wait start and place key;
- queue, desks and held lists agree with the tickets' states; a counter has at most one open prompt;
- drain: calling and finishing at open counters until nothing moves leaves no waiting ticket that
  an open counter could serve.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from hall.config import Counter, Hall, load, parse
from hall_controller.engine import CounterState, Engine, Refused, TicketState
from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev

from . import strategies as hs
from .conftest import SimClock, crowded_hall_description

EXAMPLE_HALL = Path(__file__).resolve().parents[2] / "examples" / "hall.toml"


def may_serve(counter: Counter, ticket) -> bool:
    """Could `counter`, open, ever call this waiting ticket?"""
    if ticket.to_counter is not None:
        return ticket.to_counter == counter.number
    if counter.level(ticket.service) is None:
        return False
    return not counter.classes or counter.class_mode == "first" or ticket.klass in counter.classes


def drain(engine: Engine, now: float) -> None:
    """Keep calling, serving and finishing at the open counters until nothing moves; then check
    that no waiting ticket is left that an open counter could serve."""
    state = engine.state
    moved = True
    while moved:
        moved = False
        for number, desk in state.desks.items():
            if desk.state is not CounterState.OPEN:
                continue
            if desk.current is None:
                try:
                    engine.handle(cmd.CallNext(number), now)
                except Refused as refusal:
                    assert refusal.code == "nothing_waiting"
                    continue
            if state.tickets[desk.current].state is TicketState.CALLED:
                engine.handle(cmd.StartService(number), now)
            engine.handle(cmd.Finish(number), now)
            moved = True
    open_counters = [engine.hall.counters[n] for n, d in state.desks.items() if d.state is CounterState.OPEN]
    stranded = [t.label for t in state.waiting.tickets() if any(may_serve(c, t) for c in open_counters)]
    assert not stranded, f"open counters could serve {stranded} but nobody called them"


class HallDay(RuleBasedStateMachine):
    """A day in a hall; subclasses say which hall (`make_hall`)."""

    @staticmethod
    def make_hall() -> Hall:
        raise NotImplementedError

    def __init__(self):
        super().__init__()
        self.hall = hall = self.make_hall()
        self.counter_numbers = sorted(hall.counters)
        self.service_ids = list(hall.services)
        # what people may type: mostly real names, sometimes one the hall does not have
        self.counters = st.sampled_from(self.counter_numbers * 3 + [999])
        self.services = st.sampled_from(self.service_ids * 3 + ["passports"])
        self.kiosks = st.sampled_from(sorted(hall.kiosks) * 2 + ["K99"])
        devices = [*hall.kiosks, *hall.evaluators, *hall.callers, *hall.displays]
        self.devices = st.sampled_from(sorted(devices) + ["X99"])
        self.clock = SimClock()
        self.engine = Engine(self.hall)
        self.replica = Engine(self.hall)  # every event applied as the journal gives it back
        self.restarted: Engine | None = None  # rebuilt at a random moment, then driven alike
        self.journal: list = []
        self.queue: dict[str, str] = {}  # ticket -> service: what may be called now
        self.since: dict[str, float] = {}  # ticket -> when its wait started
        self.numbers: set[tuple[str, str, int]] = set()
        self.issued: set[str] = set()
        self.days: dict[str, str] = {}
        self.call_seq = 0
        self.alert_seq = 0

    # --- plumbing ---------------------------------------------------------------------------

    @property
    def now(self) -> float:
        return self.clock.now

    @property
    def state(self):
        return self.engine.state

    def run(self, command) -> list | None:
        """Handle `command`: its events, or None when refused (after checking nothing changed)."""
        before, timers = self.state.snapshot(), list(self.state.timers)
        try:
            events = self.engine.handle(command, self.now)
        except Refused as refusal:
            assert refusal.code and refusal.message
            assert self.state.snapshot() == before, f"{command} was refused ({refusal.code}) but changed the state"
            assert self.state.timers == timers
            if self.restarted is not None:
                with pytest.raises(Refused) as again:
                    self.restarted.handle(command, self.now)
                assert again.value.code == refusal.code
            return None
        if self.restarted is not None:
            assert self.restarted.handle(command, self.now) == events, f"restarted engine differs on {command}"
        self.record(events)
        for e in events:  # the hall display speaks every call at once (the clocks start from it)
            if isinstance(e, (ev.TicketCalled, ev.TicketRecalled)):
                self.run(cmd.ReportCalls("D1", (cmd.CallOutcome(e.call_seq, "spoken", self.now, self.now),)))
        return events

    def record(self, events: list) -> None:
        for e in events:
            back = ev.decode(ev.event_name(e), ev.encode(e))
            assert back == e
            self.replica.apply(back)
            self.journal.append(e)
            self.observe(e)

    def observe(self, e) -> None:
        """The invariants that are about what happens, checked event by event."""
        if isinstance(e, ev.ServiceDayStarted):
            self.days[e.service] = e.day
            # the reset expires the queue of the old day, but for tickets taken shortly before it
            self.queue = {
                t: s for t, s in self.queue.items() if s != e.service or e.at - self.since[t] <= e.carry_over_s
            }
        elif isinstance(e, (ev.TicketReserved, ev.TicketIssuedOffline)):
            number = (e.service, e.ticket.partition("-")[0], e.number)  # the day is in the id
            assert number not in self.numbers, f"number {e.label} given twice on {number[1]}"
            assert e.ticket not in self.issued
            self.numbers.add(number)
            self.issued.add(e.ticket)
            self.since[e.ticket] = e.since
            if isinstance(e, ev.TicketIssuedOffline):
                self.queue[e.ticket] = e.service
        elif isinstance(e, ev.TicketPrinted):
            self.queue[e.ticket] = self.state.tickets[e.ticket].service
        elif isinstance(e, ev.TicketTransferred):
            self.queue[e.ticket] = e.to_service
        elif isinstance(e, (ev.TicketReinstated, ev.TicketRequeued)):
            self.queue[e.ticket] = self.state.tickets[e.ticket].service
        elif isinstance(e, ev.TicketCalled):
            assert e.ticket in self.queue, f"{e.label} called while not in the queue (called twice?)"
            del self.queue[e.ticket]
            assert e.call_seq == self.call_seq + 1
            self.call_seq = e.call_seq
        elif isinstance(e, ev.TicketRecalled):
            assert e.ticket not in self.queue
            assert self.state.desks[e.counter].current == e.ticket
            assert e.call_seq == self.call_seq + 1
            self.call_seq = e.call_seq
        elif isinstance(e, ev.AlertRaised):
            assert e.alert == self.alert_seq + 1
            self.alert_seq = e.alert

    def pick(self, data, choices: list, unknown: object = None):
        """One of `choices` (or `unknown`, a value the engine has never seen), or None if none."""
        options = list(choices) + ([unknown] if unknown is not None else [])
        return data.draw(st.sampled_from(options)) if options else None

    def tickets_in(self, *states: TicketState) -> list[str]:
        return sorted(t.id for t in self.state.tickets.values() if t.state in states)

    # --- time -------------------------------------------------------------------------------

    @initialize()
    def first_tick(self):
        self.record(self.engine.tick(self.now))

    @rule(step=hs.clock_steps)
    def time_passes(self, step):
        self.clock.advance(step)
        events = self.engine.tick(self.now)
        if self.restarted is not None:
            assert self.restarted.tick(self.now) == events, "restarted engine differs on tick"
        self.record(events)
        for service in self.service_ids:  # a tick raises the wait alert of every queue past its target
            if self.state.waiting.past_target(service, self.now):
                assert ("wait_over_target", service) in self.state.active_alerts, service

    @rule()
    def restart(self):
        """The controller restarts: from now on a rebuilt engine is driven alongside the live one."""
        self.restarted = Engine(self.hall)
        for e in self.journal:
            self.restarted.apply(ev.decode(ev.event_name(e), ev.encode(e)))

    # --- kiosks and bookings ----------------------------------------------------------------
    # Rules are few and composite, so that hypothesis spends its steps on a working hall: most
    # steps issue tickets, work a counter or let time pass; the odd commands come in between.

    @rule(data=st.data(), count=st.integers(1, 3))
    def citizens_take_tickets(self, data, count):
        for _ in range(count):
            service = data.draw(st.sampled_from(self.service_ids))
            klass = data.draw(st.sampled_from(["normal", "normal", "priority"]))
            kiosk = next(k.id for k in self.hall.kiosks.values() if service in k.services)
            events = self.run(cmd.RequestTicket(service, klass, kiosk))
            if events:
                self.run(cmd.ConfirmPrinted(events[0].ticket))

    @rule(
        data=st.data(),
        what=st.sampled_from(["request", "confirm", "print_failed", "book", "check_in", "lease", "backfill"]),
    )
    def kiosk(self, data, what):
        draw = data.draw
        if what == "request":
            self.run(cmd.RequestTicket(draw(self.services), draw(hs.ticket_classes), draw(self.kiosks)))
        elif what == "confirm":
            ticket = self.pick(data, self.tickets_in(TicketState.RESERVED, TicketState.VOIDED), "20261123-A099")
            self.run(cmd.ConfirmPrinted(ticket, draw(st.sampled_from([None, "K1", "K2"]))))
        elif what == "print_failed":
            ticket = self.pick(data, self.tickets_in(TicketState.RESERVED, TicketState.WAITING), "20261123-A099")
            self.run(cmd.ReportPrintFailed(ticket, "paper jam", draw(st.sampled_from([None, "K1", "K2"]))))
        elif what == "book":
            start = self.now + draw(hs.slot_offsets)
            self.run(
                cmd.BookAppointment(draw(hs.booking_codes), draw(self.services), start, start + draw(hs.slot_lengths))
            )
        elif what == "check_in":
            events = self.run(cmd.RequestTicket(appointment=draw(hs.booking_codes), kiosk="K1"))
            if events:
                self.run(cmd.ConfirmPrinted(events[0].ticket))
        elif what == "lease":
            self.run(cmd.LeaseOfflineBlock(draw(self.kiosks), draw(self.services)))
        else:
            kiosk, service = draw(self.kiosks), draw(self.services)
            lent = [
                n
                for (k, s), blocks in self.state.leases.items()
                if (k, s) == (kiosk, service)
                for a, b in blocks
                for n in range(a, b + 1)
            ]
            number = self.pick(data, lent, 7)
            klass = draw(st.sampled_from(["normal", "normal", "priority", "appointment"]))
            self.run(cmd.BackfillOffline(kiosk, service, number, self.now + draw(hs.offline_offsets), klass))

    # --- counters ---------------------------------------------------------------------------

    def a_counter(self, data, *, busy: bool) -> int:
        """Mostly a counter where the command makes sense; sometimes any, or one that does not exist."""
        desks = self.state.desks
        fitting = [
            n
            for n in self.counter_numbers
            if desks[n].state is not CounterState.CLOSED and (desks[n].current is not None) == busy
        ]
        return data.draw(st.sampled_from(fitting * 4 + self.counter_numbers + [999]) if fitting else self.counters)

    @rule(data=st.data(), steps=st.integers(1, 4))
    def clerks_work(self, data, steps):
        """What clerks do most: the next natural step at a counter (open, call, start, finish)."""
        for _ in range(steps):
            self.work_at(self.a_counter(data, busy=data.draw(st.booleans())))

    def work_at(self, counter: int) -> None:
        desk = self.state.desks.get(counter)
        if desk is None or desk.state is CounterState.CLOSED:
            self.run(cmd.OpenCounter(counter, f"S{counter}"))
        elif desk.current is None:
            self.call_next(counter)
        elif self.state.tickets[desk.current].state is TicketState.CALLED:
            self.run(cmd.StartService(counter))
        else:
            self.run(cmd.Finish(counter))

    @rule(
        data=st.data(),
        what=st.sampled_from(["recall", "recall", "no_show", "hold", "transfer", "transfer", "finish", "start"]),
    )
    def clerk_with_a_citizen(self, data, what):
        counter = self.a_counter(data, busy=True)
        if what == "recall":
            self.run(cmd.Recall(counter))
        elif what == "no_show":
            self.run(cmd.MarkNoShow(counter))
        elif what == "hold":
            self.run(cmd.Hold(counter))
        elif what == "start":
            self.run(cmd.StartService(counter))
        elif what == "finish":
            self.run(cmd.Finish(counter, data.draw(hs.outcomes)))
        else:
            to_service, to_counter = data.draw(
                st.sampled_from(
                    [(s, None) for s in self.service_ids] * 3
                    + [(None, n) for n in self.counter_numbers] * 2
                    + [("passports", None), (None, None), (self.service_ids[0], self.counter_numbers[0])]
                )
            )
            self.transfer(counter, to_service, to_counter)

    @rule(
        data=st.data(), what=st.sampled_from(["open", "close", "pause", "resume", "resume_held", "call", "reinstate"])
    )
    def clerk_at_the_desk(self, data, what):
        counter = self.a_counter(data, busy=False)
        if what == "open":
            self.run(cmd.OpenCounter(counter, data.draw(hs.clerks)))
        elif what == "close":
            self.close_counter(counter)
        elif what == "pause":
            self.run(cmd.PauseCounter(counter, data.draw(hs.pause_reasons)))
        elif what == "resume":
            self.run(cmd.ResumeCounter(counter))
        elif what == "resume_held":
            held = self.state.desks[counter].held if counter in self.state.desks else []
            self.run(cmd.ResumeHeld(counter, self.pick(data, [None, *held], "20261123-A001")))
        elif what == "call":
            self.call_next(counter)
        else:
            ticket = self.pick(data, self.tickets_in(TicketState.NO_SHOW, TicketState.DONE), "20261123-A098")
            self.run(cmd.Reinstate(ticket))

    def close_counter(self, counter: int) -> None:
        held = list(self.state.desks[counter].held) if counter in self.state.desks else []
        keys = {t: self.state.tickets[t].key for t in held}
        if self.run(cmd.CloseCounter(counter)):
            for t, key in keys.items():  # back in the queue at their place
                ticket = self.state.tickets[t]
                assert ticket.state is TicketState.WAITING and ticket.key == key

    def call_next(self, counter: int) -> None:
        waiting = [
            (t.id, t.service, t.key, t.to_counter, t.klass, t.arrival, t.since) for t in self.state.waiting.tickets()
        ]
        events = self.run(cmd.CallNext(counter))
        if events:
            called = next(e for e in events if isinstance(e, ev.TicketCalled))
            self.check_call_order(self.hall.counters[counter], called.ticket, waiting)

    def check_call_order(self, counter: Counter, ticket_id: str, waiting: list) -> None:
        (me,) = [w for w in waiting if w[0] == ticket_id]
        _, service, key, to_counter, klass, arrival, _ = me
        if to_counter is not None:
            assert to_counter == counter.number
            return
        if counter.classes and (counter.class_mode == "only" or klass in counter.classes):
            pool_classes = counter.classes  # chosen among the classes it serves (first)
        else:
            pool_classes = ("normal", "priority", "appointment")
        pool = [w for w in waiting if w[1] == service and w[3] is None and w[4] in pool_classes]
        earlier = [w[0] for w in pool if w[2] < key]
        assert not earlier, f"counter {counter.number} called {ticket_id} before {earlier}"
        if klass == "priority":
            head = self.hall.dispatch.head_start_s["priority"]
            passed = [w[0] for w in pool if w[4] == "normal" and w[5] < arrival - head]
            assert not passed, f"priority {ticket_id} overtook {passed}, which came more than its head start earlier"
        if counter.level(service) == 2:  # the A/B post rule
            own_classes = counter.classes if counter.classes and counter.class_mode == "only" else None
            own = [
                w
                for w in waiting
                if w[3] == counter.number
                or (w[3] is None and w[1] in counter.primary and (own_classes is None or w[4] in own_classes))
            ]
            oldest = min(w[6] for w in waiting if w[1] == service and w[3] is None)
            past = oldest + self.hall.services[service].target_wait_s <= self.now
            assert not own or past, f"counter {counter.number} took backup {ticket_id} while its own tickets wait"

    def transfer(self, counter: int, to_service: str | None, to_counter: int | None) -> None:
        desk = self.state.desks.get(counter)
        before = None
        if desk is not None and desk.current is not None:
            t = self.state.tickets[desk.current]
            before = (t.id, t.arrival, t.since, t.key)
        if self.run(cmd.Transfer(counter, to_service, to_counter)):
            t = self.state.tickets[before[0]]
            assert (t.id, t.arrival, t.since, t.key) == before, "a transfer must keep the place in line"
            assert t.service == (to_service if to_service is not None else t.service)
            assert t.to_counter == to_counter
            assert t in self.state.waiting

    # --- ratings, devices, alerts -----------------------------------------------------------

    @precondition(lambda self: self.state.prompts)
    @rule(
        data=st.data(),
        level=hs.rating_levels,
        pressed=hs.press_offsets,
        same_counter=st.sampled_from([True, True, False]),
    )
    def evaluator(self, data, level, pressed, same_counter):
        prompt = self.pick(data, sorted(self.state.prompts), "20261123-A097")
        p = self.state.prompts.get(prompt)
        others = [n for n in self.counter_numbers if p is not None and n != p.counter]
        counter = None if p is None else (p.counter if same_counter or not others else others[0])
        self.run(cmd.SubmitRating(prompt, level, self.now + pressed, counter))

    @rule(data=st.data(), what=st.sampled_from(["device", "acknowledge", "notice", "incident", "follow_up"]))
    def supervisor(self, data, what):
        if what == "incident":
            on = data.draw(st.booleans())
            text = data.draw(st.sampled_from(["系统维护", "", " "])) if on else ""
            back = data.draw(st.sampled_from([None, 1800, -60]))
            self.run(
                cmd.SetIncident(on, text, text and "maintenance", None if back is None else self.now + back, "manager")
            )
        elif what == "follow_up":
            ticket = self.pick(data, sorted(self.state.followups), "20261123-A096")
            kind = data.draw(st.sampled_from([cmd.NoteFollowUp, cmd.NoteFollowUp, cmd.CloseFollowUp]))
            self.run(
                kind(
                    ticket,
                    data.draw(st.sampled_from(["called back", "", "x" * 2001])),
                    data.draw(st.sampled_from(["manager", ""])),
                )
            )
        elif what == "device":
            self.run(cmd.ReportDevice(data.draw(self.devices), data.draw(st.booleans()), data.draw(hs.paper_states)))
        elif what == "acknowledge":
            alert = self.pick(data, sorted(self.state.alerts), 999)
            self.run(cmd.AcknowledgeAlert(alert, data.draw(st.sampled_from(["manager", "manager", ""]))))
        else:
            self.run(cmd.SetNotice(data.draw(st.sampled_from(["", "通知", "长" * 501])), "notice"))

    @precondition(lambda self: len(self.journal) > 30)
    @rule()
    def drain_a_rebuilt_copy(self):
        copy = Engine(self.hall)
        for e in self.journal:
            copy.apply(e)
        drain(copy, self.now)

    # --- what must always hold --------------------------------------------------------------

    @invariant()
    def rebuilt_engine_equals_the_live_one(self):
        live = self.state.snapshot()
        derived = (self.state.day_started_at, self.state.next_reset)  # not in the snapshot
        for other in (self.replica, self.restarted):
            if other is not None:
                assert other.state.snapshot() == live
                assert (other.state.day_started_at, other.state.next_reset) == derived

    @invariant()
    def queue_desks_and_tickets_agree(self):
        s = self.state
        waiting = {t.id for t in s.tickets.values() if t.state is TicketState.WAITING}
        assert {t.id for t in s.waiting.tickets()} == waiting == set(self.queue)
        for service in self.service_ids:
            assert s.waiting.count[service] == sum(1 for t in s.waiting.tickets() if t.service == service)
        at_counters = {
            t.id: t.counter for t in s.tickets.values() if t.state in (TicketState.CALLED, TicketState.SERVING)
        }
        assert {d.current: n for n, d in s.desks.items() if d.current is not None} == at_counters
        held = {t.id: t.counter for t in s.tickets.values() if t.state is TicketState.HELD}
        assert {t: n for n, d in s.desks.items() for t in d.held} == held
        for d in s.desks.values():
            if d.state is CounterState.CLOSED:
                assert d.current is None and d.held == [] and d.clerk is None

    @invariant()
    def alerts_and_estimates_make_sense(self):
        s = self.state
        for (kind, subject), alert_id in s.active_alerts.items():
            a = s.alerts[alert_id]
            assert (a.kind, a.subject, a.cleared_at) == (kind, subject, None)
        for service in self.service_ids:
            long_queue = s.waiting.count[service] >= self.hall.dispatch.long_queue
            closed = [
                c.number
                for c in self.hall.counters.values()
                if c.level(service) and s.desks[c.number].state is not CounterState.OPEN
            ]
            assert (("understaffed", service) in s.active_alerts) == (long_queue and bool(closed)), service
            if ("wait_over_target", service) in s.active_alerts:
                assert s.waiting.past_target(service, self.now), f"{service}: wait alert with the queue in target"
        for device, status in s.devices.items():
            assert (("device_offline", device) in s.active_alerts) == (not status.online)
            assert (("printer_paper", device) in s.active_alerts) == (status.paper in ("low", "out"))
        for service in self.service_ids:
            wait = self.engine.estimate_wait(service, s.waiting.count[service])
            serving = [
                c
                for c in self.hall.counters.values()
                if c.level(service)
                and s.desks[c.number].state is not CounterState.CLOSED
                and not (c.classes and c.class_mode == "only" and "normal" not in c.classes)
            ]
            assert (wait is None) == (not serving), service  # None: no counter serving it is open
            assert wait is None or 0 <= wait < float("inf")

    @invariant()
    def a_counter_has_at_most_one_open_prompt(self):
        for n, desk in self.state.desks.items():
            still_open = [p.id for p in self.state.prompts.values() if p.counter == n and p.closed_at is None]
            assert still_open == ([desk.prompt] if desk.prompt else []), f"counter {n}: {still_open}"

    def teardown(self):
        if self.engine.state.days:
            drain(self.engine, self.now)


class SmallHallDay(HallDay):
    """The crowded hall of conftest: every kind of counter, few numbers, short timers."""

    make_hall = staticmethod(lambda: parse(crowded_hall_description()))


class ExampleHallDay(HallDay):
    """The example hall that ships with the suite (`examples/hall.toml`): ten counters, five services."""

    make_hall = staticmethod(lambda: load(EXAMPLE_HALL))


TestSmallHallDay = SmallHallDay.TestCase
TestSmallHallDay.settings = hs.engine_settings
TestExampleHallDay = ExampleHallDay.TestCase
TestExampleHallDay.settings = settings(hs.engine_settings, max_examples=max(10, hs.engine_settings.max_examples // 2))
