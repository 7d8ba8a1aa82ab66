"""Two small halls, a simulated clock and a `Shift` that speaks to the engine like the hall's staff do.

The halls are built with `hall.config.parse`, the same checks a real `hall.toml` goes through:
the test hall (one counter per dispatch rule) for the rule tests, the crowded hall (few numbers,
short timers, a reset soon) for the property tests.
The clock only moves when a test says so. `Shift.refuse` is the one way tests check a refusal:
it compares the whole engine state (and its timers) before and after, so every refusal test
also proves that nothing changed.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from hall.config import Hall, parse
from hall_controller.engine import Engine, Refused, Ticket
from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
MORNING = dt.datetime(2026, 11, 23, 8, 30, tzinfo=TZ).timestamp()  # a Monday, half an hour before opening
MINUTE = 60.0


def hall_description() -> dict:
    """The small hall most tests use. Each counter exists to exercise one dispatch rule."""
    return {
        "hall": {"id": "testhall", "name": {"zh": "测试大厅", "en": "Test Hall"}, "timezone": "Asia/Shanghai"},
        "dispatch": {
            "recall_limit": 2,
            "reinstate_min": 30,
            "reservation_s": 120,
            "rating_timeout_s": 30,
            "long_queue": 5,
            "long_service_factor": 3.0,
            "offline_block": 10,
            "appointment_early_min": 30,
            "appointment_late_min": 15,
            "no_show_wait_s": 0,
        },
        "classes": {"priority": 10, "appointment": 15},
        "services": [
            {
                "id": "social",
                "prefix": "A",
                "name": {"zh": "社保", "en": "Social"},
                "target_wait_min": 20,
                "mean_service_min": 6,
            },
            {
                "id": "property",
                "prefix": "B",
                "name": {"zh": "不动产", "en": "Property"},
                "target_wait_min": 30,
                "mean_service_min": 15,
            },
            {
                "id": "fund",
                "prefix": "C",
                "name": {"zh": "公积金", "en": "Fund"},
                "numbers": [1, 30],
                "target_wait_min": 20,
                "mean_service_min": 8,
            },
        ],
        "counters": [
            {"number": 1, "primary": ["social"], "backup": ["fund", "property"]},  # the A/B post
            {"number": 2, "primary": ["social"]},
            {"number": 3, "primary": ["property"]},
            {"number": 4, "primary": ["fund"]},
            {
                "number": 5,
                "primary": ["social", "fund"],
                "backup": ["property"],
                "classes": ["priority", "appointment"],
                "class_mode": "first",
            },  # elderly window
            {"number": 6, "primary": ["social"], "classes": ["priority"], "class_mode": "only"},
        ],
        # K1 and K2: the citizen's word is enough (priority tests need no staff); K3: staff confirm
        "kiosks": [
            {"id": "K1", "services": ["social", "property", "fund"], "priority": "self"},
            {"id": "K2", "services": ["social"], "priority": "self"},
            {"id": "K3", "services": ["social", "property"]},
            {"id": "K4", "services": ["social"], "priority": "off"},
        ],
        "evaluators": [{"id": f"E{n}", "counter": n} for n in range(1, 7)],
        "callers": [{"id": f"C{n}", "counter": n} for n in range(1, 7)],
        "displays": [{"id": "D1", "mode": "hall"}],
    }


def crowded_hall_description() -> dict:
    """A hall small enough for collisions: few numbers, short timers, a reset half an hour away,
    a service that never resets, and every kind of counter."""
    return {
        "hall": {"id": "crowded", "name": {"zh": "拥挤大厅", "en": "Crowded Hall"}, "timezone": "Asia/Shanghai"},
        "dispatch": {
            "recall_limit": 1,
            "reinstate_min": 10,
            "reservation_s": 60,
            "rating_timeout_s": 30,
            "long_queue": 4,
            "long_service_factor": 2.0,
            "offline_block": 5,
            "appointment_early_min": 10,
            "appointment_late_min": 5,
            "no_show_wait_s": 0,
        },
        "classes": {"priority": 10, "appointment": 15},
        "services": [
            {
                "id": "social",
                "prefix": "A",
                "name": {"zh": "社保", "en": "Social"},
                "numbers": [1, 40],
                "reset": "09:00",
                "target_wait_min": 20,
                "mean_service_min": 6,
            },
            {
                "id": "property",
                "prefix": "B",
                "name": {"zh": "不动产", "en": "Property"},
                "target_wait_min": 30,
                "mean_service_min": 15,
            },
            {
                "id": "fund",
                "prefix": "C",
                "name": {"zh": "公积金", "en": "Fund"},
                "numbers": [1, 25],
                "reset": "never",
                "target_wait_min": 10,
                "mean_service_min": 8,
            },
        ],
        "counters": [
            {"number": 1, "primary": ["social"], "backup": ["property", "fund"]},
            {"number": 2, "primary": ["property"]},
            {
                "number": 3,
                "primary": ["social"],
                "backup": ["property"],
                "classes": ["priority", "appointment"],
                "class_mode": "first",
            },
            # normal fund tickets have no primary counter: only counter 1, as backup, calls them
            {
                "number": 4,
                "primary": ["social", "fund"],
                "backup": ["property"],
                "classes": ["priority"],
                "class_mode": "only",
            },
        ],
        "kiosks": [
            {"id": "K1", "services": ["social", "property", "fund"], "priority": "self"},
            {"id": "K2", "services": ["social"], "priority": "self"},
        ],
        "evaluators": [{"id": f"E{n}", "counter": n} for n in range(1, 5)],
        "callers": [{"id": f"C{n}", "counter": n} for n in range(1, 5)],
        "displays": [{"id": "D1"}],
    }


class SimClock:
    """Time for the engine: moves forward only when told to."""

    def __init__(self, start: float = MORNING):
        self.now = start

    def advance(self, seconds: float) -> float:
        assert seconds >= 0, "the simulated clock never goes back"
        self.now += seconds
        return self.now


class Shift:
    """The staff of the test hall: issue tickets, work counters, let time pass; checks as it goes.

    `display`: the hall display that hears every call the moment it is made (its acknowledgement
    follows each call at once), so that tests of other rules need not announce calls themselves;
    None for tests of what happens between a call and its announcement.
    """

    def __init__(self, engine: Engine, clock: SimClock, display: str | None = "D1"):
        self.engine = engine
        self.clock = clock
        self.display = display
        self.journal: list = []  # every event, in order, as the controller would store them

    # --- raw verbs ----------------------------------------------------------------------------

    def do(self, command) -> list:
        events = self.engine.handle(command, self.clock.now)
        self.journal.extend(events)
        if self.display is not None:
            for e in events:
                if isinstance(e, (ev.TicketCalled, ev.TicketRecalled)):
                    self.announce(e.call_seq)
        return events

    def announce(
        self,
        call_seq: int,
        outcome: str = "spoken",
        *,
        display: str | None = None,
        started: float | None = None,
        ended: float | None = None,
        reason: str | None = None,
    ) -> list:
        """A display reports what it did with a call (by default: spoke it just now)."""
        now = self.clock.now
        report = cmd.ReportCalls(
            display or self.display or "D1",
            (
                cmd.CallOutcome(
                    call_seq, outcome, now if started is None else started, now if ended is None else ended, reason
                ),
            ),
        )
        events = self.engine.handle(report, now)
        self.journal.extend(events)
        return events

    def later(self, seconds: float = 0.0) -> list:
        """Let time pass, then tick (what the controller's loop does every second)."""
        self.clock.advance(seconds)
        events = self.engine.tick(self.clock.now)
        self.journal.extend(events)
        return events

    def refuse(self, command, code: str) -> Refused:
        """`command` must be refused with `code`, and the engine must be exactly as before."""
        before = self.engine.state.snapshot()
        timers = list(self.engine.state.timers)
        with pytest.raises(Refused) as caught:
            self.engine.handle(command, self.clock.now)
        assert caught.value.code == code, caught.value.message
        assert caught.value.message, "a refusal always says why"
        assert self.engine.state.snapshot() == before
        assert self.engine.state.timers == timers
        return caught.value

    # --- what staff do ------------------------------------------------------------------------

    def issue(self, service: str = "social", klass: str = "normal", kiosk: str | None = "K1") -> Ticket:
        reserved = self.reserve(service, klass, kiosk)
        self.do(cmd.ConfirmPrinted(reserved.id))
        return reserved

    def reserve(self, service: str = "social", klass: str = "normal", kiosk: str | None = "K1") -> Ticket:
        events = self.do(cmd.RequestTicket(service=service, klass=klass, kiosk=kiosk))
        (reserved,) = [e for e in events if isinstance(e, ev.TicketReserved)]
        return self.ticket(reserved.ticket)

    def open(self, *counters: int) -> None:
        for n in counters:
            self.do(cmd.OpenCounter(n, f"clerk{n}"))

    def call(self, counter: int) -> Ticket:
        events = self.do(cmd.CallNext(counter))
        (called,) = [e for e in events if isinstance(e, ev.TicketCalled)]
        assert called.counter == counter
        return self.ticket(called.ticket)

    def serve(self, counter: int) -> Ticket:
        """Call the next ticket and start serving it."""
        t = self.call(counter)
        self.do(cmd.StartService(counter))
        return t

    def finish(self, counter: int, outcome: str = "completed") -> list:
        return self.do(cmd.Finish(counter, outcome))

    def ticket(self, ticket_id: str) -> Ticket:
        return self.engine.state.tickets[ticket_id]

    def labels_called_at(self, counter: int, times: int) -> list[str]:
        """Call, serve and finish `times` tickets at `counter`; the labels in call order."""
        labels = []
        for _ in range(times):
            labels.append(self.serve(counter).label)
            self.finish(counter)
        return labels

    def events_of(self, kind: type) -> list:
        return [e for e in self.journal if isinstance(e, kind)]

    def active_alert(self, kind: str, subject: str):
        alert_id = self.engine.state.active_alerts.get((kind, subject))
        return None if alert_id is None else self.engine.state.alerts[alert_id]


def rebuilt(hall: Hall, journal: list) -> Engine:
    """A fresh engine rebuilt from the journal, every event through the JSON round trip."""
    engine = Engine(hall)
    for event in journal:
        engine.apply(ev.decode(ev.event_name(event), ev.encode(event)))
    return engine


@pytest.fixture
def hall() -> Hall:
    return parse(hall_description())


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


@pytest.fixture
def shift(hall, clock):
    """The test hall at 08:30 on a Monday, its services' day started, every counter closed.

    After the test, the engine rebuilt from the test's journal must equal the live one.
    """
    s = Shift(Engine(hall), clock)
    s.later(0)
    yield s
    assert rebuilt(hall, s.journal).state.snapshot() == s.engine.state.snapshot()
