"""The dispatch engine: commands in, events out, the clock passed in. No I/O, no threads.

    engine = Engine(hall)
    engine.tick(now)                                   # time passes: timers, daily reset
    events = engine.handle(CallNext(counter=5), now)   # or raises Refused, changing nothing

Two verbs only. `tick(now)` does what time alone causes (a reservation never printed is voided,
a rating prompt times out, a service's numbering resets at its hour, an alert comes due).
`handle(command, now)` does what someone asked; a command that cannot be carried out raises
`Refused` with a code and a sentence for the person who asked, before any event is emitted.

Every handler first checks, then emits. `_emit` applies each event to the state at once, so a
handler that emits several events sees the effect of the earlier ones.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections.abc import Callable
from typing import Any

from hall.config import OUTCOMES, PAUSE_REASONS, Hall
from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev
from hall_controller.engine.lookahead import Lookahead, called_at
from hall_controller.engine.model import CARRY_OVER_S, CounterDesk, CounterState, FollowUp, Ticket, TicketState
from hall_controller.engine.state import HallState, LongService, service_day

CLOCK_SKEW_S = 120  # a rating pressed "in the future" by this much is refused
BACKUP_FLOOR = 0.1  # the least share of a backup counter's calls the estimated wait counts on
BLEND = 0.8  # the counted estimated wait: this much from the queue ahead, the rest from the last wait
#: the estimated wait plays the line forward with at most this many ahead, and at most this many
#: calls: a play costs some 5 µs a call on every ticket issued, and a longer line is counted as
#: well (the last wait it blends in knows of breaks the play cannot see). The bias over the
#: example day remains -1.0, -0.9 and -0.2 min (seeds 1-3: waits a little longer than printed):
#: lunch breaks taken after a ticket was printed, which no live state shows.
LOOKAHEAD_AHEAD = 12
LOOKAHEAD_CALLS = 60
MIN_LEFT = 0.3  # a citizen at a counter past the usual turn is counted on for 30 % of it more
#: how long a pause usually lasts, by its reason: the estimated wait counts on the clerk's return
PAUSE_S = {
    "break": 10 * 60,
    "meal": 45 * 60,
    "meeting": 30 * 60,
    "consultation": 10 * 60,
    "training": 60 * 60,
    "system": 10 * 60,
    "other": 15 * 60,
}
NOTICE_MAX = 500


CLOSED, PAUSED = CounterState.CLOSED, CounterState.PAUSED


class Refused(Exception):
    """A command that cannot be carried out: the sender's mistake or the hall's situation."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class EngineBug(RuntimeError):
    """An unexpected error inside the engine. `events` are those already applied before it, which
    must still be journalled so that a rebuilt engine stays equal to the live one."""

    def __init__(self, events: list[ev.Event], cause: BaseException):
        super().__init__(f"engine error: {cause!r}")
        self.events = events


class EngineNotStarted(RuntimeError):
    """`handle` before the first `tick`: the engine does not yet know what day it is (our bug)."""


class Engine:
    def __init__(self, hall: Hall, state: HallState | None = None):
        self.hall = hall
        self.state = state or HallState(hall)
        self.now = self.state.clock
        self._out: list[ev.Event] = []
        self._primary = {s: [c for c in hall.counters.values() if s in c.primary] for s in hall.services}
        self._backup = {s: [c for c in hall.counters.values() if s in c.backup] for s in hall.services}
        self._capable = {s: [c.number for c in hall.counters.values() if c.level(s)] for s in hall.services}
        # per service, what the estimated wait needs of each counter that may serve it: number, level,
        # the least share counted on, the other primary services it calls by arrival, the classes it is limited to
        self._estimating = {
            s: [
                (
                    c.number,
                    c.level(s),
                    BACKUP_FLOOR / len(c.backup) if c.level(s) == 2 else 0.0,
                    tuple(p for p in c.primary if p != s),
                    c.classes if c.classes and c.class_mode == "only" else None,
                    c.classes,
                )
                for c in hall.counters.values()
                if c.level(s)
            ]
            for s in hall.services
        }
        self._handlers: dict[type, Callable[[Any], None]] = {
            cmd.RequestTicket: self._request_ticket,
            cmd.ConfirmPrinted: self._confirm_printed,
            cmd.ReportPrintFailed: self._print_failed,
            cmd.LeaseOfflineBlock: self._lease,
            cmd.BackfillOffline: self._backfill,
            cmd.BookAppointment: self._book,
            cmd.CancelAppointment: self._cancel_booking,
            cmd.OpenCounter: self._open,
            cmd.CloseCounter: self._close,
            cmd.PauseCounter: self._pause,
            cmd.ResumeCounter: self._resume,
            cmd.CallNext: self._call_next,
            cmd.Recall: self._recall,
            cmd.MarkNoShow: self._no_show,
            cmd.StartService: self._start,
            cmd.Hold: self._hold,
            cmd.ResumeHeld: self._resume_held,
            cmd.Transfer: self._transfer,
            cmd.Finish: self._finish,
            cmd.Reinstate: self._reinstate,
            cmd.SubmitRating: self._rating,
            cmd.ReportCalls: self._report_calls,
            cmd.ReportDevice: self._device,
            cmd.AcknowledgeAlert: self._ack,
            cmd.SetNotice: self._notice,
            cmd.SetIncident: self._incident,
            cmd.NoteFollowUp: self._note_follow_up,
            cmd.CloseFollowUp: self._close_follow_up,
            cmd.DecidePriority: self._decide_priority,
        }
        self._timers: dict[str, Callable[[str, float], None]] = {
            "reset": self._timer_reset,
            "reservation": self._timer_reservation,
            "prompt": self._timer_prompt,
        }
        # the displays that may announce a counter's calls: every hall display, and its own counter display
        self._announcers = {
            n: frozenset(d.id for d in hall.displays.values() if d.mode == "hall" or d.counter == n)
            for n in hall.counters
        }

    # --- the two verbs ----------------------------------------------------------------------

    def tick(self, now: float) -> list[ev.Event]:
        """Let time pass to `now`; return the events time alone caused."""
        self._begin(now)
        s = self.state
        for service in self.hall.services.values():
            if service.id not in s.days:
                self._emit(ev.ServiceDayStarted(now, service.id, service_day(now, service.reset_time, self.hall)))
        timers = s.timers
        waits: set[str] = set()
        while timers and timers[0][0] <= now:
            timer = heapq.heappop(timers)
            due = timer[0]
            if timer[2] == "sla":  # compared item by item, so that mypy knows the key's type (state.Timer)
                self._timer_sla(timer[3], waits)
            elif timer[2] == "announce":
                self._timer_announce(timer[3], due)
            elif timer[2] == "long_service":
                self._timer_long_service(timer[3], due)
            else:
                self._timers[timer[2]](timer[3], due)
        # Wait targets are checked last, per service in a fixed order. An engine rebuilt after a
        # restart also holds the timers the live one had already used; every other timer is a
        # no-op when it comes due twice, and this keeps the order of a tick's events the same.
        for service_id in self.hall.services:
            if service_id in waits:
                self._check_wait(service_id)
        return self._end()

    def handle(self, command: cmd.Command, now: float) -> list[ev.Event]:
        """Carry out `command` at `now`; return its events, or raise Refused and change nothing."""
        if len(self.state.days) != len(self.hall.services):
            raise EngineNotStarted("call tick(now) once before handling commands")
        self._begin(now)
        try:
            handler = self._handlers[type(command)]
        except KeyError:
            raise TypeError(f"not an engine command: {command!r}") from None
        try:
            handler(command)
        except Refused as refusal:
            if self._out:
                late = RuntimeError(f"{type(command).__name__} refused after emitting")
                raise EngineBug(self._end(), late) from refusal
            raise
        except Exception as cause:
            raise EngineBug(self._end(), cause) from cause
        return self._end()

    def apply(self, event: ev.Event) -> None:
        """Apply an event read back from the journal (rebuilding after a restart)."""
        self.state.apply(event)
        self.now = self.state.clock

    def _begin(self, now: float) -> None:
        self.now = now
        self._out = []

    def _end(self) -> list[ev.Event]:
        out, self._out = self._out, []
        return out

    def _emit(self, event: ev.Event) -> None:
        self.state.apply(event)
        self._out.append(event)

    # --- questions (pure reads, used by the board, the kiosk reply and the tests) ------------

    def estimate_wait(
        self, service: str, ahead: int, klass: str = "normal", key: tuple[float, int] | None = None
    ) -> float | None:
        """Seconds until a ticket with `ahead` tickets before it is likely called, or None when
        no counter that may serve it is open now (the hall says so rather than guess). `key`:
        the ticket's place in line (waiting, or being issued); without it, a ticket taken now (a
        question about another line than the one waiting is answered by the count below).

        Each open counter is free again at some instant: now if it is idle, else when the
        citizen at it is likely done (the usual turn less the time already spent, and a
        breath); a counter paused for a short break soon after. With at most `LOOKAHEAD_AHEAD`
        ahead, the line is played forward from there by the hall's own rule, each call taking
        the learned turn of its service (lookahead.py). A longer line, or one the play does not
        settle in `LOOKAHEAD_CALLS` calls, is counted: each counter that may serve the service
        calls it at its learned rate (flow.py: a counter with two primary services, a backup
        counter under the A/B rule; a counter that calls the ticket's class first calls it
        after only those), until the counters together have made `ahead + 1` calls, blended
        with the wait of the service's last ticket called (the delay-history predictor).

        Measured by `hall simulate` over the example day, seeds 1-3 (mean of the three days'
        relative errors): mean absolute error 34 % of the mean wait (23, 29, 49 %), against 40 %
        with the rates alone and 47 % with the share-per-counter formula before them; see
        `LOOKAHEAD_AHEAD` for the bias. Over the three days together it is 28 %, where the best
        figure from the service and the number ahead alone, fitted on those very days, is 36 %,
        and 26 % even told which tickets a break will hold up: the rest is chance (service
        times vary by 0.5 to 0.7 of their mean). A counter paused for a meal or a meeting, or
        restricted to other classes, is not counted on.
        """
        s, flow = self.state, self.state.flow
        now, desks, count, free_at = self.now, s.desks, s.waiting.count, self._free_at
        starts = []  # (free at, first call's weight, calls per second after)
        preferred = []  # when a counter that calls this ticket's class first would call it
        for number, level, floor, others, only, prefers in self._estimating[service]:
            desk = desks[number]
            if desk.state is CLOSED or (only is not None and klass not in only):
                continue
            free = free_at(desk)
            rate, share = flow.rate(number, service, floor)
            # its next call goes to this service for sure when nothing else it serves waits
            first = 1.0
            for other in others:
                if count[other]:
                    first = share
                    break
            else:
                if level == 2 and s.waiting.direct_count(number):
                    first = share
            starts.append((free, first, rate))
            if klass in prefers:
                # it calls the few tickets of its classes before everyone else's
                before = min(ahead, s.waiting.count_of(service, prefers))
                preferred.append(free + before * (flow.gap + flow.work[number]))
        if not starts:
            return None
        if ahead <= LOOKAHEAD_AHEAD:
            called = self._played(service, ahead, klass, key)
            if called is not None:
                return max(0.0, called - now)
        called = nth_call(starts, ahead + 1)
        if preferred:
            called = min(called, *preferred)
        queue = max(0.0, called - now)
        last = flow.last_wait.get(service)
        if ahead == 0 or last is None:
            return queue
        return max(0.0, BLEND * queue + (1 - BLEND) * last)

    def _free_at(self, desk: CounterDesk) -> float:
        """When an open counter is likely free to call: now if idle; after a pause's usual length;
        else when its citizen is likely done (the usual turn less the time spent, at least
        `MIN_LEFT` of it) and a breath."""
        now, flow = self.now, self.state.flow
        if desk.state is PAUSED:
            assert desk.since is not None and desk.pause_reason is not None  # set by CounterPaused
            back: float = desk.since + PAUSE_S.get(desk.pause_reason, PAUSE_S["other"])
            return max(now + flow.gap, back)
        if desk.current is None:
            return now
        t = self.state.tickets.get(desk.current)
        if t is not None:
            turn = flow.turn[t.service]
            began = t.first_called_at if t.first_called_at is not None else now
        else:
            turn, began = flow.gap, now
        left = turn - (now - began)
        if left < MIN_LEFT * turn:
            left = MIN_LEFT * turn
        return now + left + flow.gap

    def _played(self, service: str, ahead: int, klass: str, key: tuple[float, int] | None) -> float | None:
        """When the line played forward calls the ticket (lookahead.py); None if it does not
        settle, or for a question about another line than the one waiting ("with 3 ahead")."""
        s, flow, counters = self.state, self.state.flow, self.hall.counters
        if key is None:
            key = (self.now - self.hall.dispatch.head_start_s[klass], s.seq + 1)
            if s.waiting.ahead_of(service, key) != ahead:
                return None
        room = Lookahead(s.waiting, key, service, klass)
        turn, gap = flow.turn, flow.gap
        free = [
            (self._free_at(desk), n, counters[n], desk.run) for n, desk in s.desks.items() if desk.state is not CLOSED
        ]
        return called_at(room, free, lambda served: turn[served] + gap, LOOKAHEAD_CALLS)

    def ticket(self, ticket_id: str) -> Ticket:
        try:
            return self.state.tickets[ticket_id]
        except KeyError:
            raise Refused("unknown_ticket", f"there is no ticket {ticket_id} today") from None

    # --- issuing ----------------------------------------------------------------------------

    def _request_ticket(self, c: cmd.RequestTicket) -> None:
        s, now = self.state, self.now
        if c.appointment is not None:
            appt = s.appointments.get(c.appointment)
            if appt is None:
                raise Refused("unknown_appointment", f"no booking has the code {c.appointment}")
            if appt.ticket is not None:
                raise Refused(
                    "already_checked_in",
                    f"booking {c.appointment} already has ticket "
                    f"{s.tickets[appt.ticket].label if appt.ticket in s.tickets else appt.ticket}",
                )
            if now < appt.slot_start - self.hall.dispatch.appointment_early_s:
                opens = appt.slot_start - self.hall.dispatch.appointment_early_s
                raise Refused("too_early", f"check-in for this booking opens at {self._clock(opens)}")
            if now > appt.slot_end + self.hall.dispatch.appointment_late_s:
                raise Refused(
                    "appointment_missed",
                    f"the booked time ended at {self._clock(appt.slot_end)}; please take an ordinary ticket",
                )
            service, klass, since = appt.service, "appointment", max(now, appt.slot_start)
        else:
            service, klass, since = self._service(c.service), c.klass, now
            kiosk = self.hall.kiosks.get(c.kiosk) if c.kiosk is not None else None
            if kiosk is not None and service not in kiosk.services:
                raise Refused("unknown_service", f"kiosk {c.kiosk} does not issue {service!r} tickets")
            if klass != "normal" and klass not in self.hall.dispatch.priority_classes:
                raise Refused(
                    "bad_class",
                    f"a kiosk can issue normal tickets or those of the classes "
                    f"{', '.join(self.hall.dispatch.priority_classes)}, not {klass!r}",
                )
        klass, asked = self._priority_asked(c.kiosk, klass)
        number = s.next_number[service]
        if number > s.lease_top[service]:
            raise Refused(
                "numbers_exhausted", f"{self.hall.services[service].names.en} has issued all its numbers for today"
            )
        seq = s.seq + 1
        key = since - self.hall.dispatch.head_start_s[klass]
        ahead = s.waiting.ahead_of(service, (key, seq))
        label = self.hall.services[service].display_number(number)
        self._emit(
            ev.TicketReserved(
                now,
                f"{s.days[service]}-{label}",
                label,
                service,
                number,
                klass,
                seq,
                since,
                key,
                c.kiosk,
                c.appointment,
                _rounded(self.estimate_wait(service, ahead, klass, (key, seq))),
                ahead,
            )
        )
        if asked:
            assert c.kiosk is not None  # only a kiosk's ticket waits for staff to confirm (_priority_asked)
            self._emit(ev.PriorityRequested(now, f"{s.days[service]}-{label}", c.kiosk))

    def _priority_asked(self, kiosk_id: str | None, klass: str) -> tuple[str, bool]:
        """The class a kiosk's ticket is issued in, and whether staff must still confirm the
        priority asked for: at a `priority = "staff"` kiosk it waits as normal until they do."""
        kiosk = self.hall.kiosks.get(kiosk_id) if kiosk_id is not None else None
        if klass not in self.hall.dispatch.priority_classes or kiosk is None or kiosk.priority == "self":
            return klass, False
        if kiosk.priority == "off":
            raise Refused("no_priority", f"kiosk {kiosk_id} offers no priority tickets")
        return "normal", True

    def _decide_priority(self, c: cmd.DecidePriority) -> None:
        s = self.state
        t = self.ticket(c.ticket)
        if t.priority_check is None:
            raise Refused("not_asked", f"ticket {t.label} did not ask for priority")
        if t.priority_check != "asked":
            raise Refused("already_decided", f"the priority of ticket {t.label} was already {t.priority_check}")
        if t.state in (TicketState.DONE, TicketState.VOIDED, TicketState.EXPIRED, TicketState.NO_SHOW):
            raise Refused("bad_state", f"ticket {t.label} is {t.state.value}: too late to decide its priority")
        by = c.by.strip()
        if c.counter is not None:
            desk = s.desks.get(c.counter)
            if desk is None or desk.state is CounterState.CLOSED or not desk.clerk:
                raise Refused("counter_closed", f"counter {c.counter} is closed: a clerk must be signed in")
            by = desk.clerk
        if not by:
            raise Refused("who", "say who confirms or refuses the priority")
        key = t.since - self.hall.dispatch.head_start_s["priority"] if c.confirm else t.key[0]
        self._emit(ev.PriorityDecided(self.now, t.id, c.confirm, by, c.counter, key))
        if c.confirm and t.state is TicketState.WAITING:
            self._review_service(t.service)

    def _confirm_printed(self, c: cmd.ConfirmPrinted) -> None:
        t = self._reserved(c.ticket, c.kiosk)
        self._emit(ev.TicketPrinted(self.now, t.id))
        self._review_service(t.service)

    def _print_failed(self, c: cmd.ReportPrintFailed) -> None:
        t = self._reserved(c.ticket, c.kiosk)
        self._emit(ev.TicketVoided(self.now, t.id, c.reason or "print failed"))

    def _reserved(self, ticket_id: str, kiosk: str | None) -> Ticket:
        t = self.ticket(ticket_id)
        if kiosk is not None and t.kiosk != kiosk:
            raise Refused("not_yours", f"ticket {t.label} was not reserved by kiosk {kiosk}")
        if t.state is not TicketState.RESERVED:
            raise Refused("not_reserved", f"ticket {t.label} is {t.state.value}, not waiting for its printout")
        return t

    def _lease(self, c: cmd.LeaseOfflineBlock) -> None:
        s = self.state
        service = self._kiosk_service(c.kiosk, c.service)
        top = s.lease_top[service]
        first = top - self.hall.dispatch.offline_block_size + 1
        if first < s.next_number[service]:
            raise Refused("numbers_exhausted", f"no numbers left to lend for {service} today")
        self._emit(ev.OfflineBlockLeased(self.now, c.kiosk, service, s.days[service], first, top))

    def _backfill(self, c: cmd.BackfillOffline) -> None:
        s = self.state
        service = self._kiosk_service(c.kiosk, c.service)
        if c.klass != "normal" and c.klass not in self.hall.dispatch.priority_classes:
            raise Refused(
                "bad_class",
                f"an offline ticket is normal or of the classes "
                f"{', '.join(self.hall.dispatch.priority_classes)}, not {c.klass!r}",
            )
        klass, asked = self._priority_asked(c.kiosk, c.klass)
        if c.issued_at > self.now + CLOCK_SKEW_S:
            raise Refused("wrong_day", "this offline ticket was not issued during today's numbering")
        if c.issued_at >= s.day_started_at[service]:
            day, blocks = s.days[service], s.leases.get((c.kiosk, service), ())
            used = (service, c.number) in s.used_offline
        else:
            # issued in the last minutes of the day just ended and reported after the reset: the
            # citizen holds it and is in the hall, as those who took a ticket online then are
            previous = s.previous_days.get(service)
            if (
                previous is None
                or c.issued_at < previous.started_at
                or previous.ended_at - c.issued_at > previous.carry_over_s
            ):
                raise Refused("wrong_day", "this offline ticket was not issued during today's numbering")
            day, blocks, used = previous.day, previous.leases.get(c.kiosk, ()), c.number in previous.used
        if not any(a <= c.number <= b for a, b in blocks):
            raise Refused("not_leased", f"number {c.number} was not lent to kiosk {c.kiosk} on {day}")
        if used:
            raise Refused("duplicate", f"offline ticket {c.number} of {service} is already in the queue")
        label = self.hall.services[service].display_number(c.number)
        seq = s.seq + 1
        key = c.issued_at - self.hall.dispatch.head_start_s[klass]
        self._emit(
            ev.TicketIssuedOffline(
                self.now, f"{day}-{label}", label, service, c.number, klass, seq, c.issued_at, key, c.kiosk
            )
        )
        if asked:
            self._emit(ev.PriorityRequested(self.now, f"{day}-{label}", c.kiosk))
        self._review_service(service)

    def _kiosk_service(self, kiosk_id: str, service: str) -> str:
        kiosk = self.hall.kiosks.get(kiosk_id)
        if kiosk is None:
            raise Refused("unknown_device", f"{kiosk_id} is not a kiosk of this hall")
        if service not in kiosk.services:
            raise Refused("unknown_service", f"kiosk {kiosk_id} does not issue {service!r} tickets")
        return service

    def _book(self, c: cmd.BookAppointment) -> None:
        self._service(c.service)
        if not c.code or len(c.code) > 32:
            raise Refused("bad_code", "a booking code is 1 to 32 characters")
        if c.code in self.state.appointments:
            raise Refused("duplicate", f"booking code {c.code} is already used")
        if not c.slot_end > c.slot_start:
            raise Refused("bad_slot", "a booked slot must end after it starts")
        if c.slot_end + self.hall.dispatch.appointment_late_s < self.now:
            raise Refused("bad_slot", "that slot is already over")
        self._emit(ev.AppointmentBooked(self.now, c.code, c.service, c.slot_start, c.slot_end, c.by))

    def _cancel_booking(self, c: cmd.CancelAppointment) -> None:
        appt = self.state.appointments.get(c.code)
        if appt is None:
            raise Refused("unknown_appointment", f"no booking has the code {c.code}")
        if appt.ticket is not None:
            raise Refused("already_checked_in", f"booking {c.code} has already checked in")
        self._emit(ev.AppointmentCancelled(self.now, c.code, c.by))

    # --- counters ---------------------------------------------------------------------------

    def _desk(self, number: int) -> CounterDesk:
        desk = self.state.desks.get(number)
        if desk is None:
            raise Refused("unknown_counter", f"there is no counter {number}")
        return desk

    def _working_desk(self, number: int) -> CounterDesk:
        desk = self._desk(number)
        if desk.state is CounterState.CLOSED:
            raise Refused("counter_closed", f"counter {number} is closed; sign in first")
        if desk.state is CounterState.PAUSED:
            raise Refused("counter_paused", f"counter {number} is paused ({desk.pause_reason}); resume first")
        return desk

    def _current(self, number: int, *states: TicketState) -> Ticket:
        desk = self._desk(number)
        if desk.current is None:
            raise Refused("no_ticket", f"counter {number} has no ticket at the moment")
        t = self.state.tickets[desk.current]
        if t.state not in states:
            wanted = " or ".join(s.value for s in states)
            raise Refused("bad_state", f"ticket {t.label} is {t.state.value}, not {wanted}")
        return t

    def _open(self, c: cmd.OpenCounter) -> None:
        desk = self._desk(c.counter)
        if not c.clerk or len(c.clerk) > 64:
            raise Refused("bad_clerk", "sign in with a staff number (1 to 64 characters)")
        if desk.state is not CounterState.CLOSED:
            raise Refused("already_open", f"counter {c.counter} is already open (clerk {desk.clerk})")
        self._emit(ev.CounterOpened(self.now, c.counter, c.clerk))
        self._review_counter(c.counter)

    def _close(self, c: cmd.CloseCounter) -> None:
        desk = self._desk(c.counter)
        if desk.state is CounterState.CLOSED:
            raise Refused("counter_closed", f"counter {c.counter} is already closed")
        self._refuse_if_busy(desk)
        requeued = list(desk.held)
        for ticket_id in requeued:
            self._emit(ev.TicketRequeued(self.now, ticket_id, c.counter))
        sent_here = self.state.waiting.sent_to(c.counter)
        for t in sent_here:  # sent to this counter by name: back to their service's queue, same place
            self._emit(ev.TicketReturned(self.now, t.id, c.counter))
        if desk.prompt is not None:  # a press after the clerk left would be credited to nobody present
            self._emit(ev.RatingClosed(self.now, desk.prompt, c.counter, "counter_closed"))
        self._emit(ev.CounterClosed(self.now, c.counter))
        self._review_counter(c.counter)
        # a held or returned ticket may belong to a service this counter does not serve
        for service in dict.fromkeys(
            [self.state.tickets[t].service for t in requeued] + [t.service for t in sent_here]
        ):
            self._review_service(service)

    def _refuse_if_busy(self, desk: CounterDesk) -> None:
        if desk.current is not None:
            t = self.state.tickets[desk.current]
            raise Refused("counter_busy", f"finish, hold or transfer ticket {t.label} first")

    def _pause(self, c: cmd.PauseCounter) -> None:
        desk = self._working_desk(c.counter)
        if c.reason not in PAUSE_REASONS:
            raise Refused("bad_reason", f"pause reason must be one of {', '.join(PAUSE_REASONS)}")
        self._refuse_if_busy(desk)
        self._emit(ev.CounterPaused(self.now, c.counter, c.reason))
        self._review_counter(c.counter)

    def _resume(self, c: cmd.ResumeCounter) -> None:
        desk = self._desk(c.counter)
        if desk.state is not CounterState.PAUSED:
            raise Refused("not_paused", f"counter {c.counter} is {desk.state.value}, not paused")
        self._emit(ev.CounterResumed(self.now, c.counter))
        self._review_counter(c.counter)

    # --- calling and serving ----------------------------------------------------------------

    def _call_next(self, c: cmd.CallNext) -> None:
        desk = self._working_desk(c.counter)
        self._refuse_if_busy(desk)
        t = self.state.waiting.next_for(self.hall.counters[c.counter], self.now, desk.run)
        if t is None:
            raise Refused("nothing_waiting", f"nobody is waiting for counter {c.counter}")
        if desk.prompt is not None:
            self._emit(ev.RatingClosed(self.now, desk.prompt, c.counter, "next_call"))
        self._emit(ev.TicketCalled(self.now, t.id, t.label, t.service, c.counter, self.state.call_seq + 1))
        self._review_service(t.service)

    def _recall(self, c: cmd.Recall) -> None:
        t = self._current(c.counter, TicketState.CALLED)
        if t.recalls >= self.hall.dispatch.recall_limit:
            self._refuse_unless_heard(t, c.counter, "marked a no-show")
            self._emit(ev.TicketNoShow(self.now, t.id, c.counter, True))
        else:
            self._refuse_unless_heard(t, c.counter, "recalled", wait=False)
            self._emit(
                ev.TicketRecalled(self.now, t.id, t.label, t.service, c.counter, self.state.call_seq + 1, t.recalls + 1)
            )

    def _no_show(self, c: cmd.MarkNoShow) -> None:
        t = self._current(c.counter, TicketState.CALLED)
        self._refuse_unless_heard(t, c.counter, "marked a no-show")
        self._emit(ev.TicketNoShow(self.now, t.id, c.counter, False))

    def heard_since(self, t: Ticket, counter: int) -> float | None:
        """When the clocks of `t`'s current call started: the end of its first announcement on a
        display of this counter; if none announced it in time, the screen first showing it; in a
        hall with no display for this counter, the call itself. None: not yet."""
        if t.heard_at is not None:
            return t.heard_at
        if t.not_announced:
            return t.shown_at
        if not self._announcers[counter]:
            return t.called_at
        return None

    def _refuse_unless_heard(self, t: Ticket, counter: int, what: str, *, wait: bool = True) -> None:
        """A citizen is never marked absent (nor recalled) for a call the hall has not heard yet."""
        since = self.heard_since(t, counter)
        if since is None:
            raise Refused(
                "not_announced_yet",
                f"ticket {t.label} has not been announced in the hall yet; it can be {what} once the hall has heard it",
            )
        ready = since + self.hall.dispatch.no_show_wait_s
        if wait and self.now < ready:
            raise Refused(
                "too_soon",
                f"ticket {t.label} was announced at {self._clock(since, seconds=True)}; "
                f"it can be {what} from {self._clock(ready, seconds=True)}",
            )

    def _report_calls(self, c: cmd.ReportCalls) -> None:
        """A display says what it did with calls: journal it for the calls that still matter."""
        display = self.hall.displays.get(c.device)
        if display is None:
            raise Refused("unknown_device", f"{c.device} is not a display of this hall")
        outcomes = list(c.calls)
        for o in outcomes:
            if o.outcome not in cmd.CALL_OUTCOMES:
                raise Refused("bad_outcome", f"a call is {', '.join(cmd.CALL_OUTCOMES)}, not {o.outcome!r}")
        if c.upto is not None:
            # "every call up to N is shown" only says something of a call no screen has shown
            # yet (its no-show clock's fallback start); the calls still open from earlier acks
            # would otherwise be journalled again with every later one
            named, tickets = {o.seq for o in outcomes}, self.state.tickets
            outcomes += [
                cmd.CallOutcome(seq, "shown")
                for seq, (ticket_id, _, _) in self.state.open_calls.items()
                if seq <= c.upto and seq not in named and ticket_id in tickets and tickets[ticket_id].shown_at is None
            ]
        for o in sorted(outcomes, key=lambda o: o.seq):
            self._call_outcome(c.device, o)

    def _call_outcome(self, device: str, o: cmd.CallOutcome) -> None:
        s, now, dispatch = self.state, self.now, self.hall.dispatch
        call = s.open_calls.get(o.seq)
        if call is None:
            return  # long gone, or replaced by a recall: nothing depends on it any more
        ticket_id, counter, made = call
        if device not in self._announcers[counter] or ticket_id not in s.tickets:
            return
        started = min(max(o.started if o.started is not None else now, made), now)
        ended = min(max(o.ended if o.ended is not None else started, started), now)
        t = s.tickets[ticket_id]
        first = t.heard_at is None and o.outcome == "spoken"
        self._emit(ev.CallAnnounced(now, o.seq, ticket_id, device, o.outcome, started, ended, o.reason))
        if o.outcome != "spoken":
            return
        late = started - made
        if late > dispatch.display_behind_s:
            self._raise(
                "display_behind",
                device,
                f"display {device} is {late:.0f} s behind the calls "
                f"(it started {t.label} for counter {counter} {late:.0f} s after the call)",
            )
        else:
            self._clear(("display_behind", device))
        if first and late <= dispatch.announce_within_s:
            self._clear(("calls_not_announced", "hall"))

    def _start(self, c: cmd.StartService) -> None:
        t = self._current(c.counter, TicketState.CALLED)
        self._emit(ev.ServiceStarted(self.now, t.id, c.counter))

    def _hold(self, c: cmd.Hold) -> None:
        t = self._current(c.counter, TicketState.SERVING)
        self._emit(ev.TicketHeld(self.now, t.id, c.counter))
        self._clear(("long_service", str(c.counter)))

    def _resume_held(self, c: cmd.ResumeHeld) -> None:
        desk = self._working_desk(c.counter)
        self._refuse_if_busy(desk)
        if not desk.held:
            raise Refused("nothing_held", f"counter {c.counter} holds no ticket")
        ticket_id = c.ticket if c.ticket is not None else desk.held[0]
        if ticket_id not in desk.held:
            raise Refused("not_held", f"ticket {ticket_id} is not held at counter {c.counter}")
        if desk.prompt is not None:  # the clerk turns to another citizen, as with a call
            self._emit(ev.RatingClosed(self.now, desk.prompt, c.counter, "next_call"))
        self._emit(ev.TicketResumed(self.now, ticket_id, c.counter))

    def _transfer(self, c: cmd.Transfer) -> None:
        t = self._current(c.counter, TicketState.SERVING)
        if (c.to_service is None) == (c.to_counter is None):
            raise Refused("bad_transfer", "transfer to one service or to one counter")
        if c.to_counter is not None:
            target = self._desk(c.to_counter)
            if c.to_counter == c.counter:
                raise Refused("bad_transfer", "a ticket cannot be transferred to its own counter")
            if target.state is CounterState.CLOSED:
                raise Refused("counter_closed", f"counter {c.to_counter} is closed")
            to_service = t.service
        else:
            to_service = self._service(c.to_service)
        assert t.started_at is not None  # serving: ServiceStarted or TicketResumed set it
        served = t.served_s + (self.now - t.started_at)
        self._emit(ev.TicketTransferred(self.now, t.id, c.counter, to_service, c.to_counter, served))
        self._clear(("long_service", str(c.counter)))
        self._review_service(to_service)

    def _finish(self, c: cmd.Finish) -> None:
        t = self._current(c.counter, TicketState.SERVING)
        if c.outcome not in OUTCOMES:
            raise Refused("bad_outcome", f"outcome must be one of {', '.join(OUTCOMES)}")
        desk = self.state.desks[c.counter]
        assert t.started_at is not None and t.first_called_at is not None  # serving: called, then started
        served = t.served_s + (self.now - t.started_at)
        self._emit(
            ev.TicketDone(
                self.now, t.id, c.counter, desk.clerk, t.service, c.outcome, served, t.first_called_at - t.since
            )
        )
        self._emit(
            ev.RatingPrompted(
                self.now, t.id, t.id, c.counter, desk.clerk, t.service, self.now + self.hall.dispatch.rating_timeout_s
            )
        )
        self._clear(("long_service", str(c.counter)))

    def _reinstate(self, c: cmd.Reinstate) -> None:
        t = self.ticket(c.ticket)
        if t.state is not TicketState.NO_SHOW:
            raise Refused("bad_state", f"ticket {t.label} is {t.state.value}, not a no-show")
        assert t.closed_at is not None  # a no-show is closed when it is marked (HallState._finish)
        if self.now - t.closed_at > self.hall.dispatch.reinstate_window_s:
            raise Refused(
                "too_late",
                f"ticket {t.label} missed its call more than "
                f"{self.hall.dispatch.reinstate_window_s / 60:.0f} minutes ago",
            )
        self._emit(ev.TicketReinstated(self.now, t.id))
        self._review_service(t.service)

    # --- ratings ----------------------------------------------------------------------------

    def _rating(self, c: cmd.SubmitRating) -> None:
        p = self.state.prompts.get(c.prompt)
        if p is None:
            raise Refused("unknown_prompt", f"there is no rating request {c.prompt}")
        if c.level not in (1, 2, 3, 4):
            raise Refused("bad_level", "a rating is 4 (非常满意), 3 (满意), 2 (一般) or 1 (不满意)")
        if c.counter is not None and c.counter != p.counter:
            raise Refused("wrong_counter", f"rating request {c.prompt} belongs to counter {p.counter}")
        if p.level is not None:
            raise Refused("already_rated", f"ticket {p.ticket} has already been rated")
        if c.pressed_at > self.now + CLOCK_SKEW_S:
            raise Refused("bad_time", "the rating's press time is in the future")
        if not p.accepts(c.pressed_at):
            raise Refused("rating_closed", "the rating was pressed after the request had ended")
        self._emit(ev.RatingRecorded(self.now, p.id, p.ticket, p.counter, p.clerk, p.service, c.level, c.pressed_at))
        if c.level <= 2:
            label = p.ticket.rsplit("-", 1)[-1]
            word = "一般 (average)" if c.level == 2 else "不满意 (unsatisfied)"
            self._emit(ev.FollowUpOpened(self.now, p.ticket, label, p.counter, p.clerk, p.service, c.level))
            self._raise(
                "negative_rating", p.ticket, f"ticket {label} rated counter {p.counter} (clerk {p.clerk}) {word}"
            )

    # --- devices, alerts, notice ------------------------------------------------------------

    def _device(self, c: cmd.ReportDevice) -> None:
        if self.hall.device_role(c.device) is None:
            raise Refused("unknown_device", f"{c.device} is not a device of this hall")
        if c.paper not in ("ok", "low", "out", "unknown"):
            raise Refused("bad_paper", "paper is ok, low, out or unknown")
        old = self.state.devices.get(c.device)
        if old is not None and (old.online, old.paper, old.fault) == (c.online, c.paper, c.fault):
            return
        self._emit(ev.DeviceReported(self.now, c.device, c.online, c.paper, c.fault))
        if c.online:
            self._clear(("device_offline", c.device))
        else:
            self._raise("device_offline", c.device, f"device {c.device} is offline")
        if old is not None and old.paper != c.paper:
            self._clear(("printer_paper", c.device))
        if c.paper in ("low", "out"):
            self._raise("printer_paper", c.device, f"{self.hall.device_role(c.device)} {c.device}: paper {c.paper}")
        if old is not None and old.fault != c.fault:
            self._clear(("device_fault", c.device))
        if c.fault:
            self._raise("device_fault", c.device, f"device {c.device}: {c.fault}")

    def _ack(self, c: cmd.AcknowledgeAlert) -> None:
        a = self.state.alerts.get(c.alert)
        if a is None:
            raise Refused("unknown_alert", f"there is no alert {c.alert}")
        if a.acked_by is not None:
            raise Refused("already_acknowledged", f"alert {c.alert} was acknowledged by {a.acked_by}")
        if not c.by:
            raise Refused("bad_user", "say who acknowledges the alert")
        self._emit(ev.AlertAcknowledged(self.now, c.alert, c.by))

    def _notice(self, c: cmd.SetNotice) -> None:
        if len(c.zh) > NOTICE_MAX or len(c.en) > NOTICE_MAX:
            raise Refused("too_long", f"a notice is at most {NOTICE_MAX} characters per language")
        self._emit(ev.NoticeSet(self.now, c.zh, c.en, c.by))

    def _incident(self, c: cmd.SetIncident) -> None:
        if c.on and not (c.zh.strip() and c.en.strip()):
            raise Refused("bad_notice", "an incident notice needs its text in Chinese and in English")
        if len(c.zh) > NOTICE_MAX or len(c.en) > NOTICE_MAX:
            raise Refused("too_long", f"an incident notice is at most {NOTICE_MAX} characters per language")
        if not c.on and self.state.incident is None:
            raise Refused("no_incident", "the screens show no incident notice")
        if c.expected_back is not None and c.expected_back <= self.now:
            raise Refused("bad_time", "the expected recovery time must be in the future")
        self._emit(ev.IncidentSet(self.now, c.on, c.zh, c.en, c.expected_back, c.by))

    def _follow_up(self, ticket: str, note: str, by: str) -> FollowUp:
        f = self.state.followups.get(ticket)
        if f is None:
            raise Refused("unknown_follow_up", f"there is no follow-up for ticket {ticket}")
        if f.closed_at is not None:
            raise Refused("closed", f"the follow-up of ticket {f.label} was closed by {f.closed_by}")
        if not note.strip() or len(note) > 2000:
            raise Refused("bad_note", "write a note of 1 to 2000 characters")
        if not by:
            raise Refused("bad_user", "say who writes the note")
        return f

    def _note_follow_up(self, c: cmd.NoteFollowUp) -> None:
        self._follow_up(c.ticket, c.note, c.by)
        self._emit(ev.FollowUpNoted(self.now, c.ticket, c.note, c.by))

    def _close_follow_up(self, c: cmd.CloseFollowUp) -> None:
        self._follow_up(c.ticket, c.note, c.by)
        self._emit(ev.FollowUpClosed(self.now, c.ticket, c.note, c.by))

    def _raise(self, kind: str, subject: str, message: str) -> None:
        if (kind, subject) not in self.state.active_alerts:
            self._emit(ev.AlertRaised(self.now, self.state.alert_seq + 1, kind, subject, message))

    def _clear(self, key: tuple[str, str]) -> None:
        alert = self.state.active_alerts.get(key)
        if alert is not None:
            self._emit(ev.AlertCleared(self.now, alert))

    def _review_service(self, service: str) -> None:
        """Clear the wait alert once the queue is back within target; watch for understaffing."""
        s = self.state
        if ("wait_over_target", service) in s.active_alerts and not s.waiting.past_target(service, self.now):
            self._clear(("wait_over_target", service))
        idle = [n for n in self._capable[service] if s.desks[n].state is not CounterState.OPEN]
        waiting = s.waiting.count[service]
        if waiting >= self.hall.dispatch.long_queue and idle:
            self._raise(
                "understaffed",
                service,
                f"{self.hall.services[service].names.en}: {waiting} waiting "
                f"while counter(s) {', '.join(map(str, idle))} that could serve it are not open",
            )
        else:
            self._clear(("understaffed", service))

    def _review_counter(self, number: int) -> None:
        counter = self.hall.counters[number]
        for service in counter.primary + counter.backup:
            self._review_service(service)

    # --- timers -----------------------------------------------------------------------------

    def _timer_reset(self, service: str, due: float) -> None:
        if self.state.next_reset.get(service) != due:
            return
        # named after now, not after `due`: a tick that comes days late (the controller was down)
        # starts today's numbering, not the numbering of the first day it missed
        day = service_day(self.now, self.hall.services[service].reset_time, self.hall)
        self._emit(ev.ServiceDayStarted(self.now, service, day, CARRY_OVER_S))
        self._review_service(service)

    def _timer_reservation(self, ticket_id: str, due: float) -> None:
        t = self.state.tickets.get(ticket_id)
        if t is not None and t.state is TicketState.RESERVED:
            self._emit(ev.TicketVoided(self.now, t.id, "reservation_timeout"))

    def _timer_sla(self, ticket_id: str, waits: set[str]) -> None:
        t = self.state.tickets.get(ticket_id)
        if t is not None and t in self.state.waiting:
            waits.add(t.service)

    def _check_wait(self, service_id: str) -> None:
        service = self.hall.services[service_id]
        if self.state.waiting.past_target(service_id, self.now):
            self._raise(
                "wait_over_target",
                service_id,
                f"{service.names.en}: the longest wait is past the {service.target_wait_s / 60:.0f}-minute target",
            )

    def _timer_long_service(self, key: LongService, due: float) -> None:
        counter, ticket_id, started = key
        t = self.state.tickets.get(ticket_id)
        if t is None or t.state is not TicketState.SERVING or t.started_at != started or t.counter != counter:
            return  # no longer this session (moved on, even within the same second, to another counter)
        minutes = (self.now - started + t.served_s) / 60
        self._raise(
            "long_service",
            str(counter),
            f"counter {counter} has served ticket {t.label} for {minutes:.0f} minutes, far longer than usual",
        )

    def _timer_announce(self, call_seq: int, due: float) -> None:
        """A call made `announce_within_s` ago (or, with 0, every call, when a display's last spoken
        call was that long ago) that no display has announced: if the displays that could announce
        it have said nothing for that long, it is not being announced, and its clocks start from
        the screen showing it. A display that is speaking, only behind, is waited for (its
        lateness is the "display behind" alert)."""
        s, within = self.state, self.hall.dispatch.announce_within_s
        seqs = [call_seq] if call_seq else list(s.open_calls)
        for seq in seqs:
            call = s.open_calls.get(seq)
            t = s.tickets.get(call[0]) if call is not None else None
            if (
                call is None
                or t is None
                or t.call_seq != seq
                or t.state is not TicketState.CALLED
                or t.heard_at is not None
                or t.not_announced
                or self.now - call[2] < within
            ):
                continue  # heard, moved on, said already (a rebuilt engine's timer), or not yet due
            announcers = self._announcers[call[1]]
            if not announcers:
                continue  # no display could: the clocks run from the call
            if any(self.now - s.last_spoken.get(d, -float("inf")) < within for d in announcers):
                continue  # a display is speaking, behind: this call waits its turn
            self._emit(ev.CallNotAnnounced(self.now, seq, t.id))
            self._raise(
                "calls_not_announced",
                "hall",
                f"no display announced ticket {t.label} for counter "
                f"{call[1]} within {within:.0f} s: check the calling screens and their speakers",
            )

    def _timer_prompt(self, prompt_id: str, due: float) -> None:
        p = self.state.prompts.get(prompt_id)
        if p is not None and p.closed_at is None:
            self._emit(ev.RatingClosed(self.now, p.id, p.counter, "timeout"))

    # --- small helpers ----------------------------------------------------------------------

    def _service(self, service: str | None) -> str:
        if service not in self.hall.services:
            raise Refused("unknown_service", f"there is no service {service!r} in this hall")
        return service

    def _clock(self, at: float, *, seconds: bool = False) -> str:
        return dt.datetime.fromtimestamp(at, self.hall.tz).strftime("%H:%M:%S" if seconds else "%H:%M")


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)


def nth_call(starts: list[tuple[float, float, float]], n: float) -> float:
    """When the counters together have made `n` calls, in a fluid count: a counter free at `at`
    makes a first call there worth `first` and then calls at `rate` per second."""
    starts = sorted(starts)
    made = rate = 0.0
    at = starts[0][0]
    for free, first, r in starts:
        if rate > 0 and made + rate * (free - at) >= n:
            break
        made += rate * (free - at)
        at = free
        made += first
        rate += r
        if made >= n:
            return at
    if rate <= 0:
        return at if made >= n else math.inf
    return at + (n - made) / rate
