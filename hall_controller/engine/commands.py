"""What can be asked of the engine. Each command is a frozen dataclass; the gateway builds them
from MQTT messages, the day simulation and the tests build them directly."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestTicket:
    """A kiosk reserves a number; the ticket waits only once its printout is confirmed."""

    service: str | None = None
    klass: str = "normal"
    kiosk: str | None = None
    appointment: str | None = None  # check-in code; the service comes from the booking


@dataclass(frozen=True, slots=True)
class ConfirmPrinted:
    ticket: str
    kiosk: str | None = None  # when given, the ticket must be this kiosk's


@dataclass(frozen=True, slots=True)
class ReportPrintFailed:
    ticket: str
    reason: str = "print failed"
    kiosk: str | None = None


@dataclass(frozen=True, slots=True)
class DecidePriority:
    """Staff confirm or refuse the priority a citizen asked for at a kiosk where staff confirm it
    (`priority = "staff"`): a clerk from the caller keypad (`counter`: its clerk is who decided) or
    a supervisor on the web (`by`: the user name)."""

    ticket: str
    confirm: bool
    by: str = ""
    counter: int | None = None


@dataclass(frozen=True, slots=True)
class LeaseOfflineBlock:
    """A kiosk asks for numbers it may issue on its own while the controller is unreachable."""

    kiosk: str
    service: str


@dataclass(frozen=True, slots=True)
class BackfillOffline:
    """A ticket a kiosk issued offline, reported when the controller is back."""

    kiosk: str
    service: str
    number: int
    issued_at: float
    klass: str = "normal"


@dataclass(frozen=True, slots=True)
class BookAppointment:
    """A citizen's booked slot; at the kiosk, its code checks them in as an appointment ticket."""

    code: str
    service: str
    slot_start: float
    slot_end: float
    by: str = ""


@dataclass(frozen=True, slots=True)
class CancelAppointment:
    code: str
    by: str = ""


@dataclass(frozen=True, slots=True)
class OpenCounter:
    counter: int
    clerk: str


@dataclass(frozen=True, slots=True)
class CloseCounter:
    counter: int


@dataclass(frozen=True, slots=True)
class PauseCounter:
    counter: int
    reason: str = "break"


@dataclass(frozen=True, slots=True)
class ResumeCounter:
    counter: int


@dataclass(frozen=True, slots=True)
class CallNext:
    counter: int


@dataclass(frozen=True, slots=True)
class Recall:
    counter: int


@dataclass(frozen=True, slots=True)
class MarkNoShow:
    counter: int


@dataclass(frozen=True, slots=True)
class StartService:
    """The called citizen has arrived at the counter."""

    counter: int


@dataclass(frozen=True, slots=True)
class Hold:
    counter: int


@dataclass(frozen=True, slots=True)
class ResumeHeld:
    counter: int
    ticket: str | None = None  # None: the ticket held longest


@dataclass(frozen=True, slots=True)
class Transfer:
    counter: int
    to_service: str | None = None
    to_counter: int | None = None


@dataclass(frozen=True, slots=True)
class Finish:
    counter: int
    outcome: str = "completed"


@dataclass(frozen=True, slots=True)
class Reinstate:
    """Put a no-show back in the queue at its original place."""

    ticket: str


@dataclass(frozen=True, slots=True)
class SubmitRating:
    prompt: str
    level: int  # 4 非常满意, 3 满意, 2 一般, 1 不满意
    pressed_at: float
    counter: int | None = None  # the evaluator's counter, checked against the prompt


CALL_OUTCOMES = ("spoken", "shown", "skipped")


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """What one display did with one call: spoken (from `started` to `ended`, the display's own
    clock), shown only (no voice, or a voice that only chimes), or skipped (`reason` says why)."""

    seq: int
    outcome: str  # spoken | shown | skipped
    started: float | None = None
    ended: float | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ReportCalls:
    """A display's acknowledgement of calls. `upto`: an older display's plain ack ("every call up to
    here has left me"), taken as shown, never as heard, for calls it names no outcome for."""

    device: str
    calls: tuple[CallOutcome, ...] = ()
    upto: int | None = None


@dataclass(frozen=True, slots=True)
class ReportDevice:
    """A device's presence or printer state changed (from its retained `state` topic)."""

    device: str
    online: bool = True
    paper: str = "ok"  # ok | low | out | unknown
    fault: str | None = None


@dataclass(frozen=True, slots=True)
class AcknowledgeAlert:
    alert: int
    by: str


@dataclass(frozen=True, slots=True)
class SetNotice:
    """The scrolling notice of the calling screens, from the management web."""

    zh: str
    en: str
    by: str = ""


@dataclass(frozen=True, slots=True)
class SetIncident:
    """Staff switch the screens' incident notice on (with a message) or off."""

    on: bool
    zh: str = ""
    en: str = ""
    expected_back: float | None = None
    by: str = ""


@dataclass(frozen=True, slots=True)
class NoteFollowUp:
    """A supervisor notes what was done about a 一般 or 不满意 rating."""

    ticket: str
    note: str
    by: str


@dataclass(frozen=True, slots=True)
class CloseFollowUp:
    ticket: str
    note: str
    by: str


Command = (
    RequestTicket
    | ConfirmPrinted
    | ReportPrintFailed
    | LeaseOfflineBlock
    | BackfillOffline
    | BookAppointment
    | CancelAppointment
    | OpenCounter
    | CloseCounter
    | PauseCounter
    | ResumeCounter
    | CallNext
    | Recall
    | MarkNoShow
    | StartService
    | Hold
    | ResumeHeld
    | Transfer
    | Finish
    | Reinstate
    | SubmitRating
    | ReportCalls
    | ReportDevice
    | AcknowledgeAlert
    | SetNotice
    | SetIncident
    | NoteFollowUp
    | CloseFollowUp
)
