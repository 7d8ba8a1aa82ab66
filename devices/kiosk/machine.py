"""What the kiosk does, as a state machine: pure, no I/O, time passed in (monotonic seconds).

    menu ──press/touch a service──▶ printing ──issued──▶ take ("please take your ticket") ──▶ menu
     │ ▲                               │ refused / print failed (printer fine): menu + a notice
     │ └──────── printer fine ────┐    │ print failed, printer in trouble
     └─ printer in trouble ──▶ out of service ◀┘        (polled every few seconds until it recovers,
                                                         and at once when the printer tells of a change)

The machine decides; the program (`program.py`) carries out what it is told and reports back.
A press gives an `Issue` (online through the controller, or offline from the leased numbers),
or an `Ignored` saying why nothing happens: the kiosk is out of service, or the press came while
a ticket was printing (a citizen pressing again "to be sure" never gets a second ticket). The
printer's status, from every check and poll, gives a `Report` for the kiosk's retained state when
it changes (paper out or low, cover open, not responding: the controller raises the alert) and
moves the kiosk out of service and back by itself. `PollPrinter` asks the program to look at the
printer: every few seconds while out of service, now and then while idle.

Online or offline: the kiosk issues through the controller unless its link is down, the
controller's retained state says it is offline, or a request timed out in the last
`offline_retry_s` (a controller that died without its last will yet). A touch kiosk also has a
priority choice and appointment check-in by code (online only); a button kiosk has a priority
button: pressed, the next service press within `priority_s` asks for a priority ticket. Whether
asking is enough is the kiosk's `priority` in the hall file (the controller applies it: "staff"
makes the ticket wait as normal until staff confirm it); with "off" there is no choice at all.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from devices.kiosk import words
from drivers.printer.status import PrinterStatus
from hall.config import Hall, Kiosk, Names

PRIORITY = "priority"  # the key of the priority button
CODE_KEYS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_CODE = 32


class Phase(enum.Enum):
    MENU = "menu"  #: services to choose (with a notice, for a while, after a refusal)
    CHECK_IN = "check_in"  #: typing a booking code (touch kiosks)
    PRINTING = "printing"  #: a ticket is being issued and printed
    TAKE = "take"  #: "please take your ticket", for `take_s`
    OUT_OF_SERVICE = "out_of_service"  #: the printer cannot print; presses count for nothing


# --- what the touch menu hands the machine (menu.hit returns these) -------------------------------


@dataclass(frozen=True)
class ChooseService:
    service: str


@dataclass(frozen=True)
class TogglePriority:
    pass


@dataclass(frozen=True)
class OpenCheckIn:
    pass


@dataclass(frozen=True)
class TypeKey:
    char: str


@dataclass(frozen=True)
class DeleteKey:
    pass


@dataclass(frozen=True)
class CloseCheckIn:
    pass


@dataclass(frozen=True)
class SubmitCheckIn:
    pass


@dataclass(frozen=True)
class Dismiss:
    """A touch on the "please take your ticket" screen: back to the menu for the next citizen."""


Touch = ChooseService | TogglePriority | OpenCheckIn | TypeKey | DeleteKey | CloseCheckIn | SubmitCheckIn | Dismiss


# --- what the machine asks the program to do ------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """Issue a ticket: reserve through the controller (offline=False) or from the leased numbers."""

    service: str | None
    klass: str
    appointment: str | None = None
    offline: bool = False


@dataclass(frozen=True)
class Ignored:
    """A press or touch that does nothing, and why (for the log and the simulator)."""

    key: str
    reason: str


@dataclass(frozen=True)
class Report:
    """The kiosk's printer state for its retained `device.state` (None: leave the field out)."""

    paper: str
    cover_open: bool | None
    fault: str | None


@dataclass(frozen=True)
class PollPrinter:
    """Ask the printer how it is and hand the answer to `printer_seen`."""


Effect = Issue | Ignored | Report | PollPrinter  #: what an input may ask of the program, in a list


# --- what the screen shows --------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceTile:
    id: str
    prefix: str
    names: Names
    waiting: int | None  # from the controller's board; None: not known


@dataclass(frozen=True)
class TakenTicket:
    """The ticket just printed, as the "please take your ticket" screen shows it."""

    label: str
    service: str
    service_names: Names
    ahead: int
    wait_words: Names  # "前面还有 12 人 · 预计等候约 25 分钟" / "12 ahead · about 25 min", as printed
    klass: str
    offline: bool


@dataclass(frozen=True)
class KioskView:
    page: Phase
    hall_name: Names
    tiles: tuple[ServiceTile, ...]
    touch: bool
    offline: bool = False
    priority: bool = False
    code: str = ""
    notice: Names | None = None
    ticket: TakenTicket | None = None
    problem: str | None = None  # paper_out | cover_open | printer_offline
    choosing: Names | None = None  # the service being printed
    priority_mode: str = "staff"  # the kiosk's `priority`: staff confirm it, self, or off (no choice shown)


FAULTS = {"cover_open": "printer cover open", "printer_offline": "printer not responding"}


def problem_of(status: PrinterStatus) -> str | None:
    """Why the printer cannot print now (the same order as TicketPrinter.check), or None."""
    if status.cover_open:
        return "cover_open"
    if status.paper == "out":
        return "paper_out"
    if status.online is False:
        return "printer_offline"
    return None


class KioskMachine:
    def __init__(
        self,
        hall: Hall,
        kiosk: Kiosk,
        *,
        touch: bool,
        now: float,
        take_s: float = 5.0,
        notice_s: float = 6.0,
        priority_s: float = 20.0,
        check_in_idle_s: float = 60.0,
        out_poll_s: float = 3.0,
        idle_poll_s: float = 30.0,
        offline_retry_s: float = 30.0,
    ) -> None:
        self.hall, self.kiosk, self.touch = hall, kiosk, touch
        self.take_s, self.notice_s, self.priority_s = take_s, notice_s, priority_s
        self.check_in_idle_s, self.out_poll_s, self.idle_poll_s = check_in_idle_s, out_poll_s, idle_poll_s
        self.offline_retry_s = offline_retry_s
        self.phase = Phase.MENU
        self.problem: str | None = None
        self.code = ""
        self.ticket: TakenTicket | None = None
        self.notice: Names | None = None
        self.choosing: str | None = None
        self._until: dict[str, float] = {}  # "take", "notice", "priority", "check_in" -> when it ends
        self._next_poll = now  # look at the printer at once
        self._ignore_before = -math.inf
        self._reported: Report | None = None
        self.connected = False
        self.controller_online: bool | None = None
        self._timed_out_at: float | None = None
        self.waiting: dict[str, int] = {}
        self._offline_since_board: dict[str, int] = {}

    # -- online or offline ----------------------------------------------------------------------------

    def online(self, now: float) -> bool:
        """Whether to issue through the controller now (else from the leased numbers)."""
        if not self.connected or self.controller_online is False:
            return False
        return self._timed_out_at is None or now - self._timed_out_at >= self.offline_retry_s

    def connection(self, connected: bool, now: float) -> None:
        self.connected = connected

    def controller_seen(self, online: bool, now: float) -> None:
        """The controller's retained state: a fresh word from it outweighs an old timeout."""
        self.controller_online = online
        self._timed_out_at = None

    def request_timed_out(self, now: float) -> None:
        self._timed_out_at = now

    def request_answered(self, now: float) -> None:
        self._timed_out_at = None

    def board_seen(self, waiting: dict[str, int]) -> None:
        self.waiting = dict(waiting)
        self._offline_since_board = {}

    def offline_ahead(self, service: str) -> int:
        """People ahead of an offline ticket, as far as this kiosk knows: those waiting on the last
        board plus the tickets it has issued offline since (other kiosks' are not known)."""
        return self.waiting.get(service, 0) + self._offline_since_board.get(service, 0)

    # -- presses and touches ---------------------------------------------------------------------------

    def pressed(self, key: str, at: float) -> list[Effect]:
        """A GPIO button: a service id or PRIORITY."""
        if key != PRIORITY and key not in self.kiosk.services:
            raise ValueError(f"kiosk {self.kiosk.id} has no button {key!r}")
        refusal = self._busy(key, at)
        if refusal:
            return refusal
        if key == PRIORITY:
            return self._toggle_priority(key, at)
        return self._issue(key, at)

    def touched(self, touch: Touch, at: float) -> list[Effect]:
        key = type(touch).__name__
        refusal = self._busy(key, at)
        if refusal:
            return refusal
        if isinstance(touch, Dismiss):
            self._to_menu()
            return []
        if isinstance(touch, ChooseService):
            if touch.service not in self.kiosk.services:
                return [Ignored(key, f"kiosk {self.kiosk.id} does not issue {touch.service!r} tickets")]
            return self._issue(touch.service, at)
        if isinstance(touch, TogglePriority):
            return self._toggle_priority(key, at)
        if isinstance(touch, OpenCheckIn):
            self._to_menu()
            self.phase, self.code = Phase.CHECK_IN, ""
            self._until["check_in"] = at + self.check_in_idle_s
            return []
        if self.phase is not Phase.CHECK_IN:
            return [Ignored(key, "no booking code is being typed")]
        self._until["check_in"] = at + self.check_in_idle_s
        if isinstance(touch, TypeKey):
            if touch.char not in CODE_KEYS:
                return [Ignored(key, f"{touch.char!r} is not a key of the code pad")]
            if len(self.code) >= MAX_CODE:
                return [Ignored(key, f"a booking code has at most {MAX_CODE} characters")]
            self.code += touch.char
        elif isinstance(touch, DeleteKey):
            self.code = self.code[:-1]
        elif isinstance(touch, CloseCheckIn):
            self._to_menu()
        elif isinstance(touch, SubmitCheckIn):
            if not self.code:
                return [Ignored(key, "no booking code typed")]
            code = self.code
            if not self.online(at):
                self._to_menu()
                self._show_notice(words.CHECK_IN_OFFLINE, at)
                return [Ignored(key, "check-in needs the controller, which is unreachable")]
            self.phase, self.choosing, self.code = Phase.PRINTING, None, ""
            return [Issue(None, "appointment", code, offline=False)]
        return []

    def check_in(self, code: str, at: float) -> list[Effect]:
        """A whole booking code at once (the simulator's `checkin CODE`): open, type, submit."""
        out = self.touched(OpenCheckIn(), at)
        for char in code.upper():
            out += self.touched(TypeKey(char), at)
        return out + self.touched(SubmitCheckIn(), at)

    def _busy(self, key: str, at: float) -> list[Effect]:
        if self.phase is Phase.OUT_OF_SERVICE:
            return [
                Ignored(
                    key,
                    f"out of service: {words.PROBLEMS[self.problem].en.lower()}"
                    if self.problem in words.PROBLEMS
                    else "out of service",
                )
            ]
        if self.phase is Phase.PRINTING or at <= self._ignore_before:
            return [Ignored(key, "pressed while a ticket was printing")]
        return []

    def _toggle_priority(self, key: str, at: float) -> list[Effect]:
        if self.kiosk.priority == "off":
            return [Ignored(key, f"kiosk {self.kiosk.id} offers no priority tickets")]
        armed = self._priority(at)
        if self.phase is not Phase.CHECK_IN:
            self._to_menu()
        if armed:
            self._until.pop("priority", None)
        else:
            self._until["priority"] = at + self.priority_s
        return []

    def _priority(self, at: float) -> bool:
        return at < self._until.get("priority", -math.inf)

    def _issue(self, service: str, at: float) -> list[Effect]:
        klass = PRIORITY if self._priority(at) else "normal"
        self._to_menu()
        self._until.pop("priority", None)
        self.phase, self.choosing = Phase.PRINTING, service
        return [Issue(service, klass, None, offline=not self.online(at))]

    def _to_menu(self) -> None:
        self.phase, self.ticket, self.code = Phase.MENU, None, ""
        for name in ("take", "check_in"):
            self._until.pop(name, None)

    def _show_notice(self, notice: Names, at: float) -> None:
        self.notice = notice
        self._until["notice"] = at + self.notice_s

    # -- how the issue ended (the program reports) -----------------------------------------------------

    def issued(self, ticket: TakenTicket, at: float) -> None:
        self._to_menu()
        self.phase, self.ticket, self.choosing = Phase.TAKE, ticket, None
        self.notice = None
        self._until["take"] = at + self.take_s
        self._ignore_before = at
        if ticket.offline:
            self._offline_since_board[ticket.service] = self._offline_since_board.get(ticket.service, 0) + 1

    def refused(self, notice: Names, at: float) -> None:
        """Nothing was issued (the controller refused, no offline numbers left…): say why."""
        self._to_menu()
        self.choosing = None
        self._show_notice(notice, at)
        self._ignore_before = at

    def print_failed(self, at: float) -> None:
        """The ticket did not print (after `printer_seen` with the printer's state now)."""
        self.choosing = None
        self._ignore_before = at
        if self.problem is not None:
            self._out_of_service()
        else:
            self._to_menu()
            self._show_notice(words.PRINT_FAILED, at)

    # -- the printer -----------------------------------------------------------------------------------

    def printer_seen(self, status: PrinterStatus, at: float) -> list[Effect]:
        """The printer's answer (a check before a ticket, or a poll): a Report if the state to
        report changed; out of service and back. While a ticket prints, only remembered."""
        self.problem = problem_of(status)
        self._next_poll = at + (self.out_poll_s if self.problem else self.idle_poll_s)
        if self.phase is not Phase.PRINTING:
            if self.problem is not None:
                self._out_of_service()
            elif self.phase is Phase.OUT_OF_SERVICE:
                self.phase = Phase.MENU
        report = Report(status.paper, status.cover_open, FAULTS.get(self.problem or ""))
        if report == self._reported:
            return []
        self._reported = report
        return [report]

    def _out_of_service(self) -> None:
        self._to_menu()
        self.phase, self.notice = Phase.OUT_OF_SERVICE, None
        self._until.pop("notice", None)
        self._until.pop("priority", None)

    # -- time ------------------------------------------------------------------------------------------

    def tick(self, now: float) -> list[Effect]:
        until = self._until
        if self.phase is Phase.TAKE and now >= until.get("take", math.inf):
            self._to_menu()
        if self.phase is Phase.CHECK_IN and now >= until.get("check_in", math.inf):
            self._to_menu()
        if now >= until.get("notice", math.inf):
            self.notice = None
            until.pop("notice")
        if now >= until.get("priority", math.inf):
            until.pop("priority")
        if self.phase is not Phase.PRINTING and now >= self._next_poll:
            self._next_poll = now + (self.out_poll_s if self.problem else self.idle_poll_s)
            return [PollPrinter()]
        return []

    def next_wake(self) -> float:
        """The monotonic time `tick` has something to do."""
        return min([self._next_poll, *self._until.values()])

    def view(self, now: float) -> KioskView:
        tiles = tuple(
            ServiceTile(s, self.hall.services[s].prefix, self.hall.services[s].names, self.waiting.get(s))
            for s in self.kiosk.services
        )
        choosing = self.hall.services[self.choosing].names if self.choosing else None
        return KioskView(
            page=self.phase,
            hall_name=self.hall.names,
            tiles=tiles,
            touch=self.touch,
            offline=not self.online(now),
            priority=self._priority(now),
            code=self.code,
            notice=self.notice,
            ticket=self.ticket,
            problem=self.problem if self.phase is Phase.OUT_OF_SERVICE else None,
            choosing=choosing,
            priority_mode=self.kiosk.priority,
        )
