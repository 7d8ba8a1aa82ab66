"""The kiosk program: its state machine, printer, buttons, screen and offline numbers, and one DeviceLink.

Everything the kiosk reacts to arrives on one queue, in order: presses from the GPIO buttons (put
by gpiozero's threads, which do nothing else), touches (read from pygame on this thread, or put by
the simulator), and messages from the link (put by paho's thread). One thread, the program's,
takes them, feeds the machine, and carries out what it says. A ticket is issued in two phases:

    check the printer  ──(cannot print: out of service, nothing reserved)
    ticket.request     ──(refused: say why · no reply in time: issue offline instead)
    print              ──(fails: ticket.print_failed voids the number; out of service if the printer says so)
    ticket.printed     ──through the link's durable outbox, so the confirmation is never lost

Offline (the controller or the broker unreachable) the number comes from a leased block, marked
used on disk before printing; once printed, the ticket goes into the outbox as `offline.backfill`
and is delivered when the controller is back. While online and idle, the program tops up each
service's leased numbers when they run low. A reservation whose reply comes too late (after the
kiosk gave up and issued offline) is voided at once with `ticket.print_failed`.

`step(timeout)` handles one item and the passing of time; `run(stop)` loops over it (both from
`devices.stepping.StepLoop`). Tests call
`step` on their own thread (and may inject the clocks); `hall kiosk` runs `run` on the main thread,
which is where pygame must be.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pygame

from devices.kiosk import faces, words
from devices.kiosk.machine import FAULTS, Effect, Ignored, Issue, KioskMachine, Phase, PollPrinter, Report, TakenTicket
from devices.kiosk.menu import hit, render_view
from devices.kiosk.offline import BadLease, OfflineNumbers, OfflineStoreError
from devices.kiosk.ticket import TicketFace, TicketFaceError, wait_words
from devices.link import DeviceLink, LinkClosed, LinkError, Received, Refused, ReplyTimeout
from devices.stepping import StepLoop
from drivers.gpio import Debouncer, Held, Press, Released
from drivers.printer import PrinterError, TicketPrinter
from drivers.screen import Screen
from hall import clock as hall_clock
from hall.config import Hall, Kiosk
from protocol.envelope import Message, format_epoch
from protocol.topics import Kind

log = logging.getLogger("hall.kiosk")

DOUBLE_PRESS_S = 0.5  # the same button again within this time is the same press
REQUEST_TIMEOUT_S = 2.5  # a citizen waits this long for the controller before the kiosk issues offline
LEASE_RETRY_S = 60.0  # after a failed lease, ask again this much later


@dataclass(frozen=True)
class Tap:
    """A touch on the screen at `pos` (pixels), at `at` on the program's clock."""

    pos: tuple[float, float]
    at: float


@dataclass(frozen=True)
class CheckIn:
    """A whole booking code typed at once (the simulator's `checkin CODE`)."""

    code: str
    at: float


@dataclass(frozen=True)
class Issued:
    """A ticket this kiosk printed, in print order."""

    label: str
    service: str
    klass: str
    offline: bool
    ticket_id: str | None  # the controller's id (None for an offline ticket until backfilled)
    number: int
    face: TicketFace


@dataclass(frozen=True)
class Outcome:
    """What one press or touch came to, in words (the simulator answers with it), and as data."""

    key: str
    text: str
    ticket: Issued | None = None  # the ticket it printed
    ignored: bool = False  # it did not count (pressed again at once, the kiosk busy)


class KioskProgram(StepLoop):
    run_step_s = 0.25

    def __init__(
        self,
        hall: Hall,
        kiosk: Kiosk,
        link: DeviceLink,
        printer: TicketPrinter,
        numbers: OfflineNumbers,
        inbox: queue.Queue,
        *,
        screen: Screen | None = None,
        touch: bool = False,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = hall_clock.now,
        machine: KioskMachine | None = None,
        request_timeout: float = REQUEST_TIMEOUT_S,
        double_press_s: float = DOUBLE_PRESS_S,
        native_qr: bool = False,
    ) -> None:
        super().__init__(inbox)
        self.hall, self.kiosk, self.link, self.printer = hall, kiosk, link, printer
        self.numbers, self.screen = numbers, screen
        self.has_touch = touch and screen is not None
        self.clock, self.wall = clock, wall
        self.request_timeout = request_timeout
        self.native_qr = native_qr
        self.machine = machine or KioskMachine(hall, kiosk, touch=self.has_touch, now=clock())
        self.debouncer = Debouncer(double_press_s)
        self.printed: list[Issued] = []  # every ticket printed, in order
        self.outcomes: list[Outcome] = []  # what each press came to
        self.log: list[str] = []  # what happened, in words (last 200)
        self.frames = 0
        self.changed = threading.Condition()
        self._now = clock()
        self._shown = None
        self._lease_retry: dict[str, float] = {}
        self._stuck: set[str] = set()
        if screen is not None and pygame.display.get_init():
            # only what the kiosk reads: other events (mouse motion, …) would pile up unread
            pygame.event.set_blocked(None)
            pygame.event.set_allowed([pygame.QUIT, pygame.KEYDOWN] + ([pygame.MOUSEBUTTONUP] if self.has_touch else []))
        self.numbers.drop_stale(wall())
        self._show()

    # -- the loop (StepLoop's step, run, wait_for) --------------------------------------------------

    def _wait_s(self, timeout: float) -> float:
        timeout = max(0.0, min(timeout, self.machine.next_wake() - self.clock()))
        if self.has_touch:
            timeout = min(timeout, 0.05)
            self._read_touches()
        return timeout

    def _woke(self) -> None:
        self._now = now = self.clock()
        self.machine.connection(self.link.connected, now)
        if self.printer.told():  # its paper, cover or online state changed: look now, not at the next poll
            self._carry_out([PollPrinter()])

    def _settle(self) -> None:
        self._carry_out(self.machine.tick(self.clock()))
        if self.inbox.empty() and self.machine.phase in (Phase.MENU, Phase.TAKE, Phase.OUT_OF_SERVICE):
            self._top_up_leases()  # not while a citizen types a code: a lease may take a moment
        self._show()
        with self.changed:
            self.changed.notify_all()

    def _stop_requested(self) -> bool:
        return self.screen is not None and self.screen.quit_requested()

    def _read_touches(self) -> None:
        for event in pygame.event.get(pygame.MOUSEBUTTONUP):
            if event.button == 1:
                self.inbox.put(Tap(event.pos, self.clock()))

    # -- items ---------------------------------------------------------------------------------------

    def _take(self, item: Any) -> None:
        now = self._now  # when the program woke to it
        if isinstance(item, (Press, Tap, CheckIn)) and self.machine.phase is Phase.OUT_OF_SERVICE:
            self._carry_out([PollPrinter()])  # a citizen is refused for the printer's state now, not an old one
        if isinstance(item, Press):
            if not self.debouncer.accept(item):
                self._say(f"button {item.key}: pressed again at once, counted once")
                with self.changed:
                    self.outcomes.append(
                        Outcome(item.key, "ignored: pressed again at once, counted once", ignored=True)
                    )
                return
            self._answer(item.key, self.machine.pressed(item.key, item.at))
        elif isinstance(item, Tap):
            if self.screen is None:
                return
            touch = hit(self.machine.view(now), self.screen.size, item.pos)
            if touch is not None:
                self._answer(type(touch).__name__, self.machine.touched(touch, item.at))
        elif isinstance(item, CheckIn):
            self._answer("checkin", self.machine.check_in(item.code, item.at))
        elif isinstance(item, Received):
            self._message(item, now)
        elif isinstance(item, (Held, Released)):
            if isinstance(item, Held):
                self._stuck.add(item.key)
                self._say(f"button {item.key} is held down")
            elif item.key in self._stuck:
                self._stuck.discard(item.key)
            else:
                return
            self.link.update_state(fault=self._fault(FAULTS.get(self.machine.problem or "")))

    def _answer(self, key: str, effects: list[Effect]) -> None:
        """Carry out what a press or touch asked for and note what it came to."""
        before = len(self.printed)
        text, ticket = None, None
        for effect in effects:
            if isinstance(effect, Ignored):
                text = f"ignored: {effect.reason}"
                self._say(f"{key}: {text}")
        ignored = text is not None
        self._carry_out(effects)
        if len(self.printed) > before:
            ticket = self.printed[-1]
            text = f"ticket {ticket.label} printed" + (" (offline)" if ticket.offline else "")
        elif text is None and any(isinstance(e, Issue) for e in effects):
            notice, problem = self.machine.notice, words.PROBLEMS.get(self.machine.problem or "")
            if self.machine.phase is Phase.OUT_OF_SERVICE and problem is not None:
                text = f"not issued: out of service: {problem.en.lower()}"
            else:
                text = "not issued: " + (notice.en if notice else "out of service")
        elif text is None:
            text = "priority selected" if self.machine.view(self.clock()).priority else "done"
        with self.changed:
            self.outcomes.append(Outcome(key, text, ticket, ignored and ticket is None))

    def _message(self, received: Received, now: float) -> None:
        message = received.message
        body = message.body
        try:
            if received.kind is Kind.CONTROLLER_STATE and message.type == "controller.state":
                self.machine.controller_seen(bool(body["online"]), now)
                self._say("the controller is " + ("online" if body["online"] else "offline"))
                if body["online"]:
                    self._lease_retry.clear()  # ask again now rather than after the wait for a lost controller
            elif received.kind is Kind.BOARD and message.type == "board.snapshot":
                self.machine.board_seen({s["id"]: int(s["waiting"]) for s in body["services"]})
            elif received.kind is Kind.DOWN and message.is_reply:
                self._late_reply(message)
        except (KeyError, TypeError, ValueError) as e:
            log.warning("%s: a %s it cannot read (%s); ignored", self.kiosk.id, message.type, e)

    def _late_reply(self, reply: Message) -> None:
        """Replies nobody waits for: durable messages' answers, and requests that timed out."""
        if not reply.ok:
            error = reply.error
            self._say(
                f"the controller refused a {reply.type}: {error.message if error else ''} "
                f"({error.code if error else 'refused'})"
            )
            return
        if reply.type == "ticket.request":  # reserved after the kiosk had given up: never printed
            ticket = reply.body["ticket"]
            self._say(f"a late reservation {ticket['label']} was not printed; voiding it")
            self._durable("ticket.print_failed", {"ticket": ticket["id"], "reason": "reply came too late; not printed"})
        elif reply.type == "offline.lease":
            self._keep_lease(reply.body["block"])
        elif reply.type == "offline.backfill":
            for result in reply.body.get("results", []):
                if not result.get("ok"):
                    err = result.get("error", {})
                    self._say(f"an offline ticket was not taken: {err.get('message', '')} ({err.get('code', '')})")

    # -- effects -------------------------------------------------------------------------------------

    def _carry_out(self, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, Issue):
                self._show()  # "printing" on the screen before anything slow
                self._issue(effect)
            elif isinstance(effect, PollPrinter):
                self._carry_out(self.machine.printer_seen(self.printer.status(), self.clock()))
            elif isinstance(effect, Report):
                self._report(effect)

    def _report(self, report: Report) -> None:
        self._say(
            f"printer: paper {report.paper}"
            + (", cover open" if report.cover_open else "")
            + (f", {report.fault}" if report.fault else "")
        )
        try:
            self.link.update_state(paper=report.paper, cover_open=report.cover_open, fault=self._fault(report.fault))
        except LinkClosed:
            pass

    def _fault(self, printer_fault: str | None) -> str | None:
        """The kiosk's one `fault` field: the printer's, else a button held down, else none."""
        if printer_fault is not None:
            return printer_fault
        return f"button {sorted(self._stuck)[0]} held down" if self._stuck else None

    def _issue(self, issue: Issue) -> None:
        try:
            status = self.printer.check()
        except PrinterError as e:
            self._print_failed(e)  # nothing was reserved
            return
        self._carry_out(self.machine.printer_seen(status, self.clock()))
        if not issue.offline:
            body: dict[str, Any] = (
                {"appointment": issue.appointment}
                if issue.appointment
                else {"service": issue.service, "class": issue.klass}
            )
            try:
                reply = self.link.request("ticket.request", body, timeout=self.request_timeout)
            except ReplyTimeout:
                self.machine.request_timed_out(self.clock())
                self._say("the controller did not answer in time; issuing offline")
                if issue.appointment:
                    self.machine.refused(words.CHECK_IN_OFFLINE, self.clock())
                    return
            except Refused as r:
                self._say(f"the controller refused the ticket: {r.message} ({r.code})")
                self.machine.refused(words.refusal(r.code, r.message), self.clock())
                return
            except LinkClosed:
                return
            else:
                self.machine.request_answered(self.clock())
                ticket = reply.body.get("ticket")
                self._print_reserved(ticket if isinstance(ticket, dict) else {})
                return
        self._print_offline(issue)

    def _print_reserved(self, ticket: dict) -> None:
        try:
            face = faces.online_face(self.hall, ticket)
            payload = faces.printable(face, self.kiosk, native_qr=self.native_qr)
        except (faces.BadTicketReply, TicketFaceError, ValueError) as e:
            log.error("%s: cannot make ticket %s: %s", self.kiosk.id, ticket.get("label"), e)
            if isinstance(ticket.get("id"), str) and ticket["id"]:
                self._durable(
                    "ticket.print_failed", {"ticket": ticket["id"], "reason": _short(f"cannot make the ticket: {e}")}
                )
            self.machine.refused(words.PRINT_FAILED, self.clock())
            return
        try:
            self.printer.print_ticket(payload)
        except PrinterError as e:
            self._say(f"ticket {face.label} did not print ({e}); voiding it")
            self._durable("ticket.print_failed", {"ticket": ticket["id"], "reason": _short(str(e))})
            self._print_failed(e)
            return
        self._durable("ticket.printed", {"ticket": ticket["id"]})
        self._printed(
            Issued(
                face.label,
                ticket["service"],
                face.ticket_class,
                False,
                ticket["id"],
                int(ticket.get("number", 0)),
                face,
            )
        )

    def _print_offline(self, issue: Issue) -> None:
        service = issue.service
        assert service is not None
        try:
            number = self.numbers.take(service, self.wall())
        except OfflineStoreError as e:
            log.error("%s: %s", self.kiosk.id, e)
            self.link.update_state(fault=_short(str(e)))
            number = None
        if number is None:
            self._say(f"no offline number left for {service}")
            self.machine.refused(words.NO_OFFLINE_NUMBERS, self.clock())
            return
        face = faces.offline_face(self.hall, number, issue.klass, self.machine.offline_ahead(service), self.kiosk)
        try:
            self.printer.print_ticket(faces.printable(face, self.kiosk, native_qr=self.native_qr))
        except PrinterError as e:
            self._say(f"offline ticket {face.label} did not print ({e}); its number is not used again")
            self._print_failed(e)
            return
        self._durable(
            "offline.backfill",
            {
                "tickets": [
                    {
                        "service": service,
                        "number": number.number,
                        "class": issue.klass,
                        "issued_at": format_epoch(number.issued_at),
                    }
                ]
            },
        )
        self._printed(Issued(face.label, service, issue.klass, True, None, number.number, face))

    def _printed(self, issued: Issued) -> None:
        face = issued.face
        self.printed.append(issued)
        self._say(
            f"printed {issued.label} ({issued.service}, {issued.klass}" + (", offline)" if issued.offline else ")")
        )
        self.machine.issued(
            TakenTicket(
                face.label,
                issued.service,
                face.service_name,
                face.ahead,
                wait_words(face),
                face.ticket_class,
                face.offline,
            ),
            self.clock(),
        )

    def _print_failed(self, error: PrinterError) -> None:
        self._say(f"printer: {error}")
        self._carry_out(self.machine.printer_seen(self.printer.status(), self.clock()))
        self.machine.print_failed(self.clock())

    def _durable(self, type_name: str, body: dict) -> None:
        try:
            self.link.send_durable(type_name, body)
        except LinkClosed:
            log.error("%s: the link closed before %s could be stored", self.kiosk.id, type_name)

    # -- leases --------------------------------------------------------------------------------------

    def _top_up_leases(self) -> None:
        """While online, borrow numbers for each service whose leased numbers run low."""
        now = self.clock()
        if not self.machine.online(now) or self.machine.controller_online is not True:
            return  # leases are not urgent: wait for the controller's word that it is there
        wall = self.wall()
        self.numbers.drop_stale(wall)
        for service in self.kiosk.services:
            if now < self._lease_retry.get(service, -math.inf) or not self.numbers.wants_lease(service, wall):
                continue
            try:
                reply = self.link.request("offline.lease", {"service": service}, timeout=self.request_timeout)
            except ReplyTimeout:
                self.machine.request_timed_out(self.clock())
                self._lease_retry[service] = self.clock() + LEASE_RETRY_S
                return
            except Refused as r:
                self._say(f"no offline numbers lent for {service}: {r.message}")
                self._lease_retry[service] = self.clock() + 5 * LEASE_RETRY_S
                continue
            except LinkError:
                return
            self._keep_lease(reply.body.get("block", {}))

    def _keep_lease(self, block: dict) -> None:
        try:
            if self.numbers.add(block["service"], block["day"], block["first"], block["last"]):
                self._say(f"leased {block['service']} {block['first']}-{block['last']} for {block['day']}")
        except (BadLease, KeyError, TypeError) as e:
            log.warning("%s: a lease it cannot use (%s): %r", self.kiosk.id, e, block)
            self._lease_retry[str(block.get("service"))] = self.clock() + LEASE_RETRY_S
        except OfflineStoreError as e:
            log.error("%s: %s", self.kiosk.id, e)
            self.link.update_state(fault=_short(str(e)))

    # -- the screen ------------------------------------------------------------------------------------

    def _show(self) -> None:
        if self.screen is None:
            return
        view = self.machine.view(self.clock())
        if view == self._shown:
            return
        self.screen.show(render_view(view, self.screen.size))
        self._shown = view
        self.frames += 1

    def _say(self, text: str) -> None:
        log.info("%s: %s", self.kiosk.id, text)
        self.log = (self.log + [text])[-200:]


def _short(text: str) -> str:
    return text if len(text) <= 200 else text[:197] + "..."
