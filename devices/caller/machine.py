"""What each key of the clerk's keypad does, as a state machine over the counter's view. Pure.

The controller owns the counter: the machine never guesses what a request will do. It turns keys
into requests (`key()` returns the requests to send: none while the clerk is still typing or
choosing, else one), and takes the outcome back: `answered(view)` with the controller's new view of the
counter, `refused(code, message)`, or `timed_out()`, which changes nothing but the notice.
`view_pushed(view)` takes the views the controller sends when the counter changes by itself (a
ticket joined its queue). What the screen shows is `state`, a frozen snapshot (see `screen`).

Keys that need more than one press open a mode:

    open (登录)          type the staff number (digits, or capital letters on a keyboard), confirm
    pause (暂停)         1-7 picks the reason; on a paused counter the same key resumes at once
    finish (完成)        1-5 picks the outcome; confirm or finish again: 1 办结 completed
    transfer (转移)      1-9 picks a service; transfer again switches to a counter number, confirm
    reinstate (复号)     the ticket number: the first digit picks the service's letter (1 = A …), confirm
    priority (确认, from no menu)  a citizen's priority request: the ticket number as for reinstate,
                         confirm, then 1 confirms the priority (or confirm again), 2 refuses it
    resume_held (取回)   with several held tickets, 1-9 picks one; confirm takes the longest held
    close (关闭)         confirm closes the counter; any other key keeps it open

Clear (清除) empties what is typed, and a second clear leaves the mode; the mode's own key pressed
again leaves it too (finish, transfer and resume_held give it a meaning, above). Any other function
key leaves the mode and does what it does from the start: the clerk changed their mind. While a
request waits for the controller, keys do nothing (the program also drops keys pressed meanwhile).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from devices.caller import words
from devices.caller.keys import FUNCTIONS
from hall.config import OUTCOMES, PAUSE_REASONS, Hall, Names

MAX_ENTRY = 16


class Mode(enum.Enum):
    READY = "ready"
    SIGN_IN = "sign_in"
    PAUSE = "pause"
    FINISH = "finish"
    TRANSFER_SERVICE = "transfer_service"
    TRANSFER_COUNTER = "transfer_counter"
    REINSTATE = "reinstate"
    RESUME_HELD = "resume_held"
    CLOSE = "close"
    PRIORITY = "priority"  #: typing the number of a ticket that asked for priority
    PRIORITY_DECIDE = "priority_decide"  #: 1 confirm, 2 refuse


@dataclass(frozen=True)
class Request:
    """A request for the controller: message type and body."""

    type: str
    body: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Notice:
    """The line under the counter's state: what just happened. tone: ok, refused, error, hint."""

    tone: str
    text: Names


@dataclass(frozen=True)
class CallerState:
    """Everything the clerk's screen shows."""

    counter: int
    view: Mapping[str, Any] | None  # the controller's view of the counter (None: not known yet)
    mode: Mode
    entry: str  # what is typed in the current mode
    notice: Notice | None
    busy: Request | None  # a request waiting for the controller
    online: bool  # the link to the broker is up
    controller_online: bool = True  # the controller's retained presence says it is up


SIMPLE = {
    "call": "counter.call_next",
    "recall": "counter.recall",
    "start": "counter.start",
    "no_show": "counter.no_show",
    "hold": "counter.hold",
}
MODES = {
    "open": Mode.SIGN_IN,
    "finish": Mode.FINISH,
    "transfer": Mode.TRANSFER_SERVICE,
    "reinstate": Mode.REINSTATE,
    "close": Mode.CLOSE,
}
OWN_KEY = {
    Mode.SIGN_IN: "open",
    Mode.PAUSE: "pause",
    Mode.FINISH: "finish",
    Mode.TRANSFER_SERVICE: "transfer",
    Mode.TRANSFER_COUNTER: "transfer",
    Mode.REINSTATE: "reinstate",
    Mode.RESUME_HELD: "resume_held",
    Mode.CLOSE: "close",
    Mode.PRIORITY: "enter",
    Mode.PRIORITY_DECIDE: "enter",
}
ACTIONS = frozenset(k.name for k in FUNCTIONS) - {"enter", "clear"}


class CallerMachine:
    def __init__(self, hall: Hall, counter: int) -> None:
        if counter not in hall.counters:
            raise ValueError(f"there is no counter {counter} in hall {hall.id}")
        self.hall, self.counter = hall, counter
        self.services = list(hall.services.values())
        self.view: dict[str, Any] | None = None
        self.mode = Mode.READY
        self.entry = ""
        self.notice: Notice | None = None
        self.busy: Request | None = None
        self.online = False
        self.controller_online = True
        self._before: dict[str, Any] | None = None  # the view when the request in flight was made
        # what a key does in each mode (READY is `_ready`, reached before any mode's own keys)
        self._in_mode: dict[Mode, Callable[[str], Request | None]] = {
            Mode.SIGN_IN: self._sign_in,
            Mode.PAUSE: self._pause,
            Mode.FINISH: self._finish,
            Mode.TRANSFER_SERVICE: self._transfer_service,
            Mode.TRANSFER_COUNTER: self._transfer_counter,
            Mode.REINSTATE: self._reinstate,
            Mode.RESUME_HELD: self._resume_held,
            Mode.CLOSE: self._close,
            Mode.PRIORITY: self._priority,
            Mode.PRIORITY_DECIDE: self._priority_decide,
        }

    @property
    def state(self) -> CallerState:
        return CallerState(
            self.counter, self.view, self.mode, self.entry, self.notice, self.busy, self.online, self.controller_online
        )

    # -- keys ------------------------------------------------------------------------------------

    def key(self, name: str) -> list[Request]:
        """The clerk pressed `name` (a key name from `keys`, or a capital letter). Returns the
        requests to send now (none while the clerk is still typing or choosing, else one); the
        caller then reports each one's outcome."""
        request = self._key(name)
        return [] if request is None else [request]

    def _key(self, name: str) -> Request | None:
        if self.busy is not None:
            self._hint("请稍候", "waiting for the controller")
            return None
        if self.mode is Mode.READY:
            return self._ready(name)
        if name == "clear":
            if self.entry:
                self.entry = ""
            else:
                self._leave()
            return None
        if name in ACTIONS and name != OWN_KEY[self.mode]:
            self._leave()  # another function key: the clerk changed their mind
            return self._ready(name)
        if name == OWN_KEY[self.mode] and self.mode in (Mode.SIGN_IN, Mode.PAUSE, Mode.REINSTATE, Mode.CLOSE):
            self._leave()  # the same key again: never mind
            return None
        return self._in_mode[self.mode](name)

    def _ready(self, name: str) -> Request | None:
        if name in SIMPLE:
            return self._send(Request(SIMPLE[name]))
        if name == "pause":
            if self.view is not None and self.view.get("state") == "paused":
                return self._send(Request("counter.resume"))
            self._enter(Mode.PAUSE)
            return None
        if name == "resume_held":
            held = self._held()
            if len(held) > 1:
                self._enter(Mode.RESUME_HELD)
                return None
            return self._send(Request("counter.resume_held"))
        if name in MODES:
            self._enter(MODES[name])
            return None
        if name == "enter":  # confirm, with no menu open: a citizen's priority request
            self._enter(Mode.PRIORITY)
            return None
        if name == "clear":
            self.notice = None
            return None
        self._hint("请先按功能键", "press a function key first")
        return None

    def _sign_in(self, name: str) -> Request | None:
        if name == "enter":
            if not self.entry:
                self._hint("请输入工号", "type your staff number")
                return None
            return self._send(Request("counter.open", {"clerk": self.entry}))
        self._type(name)
        return None

    def _pause(self, name: str) -> Request | None:
        choice = _digit(name, len(PAUSE_REASONS))
        if choice is None:
            self._stay()
            return None
        return self._send(Request("counter.pause", {"reason": PAUSE_REASONS[choice - 1]}))

    def _finish(self, name: str) -> Request | None:
        if name in ("enter", "finish"):
            return self._send(Request("counter.finish", {"outcome": OUTCOMES[0]}))
        choice = _digit(name, len(OUTCOMES))
        if choice is None:
            self._stay()
            return None
        return self._send(Request("counter.finish", {"outcome": OUTCOMES[choice - 1]}))

    def _transfer_service(self, name: str) -> Request | None:
        if name == "transfer":
            self.mode, self.entry = Mode.TRANSFER_COUNTER, ""
            return None
        choice = _digit(name, min(9, len(self.services)))
        if choice is None:
            self._stay()
            return None
        return self._send(Request("counter.transfer", {"service": self.services[choice - 1].id}))

    def _transfer_counter(self, name: str) -> Request | None:
        if name == "transfer":
            self.mode, self.entry = Mode.TRANSFER_SERVICE, ""
            return None
        if name == "enter":
            if not self.entry:
                self._hint("请输入窗口号", "type the counter number")
                return None
            return self._send(Request("counter.transfer", {"counter": int(self.entry)}))
        if name.isdigit() and len(self.entry) < 3:
            self.entry += name
            return None
        self._stay()
        return None

    def _reinstate(self, name: str) -> Request | None:
        if name == "enter":
            if not any(ch.isdigit() for ch in self.entry):
                self._hint("请输入号码", "type the ticket number, like A017")
                return None
            return self._send(Request("ticket.reinstate", {"ticket": self.entry}))
        return self._ticket_number(name)

    def _priority(self, name: str) -> Request | None:
        if name == "enter":
            if not any(ch.isdigit() for ch in self.entry):
                self._hint("请输入号码", "type the ticket number, like A017")
                return None
            self.mode = Mode.PRIORITY_DECIDE  # the number stays in `entry`
            return None
        return self._ticket_number(name)

    def _priority_decide(self, name: str) -> Request | None:
        choice = 1 if name == "enter" else _digit(name, 2)
        if choice is None:
            self._stay()
            return None
        return self._send(Request("ticket.priority", {"ticket": self.entry, "confirm": choice == 1}))

    def _ticket_number(self, name: str) -> Request | None:
        """Typing a ticket number: the first digit picks the service's letter, then digits."""
        if not self.entry and name.isdigit():  # the first digit picks the service's letter
            choice = _digit(name, min(9, len(self.services)))
            if choice is None:
                self._stay()
                return None
            self.entry = self.services[choice - 1].prefix
            return None
        self._type(name)
        return None

    def _resume_held(self, name: str) -> Request | None:
        held = self._held()
        if name in ("enter", "resume_held"):
            return self._send(Request("counter.resume_held", {"ticket": held[0]} if held else {}))
        choice = _digit(name, min(9, len(held)))
        if choice is None:
            self._stay()
            return None
        return self._send(Request("counter.resume_held", {"ticket": held[choice - 1]}))

    def _close(self, name: str) -> Request | None:
        if name == "enter":
            return self._send(Request("counter.close"))
        self._leave()
        self._hint("窗口未关闭", "the counter stays open")
        return None

    # -- outcomes ----------------------------------------------------------------------------------

    def sent(self, request: Request) -> None:
        """The request is on its way (the program calls this just before waiting for the reply)."""
        self.busy = request

    def answered(self, request: Request, view: Mapping[str, Any] | None) -> None:
        before = self._before
        self.busy = None
        if view is not None:
            self.view = dict(view)
        if request.type != "counter.status":
            self.notice = Notice("ok", self._done(request, before, self.view))

    def refused(self, request: Request, code: str, message: str) -> None:
        self.busy = None
        self.notice = Notice("refused", words.refusal(code, message))

    def timed_out(self, request: Request) -> None:
        """No reply in time: nothing is known to have changed, so nothing changes but the notice."""
        self.busy = None
        if request.type != "counter.status" or self.view is not None:
            self.notice = Notice("error", words.TIMEOUT)

    def view_pushed(self, view: Mapping[str, Any]) -> None:
        self.view = dict(view)

    def set_online(self, online: bool) -> None:
        self.online = online

    def set_controller_online(self, online: bool) -> None:
        self.controller_online = online

    # -- helpers -----------------------------------------------------------------------------------

    def _send(self, request: Request) -> Request:
        self._before = self.view
        self.mode, self.entry = Mode.READY, ""
        self.notice = None
        return request

    def _enter(self, mode: Mode) -> None:
        self.mode, self.entry, self.notice = mode, "", None

    def _leave(self) -> None:
        self.mode, self.entry = Mode.READY, ""

    def _stay(self) -> None:
        self._hint("此键在此无效", "that key does nothing here")

    def _type(self, name: str) -> None:
        if (name.isdigit() or name in _LETTERS) and len(self.entry) < MAX_ENTRY:
            self.entry += name
        else:
            self._stay()

    def _hint(self, zh: str, en: str) -> None:
        self.notice = Notice("hint", Names(zh, en))

    def _held(self) -> list[str]:
        return list(self.view.get("held", [])) if self.view else []

    def _done(self, request: Request, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> Names:
        """What the clerk is told after a request succeeded."""
        old = _label(before)
        new = _label(after)
        body = request.body
        match request.type:
            case "counter.open":
                return Names(f"已登录 工号 {body.get('clerk')}", f"signed in as {body.get('clerk')}")
            case "counter.close":
                return Names("窗口已关闭", "counter closed")
            case "counter.pause":
                reason = words.PAUSE[body["reason"]]
                return Names(f"已暂停:{reason.zh}", f"paused: {reason.en}")
            case "counter.resume":
                return Names("已恢复服务", "open again")
            case "counter.call_next":
                return Names(f"已呼叫 {new}", f"called {new}")
            case "counter.recall":
                if new == old and after and after.get("ticket"):
                    n = after["ticket"].get("recalls", 0)
                    return Names(f"重呼 {new}(第 {n} 次)", f"recalled {new} ({n})")
                return Names(f"{old} 多次未到,已过号", f"{old} did not come: no-show")
            case "counter.start":
                return Names(f"{new} 开始办理", f"serving {new}")
            case "counter.no_show":
                return Names(f"{old} 已过号", f"{old} marked no-show")
            case "counter.hold":
                return Names(f"{old} 已挂起", f"{old} on hold")
            case "counter.resume_held":
                return Names(f"已取回 {new}", f"resumed {new}")
            case "counter.transfer":
                if "counter" in body:
                    return Names(f"{old} 已转至 {body['counter']} 号窗口", f"{old} sent to counter {body['counter']}")
                service = self.hall.services[body["service"]].names
                return Names(f"{old} 已转至 {service.zh}", f"{old} sent to {service.en}")
            case "counter.finish":
                outcome = words.OUTCOME[body.get("outcome", "completed")]
                return Names(f"{old} {outcome.zh},请评价", f"{old} {outcome.en}; rating requested")
            case "ticket.reinstate":
                return Names(f"{body['ticket']} 已恢复排队", f"{body['ticket']} back in the queue")
            case "ticket.priority" if body["confirm"]:
                return Names(f"{body['ticket']} 优先已确认", f"{body['ticket']}: priority confirmed")
            case "ticket.priority":
                return Names(f"{body['ticket']} 不予优先,照常排队", f"{body['ticket']}: priority refused")
        return Names("完成", "done")


_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _digit(name: str, count: int) -> int | None:
    """A menu choice 1..count from a digit key, else None."""
    if len(name) == 1 and name.isdigit() and 1 <= int(name) <= count:
        return int(name)
    return None


def _label(view: Mapping[str, Any] | None) -> str:
    if view and view.get("ticket"):
        return str(view["ticket"].get("label", "?"))
    return "-"
