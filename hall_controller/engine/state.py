"""The hall as the engine knows it, changed only by applying events.

`HallState.apply(event)` is the one place where state changes. The engine decides what happens
(and emits events); this module records it. Rebuilding from the journal is `apply` over the
stored events, so the live engine and a rebuilt one cannot disagree unless `apply` itself is
wrong, and the property tests compare the two.

Timers (a reservation that must be printed in time, a rating prompt that times out, the daily
number reset) are derived here too: applying an event schedules the timers it implies, and the
engine checks a timer is still meaningful when it comes due.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
from collections import deque
from collections.abc import Callable
from typing import Any, Literal, overload

from hall.config import Hall
from hall_controller.engine import events as ev
from hall_controller.engine.flow import ServiceFlow
from hall_controller.engine.model import (
    Alert,
    Appointment,
    CounterDesk,
    CounterState,
    DeviceStatus,
    FollowUp,
    Incident,
    PreviousDay,
    RatingPrompt,
    Ticket,
    TicketState,
    carries_over,
)
from hall_controller.engine.waiting import SavedWaitingRoom, WaitingRoom

RECENT_CALLS = 12
OPEN_CALLS = 1_000  # calls remembered for displays' acknowledgements
MEAN_WEIGHT = 0.1  # weight of the newest service time in the running mean
PROMPT_KEEP_S = 24 * 3600  # a late rating (delivered after an outage) is accepted this long
OPEN_STATES = (TicketState.RESERVED, TicketState.WAITING, TicketState.CALLED, TicketState.HELD, TicketState.NO_SHOW)
FINISHED = (TicketState.DONE, TicketState.VOIDED, TicketState.EXPIRED, TicketState.NO_SHOW)
RETAIN_S = 30 * 60  # a finished ticket or a rated prompt stays in memory this long (the journal
# keeps everything for ever)
UNRATED_KEEP_S = 2 * 3600  # a prompt that ended unrated waits this long for a press delivered late
# (an outage of the controller or the broker of up to an hour, and more)
FOLLOW_UP_KEEP_S = 31 * 24 * 3600  # a closed follow-up stays in memory for a month

#: a long-service timer's key: the serving session it watches (counter, ticket id, started at)
LongService = tuple[int | None, str, float]
#: a timer: (due, order scheduled, kind, key); the kind says what the key is: a service (reset),
#: a ticket id (reservation, sla), a prompt id, a call's seq (announce; 0: every open call), a session
Timer = (
    tuple[float, int, Literal["reset", "reservation", "sla", "prompt"], str]
    | tuple[float, int, Literal["announce"], int]
    | tuple[float, int, Literal["long_service"], LongService]
)


class HallState:
    def __init__(self, hall: Hall):
        self.hall = hall
        self.clock = 0.0
        self.tickets: dict[str, Ticket] = {}
        self.waiting = WaitingRoom(hall)
        self.desks = {n: CounterDesk(n) for n in hall.counters}
        self.prompts: dict[str, RatingPrompt] = {}
        self.appointments: dict[str, Appointment] = {}
        self.days: dict[str, str] = {}
        self.day_started_at: dict[str, float] = {}
        self.next_reset: dict[str, float] = {}
        self.next_number: dict[str, int] = {}
        self.lease_top: dict[str, int] = {}
        self.leases: dict[tuple[str, str], list[tuple[int, int]]] = {}
        self.used_offline: set[tuple[str, int]] = set()
        self.previous_days: dict[str, PreviousDay] = {}  # service -> its day just ended (see PreviousDay)
        self.seq = 0
        self.call_seq = 0
        self.alert_seq = 0
        self.alerts: dict[int, Alert] = {}
        self.active_alerts: dict[tuple[str, str], int] = {}
        self.devices: dict[str, DeviceStatus] = {}
        self.mean_service = {s.id: s.mean_service_s for s in hall.services.values()}
        self.flow = ServiceFlow(hall, self.mean_service)  # how fast each queue moves (estimated waits)
        self.notice = (hall.notice.zh, hall.notice.en)
        self.recent_calls: deque[ev.TicketCalled | ev.TicketRecalled] = deque(maxlen=RECENT_CALLS)
        # calls whose announcement still matters: seq -> (ticket, counter, when made); a recall
        # replaces its ticket's earlier call, and only the newest OPEN_CALLS are kept
        self.open_calls: dict[int, tuple[str, int, float]] = {}
        self.last_spoken: dict[str, float] = {}  # display -> when it last reported a call spoken
        self.incident: Incident | None = None
        self.followups: dict[str, FollowUp] = {}
        # What to forget, and when: (when it ended, id), oldest first; one queue per waiting time,
        # so that a long wait at the head never holds back the short ones behind it.
        self.finished: deque[tuple[float, str]] = deque()  # served, voided, expired tickets
        self.no_shows: deque[tuple[float, str]] = deque()  # no-shows (reinstate window first)
        self.rated_prompts: deque[tuple[float, str]] = deque()
        self.unrated_prompts: deque[tuple[float, str]] = deque()
        self.timers: list[Timer] = []
        self._timer_n = 0
        self._apply = self._handlers()

    # --- the one entry point ----------------------------------------------------------------

    def _handlers(self) -> dict[type, Callable[[Any], None]]:
        """Which method applies which event: one line per event type, to grep (a test checks none is missing)."""
        return {
            ev.ServiceDayStarted: self._service_day_started,
            ev.OfflineBlockLeased: self._offline_block_leased,
            ev.AppointmentBooked: self._appointment_booked,
            ev.AppointmentCancelled: self._appointment_cancelled,
            ev.TicketReserved: self._ticket_reserved,
            ev.TicketPrinted: self._ticket_printed,
            ev.TicketVoided: self._ticket_voided,
            ev.TicketIssuedOffline: self._ticket_issued_offline,
            ev.PriorityRequested: self._priority_requested,
            ev.PriorityDecided: self._priority_decided,
            ev.CounterOpened: self._counter_opened,
            ev.CounterClosed: self._counter_closed,
            ev.CounterPaused: self._counter_paused,
            ev.CounterResumed: self._counter_resumed,
            ev.TicketCalled: self._ticket_called,
            ev.TicketRecalled: self._ticket_recalled,
            ev.CallAnnounced: self._call_announced,
            ev.CallNotAnnounced: self._call_not_announced,
            ev.TicketNoShow: self._ticket_no_show,
            ev.TicketReinstated: self._ticket_reinstated,
            ev.ServiceStarted: self._service_started,
            ev.TicketHeld: self._ticket_held,
            ev.TicketResumed: self._ticket_resumed,
            ev.TicketRequeued: self._ticket_requeued,
            ev.TicketReturned: self._ticket_returned,
            ev.TicketTransferred: self._ticket_transferred,
            ev.TicketDone: self._ticket_done,
            ev.RatingPrompted: self._rating_prompted,
            ev.RatingClosed: self._rating_closed,
            ev.RatingRecorded: self._rating_recorded,
            ev.AlertRaised: self._alert_raised,
            ev.AlertCleared: self._alert_cleared,
            ev.AlertAcknowledged: self._alert_acknowledged,
            ev.DeviceReported: self._device_reported,
            ev.NoticeSet: self._notice_set,
            ev.IncidentSet: self._incident_set,
            ev.FollowUpOpened: self._follow_up_opened,
            ev.FollowUpNoted: self._follow_up_noted,
            ev.FollowUpClosed: self._follow_up_closed,
        }

    def apply(self, event: ev.Event) -> None:
        if event.at > self.clock:
            self.clock = event.at
        self._apply[type(event)](event)
        at = event.at
        if self.finished and self.finished[0][0] < at - RETAIN_S:
            self._forget_tickets(self.finished, at - RETAIN_S)
        if self.no_shows and self.no_shows[0][0] < at - RETAIN_S - self.hall.dispatch.reinstate_window_s:
            self._forget_tickets(self.no_shows, at - RETAIN_S - self.hall.dispatch.reinstate_window_s)
        if self.rated_prompts and self.rated_prompts[0][0] < at - RETAIN_S:
            self._forget_prompts(self.rated_prompts, at - RETAIN_S)
        if self.unrated_prompts and self.unrated_prompts[0][0] < at - UNRATED_KEEP_S:
            self._forget_prompts(self.unrated_prompts, at - UNRATED_KEEP_S)

    def _forget_tickets(self, queue: deque[tuple[float, str]], before: float) -> None:
        """Forget tickets that ended before `before`: memory stays bounded by the live queue, not
        by the day (a no-show is kept until a while after it can no longer be reinstated, so staff
        hear "too late" rather than "no such ticket"). Driven by event times only, so an engine
        rebuilt from the journal forgets exactly the same tickets. An entry whose ticket came back
        (a reinstated no-show) and ended again later is stale: the later entry forgets it."""
        while queue and queue[0][0] < before:
            at, ticket_id = queue.popleft()
            t = self.tickets.get(ticket_id)
            if t is not None and t.state in FINISHED and t.closed_at == at:
                del self.tickets[ticket_id]

    def _forget_prompts(self, queue: deque[tuple[float, str]], before: float) -> None:
        """Forget prompts that ended before `before`: a rated one after RETAIN_S, an unrated one
        after UNRATED_KEEP_S (its citizen's press may still be on its way from an evaluator's
        outbox). An unrated prompt rated late is forgotten with the rated ones."""
        while queue and queue[0][0] < before:
            _, prompt_id = queue.popleft()
            p = self.prompts.get(prompt_id)
            if p is not None and (p.level is not None or queue is self.unrated_prompts):
                del self.prompts[prompt_id]

    def _finish(self, t: Ticket, at: float) -> None:
        t.closed_at = at
        (self.no_shows if t.state is TicketState.NO_SHOW else self.finished).append((at, t.id))

    def __getstate__(self) -> dict[str, Any]:
        """Pickled for journal snapshots without the config: `attach` gives it the current one."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("hall", "_apply")}
        saved: SavedWaitingRoom = (self.waiting._lists, self.waiting._direct, self.waiting._by_seq, self.waiting.count)
        state["waiting"] = saved
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for t in self.tickets.values():  # a snapshot from before tickets could ask for priority
            if not hasattr(t, "priority_check"):
                t.priority_check = None

    def attach(self, hall: Hall) -> None:
        saved: SavedWaitingRoom = self.__dict__["waiting"]  # as __getstate__ left it, until replaced below
        lists, direct, by_seq, count = saved
        self.hall = hall
        self.waiting = WaitingRoom(hall)
        for key, empty in self.waiting._lists.items():  # a class or service new in the hall file
            lists.setdefault(key, empty)
        self.waiting._lists, self.waiting._direct, self.waiting._by_seq, self.waiting.count = (
            lists,
            direct,
            by_seq,
            count,
        )
        if "flow" not in self.__dict__:  # a snapshot from before the flow was learned
            self.flow = ServiceFlow(hall, self.mean_service)
        for desk in self.desks.values():  # ... or before counters kept their run of calls
            if not hasattr(desk, "run"):
                desk.run = 0
        self.flow.attach(hall, self.mean_service)
        self._apply = self._handlers()

    @overload
    def schedule(self, due: float, kind: Literal["reset", "reservation", "sla", "prompt"], key: str) -> None: ...
    @overload
    def schedule(self, due: float, kind: Literal["announce"], key: int) -> None: ...
    @overload
    def schedule(self, due: float, kind: Literal["long_service"], key: LongService) -> None: ...

    def schedule(self, due: float, kind: Any, key: Any) -> None:  # the overloads above pair kinds and keys
        self._timer_n += 1
        heapq.heappush(self.timers, (due, self._timer_n, kind, key))

    # --- numbering and days -----------------------------------------------------------------

    def _service_day_started(self, e: ev.ServiceDayStarted) -> None:
        service = self.hall.services[e.service]
        for t in [t for t in self.tickets.values() if t.service == e.service or t.origin == e.service]:
            if (
                t.state in OPEN_STATES
                and t.service == e.service
                and not carries_over(t.state, t.since, e.at, e.carry_over_s)
            ):
                self._close_for_day(t, e.at)
            if t.state not in OPEN_STATES and t.state is not TicketState.SERVING:
                del self.tickets[t.id]  # a closed ticket of a finished day: the journal keeps it
        for pid in [
            p.id for p in self.prompts.values() if p.service == e.service and p.opened_at < e.at - PROMPT_KEEP_S
        ]:
            del self.prompts[pid]
        for code in [
            a.code for a in self.appointments.values() if a.service == e.service and a.slot_end < e.at - PROMPT_KEEP_S
        ]:
            del self.appointments[code]
        if e.carry_over_s and e.service in self.days:
            self.previous_days[e.service] = PreviousDay(
                self.days[e.service],
                self.day_started_at[e.service],
                e.at,
                e.carry_over_s,
                {k[0]: blocks for k, blocks in self.leases.items() if k[1] == e.service},
                {n for s, n in self.used_offline if s == e.service},
            )
        else:
            self.previous_days.pop(e.service, None)
        self.days[e.service] = e.day
        self.day_started_at[e.service] = e.at
        self.flow.day_started(e.at)
        self.next_number[e.service] = service.first_number
        self.lease_top[e.service] = service.last_number
        for key in [k for k in self.leases if k[1] == e.service]:
            del self.leases[key]
        self.used_offline = {u for u in self.used_offline if u[0] != e.service}
        if service.reset_time is not None:
            due = next_reset_after(e.at, service.reset_time, self.hall)
            self.next_reset[e.service] = due
            self.schedule(due, "reset", e.service)

    def _close_for_day(self, t: Ticket, at: float) -> None:
        if t in self.waiting:
            self.waiting.remove(t)
        if t.counter is not None:
            desk = self.desks[t.counter]
            if desk.current == t.id:
                desk.current = None
            if t.id in desk.held:
                desk.held.remove(t.id)
        t.move("day_closed")
        self._finish(t, at)

    def _offline_block_leased(self, e: ev.OfflineBlockLeased) -> None:
        self.leases.setdefault((e.kiosk, e.service), []).append((e.first, e.last))
        self.lease_top[e.service] = e.first - 1

    def _appointment_booked(self, e: ev.AppointmentBooked) -> None:
        self.appointments[e.code] = Appointment(e.code, e.service, e.slot_start, e.slot_end)

    def _appointment_cancelled(self, e: ev.AppointmentCancelled) -> None:
        del self.appointments[e.code]

    # --- issuing ----------------------------------------------------------------------------

    def _ticket_reserved(self, e: ev.TicketReserved) -> None:
        t = Ticket(
            id=e.ticket,
            label=e.label,
            service=e.service,
            origin=e.service,
            number=e.number,
            klass=e.klass,
            arrival=e.at,
            since=e.since,
            seq=e.seq,
            key=(e.priority_key, e.seq),
            kiosk=e.kiosk,
            appointment=e.appointment,
            promised_wait_s=e.promised_wait_s,
            ahead_at_issue=e.ahead,
        )
        self.tickets[t.id] = t
        self.seq = e.seq
        self.next_number[e.service] = e.number + 1
        if e.appointment is not None:
            self.appointments[e.appointment].ticket = t.id
        self.schedule(e.at + self.hall.dispatch.reservation_timeout_s, "reservation", t.id)

    def _ticket_printed(self, e: ev.TicketPrinted) -> None:
        t = self.tickets[e.ticket]
        t.move("print")
        self._enqueue(t)

    def _ticket_voided(self, e: ev.TicketVoided) -> None:
        t = self.tickets[e.ticket]
        t.move("reservation_timeout" if e.reason == "reservation_timeout" else "print_failed")
        self._finish(t, e.at)
        if t.appointment is not None and t.appointment in self.appointments:
            self.appointments[t.appointment].ticket = None  # the citizen may check in again

    def _ticket_issued_offline(self, e: ev.TicketIssuedOffline) -> None:
        t = Ticket(
            id=e.ticket,
            label=e.label,
            service=e.service,
            origin=e.service,
            number=e.number,
            klass=e.klass,
            arrival=e.since,
            since=e.since,
            seq=e.seq,
            key=(e.priority_key, e.seq),
            state=TicketState.WAITING,
            kiosk=e.kiosk,
            offline=True,
        )
        self.tickets[t.id] = t
        self.seq = max(self.seq, e.seq)
        previous = self.previous_days.get(e.service)
        if previous is not None and e.since < self.day_started_at[e.service]:
            previous.used.add(e.number)  # a ticket of the day just ended, reported after it
        else:
            self.used_offline.add((e.service, e.number))
        self._enqueue(t)

    def _priority_requested(self, e: ev.PriorityRequested) -> None:
        self.tickets[e.ticket].priority_check = "asked"

    def _priority_decided(self, e: ev.PriorityDecided) -> None:
        t = self.tickets[e.ticket]
        t.priority_check = "confirmed" if e.confirmed else "refused"
        if e.confirmed:
            queued = t in self.waiting
            if queued:
                self.waiting.remove(t)  # filed under its class and key: out before they change
            t.klass, t.key = "priority", (e.priority_key, t.seq)
            if queued:
                self.waiting.add(t)

    def _enqueue(self, t: Ticket) -> None:
        """Into the queue, with the timer for its wait target (at once if it has waited that long
        before: a transferred, reinstated or requeued ticket keeps its arrival)."""
        self.waiting.add(t)
        self.schedule(t.since + self.hall.services[t.service].target_wait_s, "sla", t.id)

    # --- counters ---------------------------------------------------------------------------

    def _counter_opened(self, e: ev.CounterOpened) -> None:
        d = self.desks[e.counter]
        d.state, d.clerk, d.pause_reason, d.since = CounterState.OPEN, e.clerk, None, e.at

    def _counter_closed(self, e: ev.CounterClosed) -> None:
        d = self.desks[e.counter]
        d.state, d.clerk, d.pause_reason, d.since = CounterState.CLOSED, None, None, e.at

    def _counter_paused(self, e: ev.CounterPaused) -> None:
        d = self.desks[e.counter]
        d.state, d.pause_reason, d.since = CounterState.PAUSED, e.reason, e.at

    def _counter_resumed(self, e: ev.CounterResumed) -> None:
        d = self.desks[e.counter]
        d.state, d.pause_reason, d.since = CounterState.OPEN, None, e.at

    # --- calling and serving ----------------------------------------------------------------

    def _ticket_called(self, e: ev.TicketCalled) -> None:
        t = self.tickets[e.ticket]
        self.waiting.remove(t)
        t.move("call")
        t.counter, t.to_counter, t.called_at = e.counter, None, e.at
        if t.first_called_at is None:
            t.first_called_at = e.at
            if t.to_counter is None and t.transfers == 0:
                self.flow.waited(e.service, e.at - t.since)
        desk = self.desks[e.counter]
        desk.current = t.id
        if t.klass in self.hall.dispatch.priority_classes:
            desk.run = min(desk.run, 0) - 1
        else:
            desk.run = max(desk.run, 0) + 1
        self.call_seq = e.call_seq
        self.recent_calls.append(e)
        self.flow.called(e)
        self._open_call(t, e)

    def _ticket_recalled(self, e: ev.TicketRecalled) -> None:
        t = self.tickets[e.ticket]
        t.move("recall")
        t.recalls, t.called_at = e.recalls, e.at
        self.call_seq = e.call_seq
        self.recent_calls.append(e)
        self._open_call(t, e)

    def _open_call(self, t: Ticket, e: ev.TicketCalled | ev.TicketRecalled) -> None:
        """A new call of `t`: its clocks start again, from its own announcement."""
        if t.call_seq is not None:
            self.open_calls.pop(t.call_seq, None)
        t.call_seq, t.shown_at, t.heard_at, t.not_announced = e.call_seq, None, None, False
        self.open_calls[e.call_seq] = (t.id, e.counter, e.at)
        while len(self.open_calls) > OPEN_CALLS:
            del self.open_calls[next(iter(self.open_calls))]
        self.schedule(e.at + self.hall.dispatch.announce_within_s, "announce", e.call_seq)

    def _call_announced(self, e: ev.CallAnnounced) -> None:
        if e.outcome == "spoken":
            # the display's voice works: calls behind it wait for it; if it falls silent, the
            # calls still unheard then are looked at again (the "announce" timer with no call)
            self.last_spoken[e.device] = e.at
            self.schedule(e.at + self.hall.dispatch.announce_within_s, "announce", 0)
        t = self.tickets.get(e.ticket)
        if t is None or t.call_seq != e.call_seq:
            return
        if e.outcome != "skipped" and t.shown_at is None:
            t.shown_at = e.started
        if e.outcome == "spoken" and t.heard_at is None:
            t.heard_at = e.ended
            if t.first_heard_at is None:
                t.first_heard_at = e.ended

    def _call_not_announced(self, e: ev.CallNotAnnounced) -> None:
        t = self.tickets.get(e.ticket)
        if t is not None and t.call_seq == e.call_seq:
            t.not_announced = True

    def _ticket_no_show(self, e: ev.TicketNoShow) -> None:
        t = self.tickets[e.ticket]
        t.move("no_show")
        self._finish(t, e.at)
        self.desks[e.counter].current = None
        self._counter_freed(t, e.counter, e.at)

    def _ticket_reinstated(self, e: ev.TicketReinstated) -> None:
        t = self.tickets[e.ticket]
        t.move("reinstate")
        t.closed_at, t.counter, t.recalls = None, None, 0
        self._enqueue(t)

    def _service_started(self, e: ev.ServiceStarted) -> None:
        t = self.tickets[e.ticket]
        t.move("start")
        self._start_interval(t, e.at)

    def _start_interval(self, t: Ticket, at: float) -> None:
        t.started_at = at
        limit = self.mean_service[t.service] * self.hall.dispatch.long_service_factor
        self.schedule(at + limit, "long_service", (t.counter, t.id, at))

    def _end_interval(self, t: Ticket, at: float) -> None:
        assert t.started_at is not None  # only a serving ticket is held, and _start_interval set it
        t.served_s += at - t.started_at
        t.started_at = None

    def _ticket_held(self, e: ev.TicketHeld) -> None:
        t = self.tickets[e.ticket]
        t.move("hold")
        self._end_interval(t, e.at)
        self.flow.interrupted(t.id)
        d = self.desks[e.counter]
        d.current = None
        d.held.append(t.id)

    def _ticket_resumed(self, e: ev.TicketResumed) -> None:
        t = self.tickets[e.ticket]
        t.move("resume")
        d = self.desks[e.counter]
        d.held.remove(t.id)
        d.current = t.id
        self._start_interval(t, e.at)

    def _ticket_requeued(self, e: ev.TicketRequeued) -> None:
        t = self.tickets[e.ticket]
        t.move("requeue")
        self.desks[e.counter].held.remove(t.id)
        t.counter, t.recalls = None, 0
        self._enqueue(t)

    def _ticket_returned(self, e: ev.TicketReturned) -> None:
        t = self.tickets[e.ticket]
        self.waiting.remove(t)
        t.to_counter = None
        self.waiting.add(t)

    def _ticket_transferred(self, e: ev.TicketTransferred) -> None:
        t = self.tickets[e.ticket]
        t.move("transfer")
        self._counter_freed(t, e.counter, e.at)
        self._learn_service_time(t.service, e.served_s - t.served_s)
        t.served_s, t.started_at = e.served_s, None
        t.transfers += 1
        t.service, t.to_counter, t.counter, t.recalls = e.to_service, e.to_counter, None, 0
        self.desks[e.counter].current = None
        self._enqueue(t)

    def _ticket_done(self, e: ev.TicketDone) -> None:
        t = self.tickets[e.ticket]
        t.move("finish")
        self._learn_service_time(t.service, e.served_s - t.served_s)
        t.served_s, t.started_at = e.served_s, None
        self._finish(t, e.at)
        self.desks[e.counter].current = None
        self._counter_freed(t, e.counter, e.at)

    def _counter_freed(self, t: Ticket, number: int, at: float) -> None:
        """A counter is done with a citizen: teach the flow how long the turn took and whether
        the next call follows at once (someone it may serve waits)."""
        self.flow.ended(t.id, t.service, at)
        counter = self.hall.counters[number]
        count = self.waiting.count
        busy = (
            any(count[s] for s in counter.primary)
            or any(count[s] for s in counter.backup)
            or self.waiting.direct_count(number) > 0
        )
        self.flow.freed(number, at, busy)

    def _learn_service_time(self, service: str, seconds: float) -> None:
        m = self.mean_service[service]
        self.mean_service[service] = m + MEAN_WEIGHT * (seconds - m)

    # --- ratings ----------------------------------------------------------------------------

    def _rating_prompted(self, e: ev.RatingPrompted) -> None:
        self.prompts[e.prompt] = RatingPrompt(e.prompt, e.ticket, e.counter, e.clerk, e.service, e.at, e.deadline)
        self.desks[e.counter].prompt = e.prompt
        self.schedule(e.deadline, "prompt", e.prompt)

    def _rating_closed(self, e: ev.RatingClosed) -> None:
        p = self.prompts[e.prompt]
        p.closed_at = min(e.at, p.deadline)
        self._release_prompt(p)
        self.unrated_prompts.append((e.at, p.id))

    def _rating_recorded(self, e: ev.RatingRecorded) -> None:
        p = self.prompts[e.prompt]
        p.level = e.level
        if p.closed_at is None:
            p.closed_at = e.at
        self._release_prompt(p)
        self.rated_prompts.append((e.at, p.id))

    def _release_prompt(self, p: RatingPrompt) -> None:
        d = self.desks[p.counter]
        if d.prompt == p.id:
            d.prompt = None

    # --- alerts, devices, notice ------------------------------------------------------------

    def _alert_raised(self, e: ev.AlertRaised) -> None:
        self.alerts[e.alert] = Alert(e.alert, e.kind, e.subject, e.message, e.at)
        self.active_alerts[(e.kind, e.subject)] = e.alert
        self.alert_seq = e.alert

    def _alert_cleared(self, e: ev.AlertCleared) -> None:
        a = self.alerts[e.alert]
        a.cleared_at = e.at
        self.active_alerts.pop((a.kind, a.subject), None)

    def _alert_acknowledged(self, e: ev.AlertAcknowledged) -> None:
        a = self.alerts[e.alert]
        a.acked_by, a.acked_at = e.by, e.at
        if a.kind == "negative_rating":  # nothing clears these but a person
            self.active_alerts.pop((a.kind, a.subject), None)

    def _device_reported(self, e: ev.DeviceReported) -> None:
        self.devices[e.device] = DeviceStatus(e.online, e.paper, e.fault, e.at)

    def _notice_set(self, e: ev.NoticeSet) -> None:
        self.notice = (e.zh, e.en)

    def _incident_set(self, e: ev.IncidentSet) -> None:
        self.incident = Incident(e.zh, e.en, e.at, e.expected_back, e.by) if e.on else None

    def _follow_up_opened(self, e: ev.FollowUpOpened) -> None:
        self.followups[e.ticket] = FollowUp(e.ticket, e.label, e.counter, e.clerk, e.service, e.level, e.at)
        for ticket in [
            k for k, f in self.followups.items() if f.closed_at is not None and f.closed_at < e.at - FOLLOW_UP_KEEP_S
        ]:
            del self.followups[ticket]

    def _follow_up_noted(self, e: ev.FollowUpNoted) -> None:
        self.followups[e.ticket].notes.append((e.at, e.by, e.note))

    def _follow_up_closed(self, e: ev.FollowUpClosed) -> None:
        f = self.followups[e.ticket]
        f.notes.append((e.at, e.by, e.note))
        f.closed_at, f.closed_by = e.at, e.by

    # --- comparing --------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything that matters, as plain data: a rebuilt state must produce the same."""

        def rows(d: dict[Any, Any]) -> dict[Any, tuple[Any, ...]]:
            return {k: dataclasses.astuple(v) for k, v in d.items()}

        return {
            "tickets": rows(self.tickets),
            "desks": rows(self.desks),
            "prompts": rows(self.prompts),
            "appointments": rows(self.appointments),
            "alerts": rows(self.alerts),
            "devices": rows(self.devices),
            "active_alerts": dict(self.active_alerts),
            "waiting": sorted(t.key for t in self.waiting.tickets()),
            "waiting_count": dict(self.waiting.count),
            "days": dict(self.days),
            "day_started_at": dict(self.day_started_at),
            "next_reset": dict(self.next_reset),
            "next_number": dict(self.next_number),
            "lease_top": dict(self.lease_top),
            "leases": dict(self.leases),
            "used_offline": sorted(self.used_offline),
            "seq": self.seq,
            "previous_days": {
                k: (v.day, v.started_at, v.ended_at, v.carry_over_s, v.leases, sorted(v.used))
                for k, v in self.previous_days.items()
            },
            "call_seq": self.call_seq,
            "alert_seq": self.alert_seq,
            "notice": self.notice,
            "mean_service": {k: round(v, 6) for k, v in self.mean_service.items()},
            "flow": self.flow.snapshot(),
            "recent_calls": list(self.recent_calls),
            "open_calls": dict(self.open_calls),
            "last_spoken": dict(self.last_spoken),
            "incident": None if self.incident is None else dataclasses.astuple(self.incident),
            "followups": rows(self.followups),
            "finished": list(self.finished),
            "no_shows": list(self.no_shows),
            "rated_prompts": list(self.rated_prompts),
            "unrated_prompts": list(self.unrated_prompts),
        }


def service_day(now: float, reset: dt.time | None, hall: Hall) -> str:
    """The local date whose numbering is running at `now` (the date of the last reset)."""
    local = dt.datetime.fromtimestamp(now, hall.tz)
    if reset is not None and local.time() < reset:
        local -= dt.timedelta(days=1)
    return local.strftime("%Y%m%d")


def next_reset_after(now: float, reset: dt.time, hall: Hall) -> float:
    local = dt.datetime.fromtimestamp(now, hall.tz)
    candidate = dt.datetime.combine(local.date(), reset, tzinfo=hall.tz)
    if candidate.timestamp() <= now:
        candidate = dt.datetime.combine(local.date() + dt.timedelta(days=1), reset, tzinfo=hall.tz)
    return candidate.timestamp()
