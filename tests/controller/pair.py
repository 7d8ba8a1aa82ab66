"""A hall controller and its devices wired together in memory: a real `HallSession` with its
journal on a file, and no broker (h11's `ConnectionPair`, for the hall).

    hall = InMemoryHall(example_hall, tmp_path / "journal.db")
    kiosk = hall.device("K1")                      a `PairedLink`: what a device program sees of its
    reply = kiosk.request("ticket.request", {...})  DeviceLink (request, send, send_durable,
    hall.device("D1", listen=("board", "calls"))    update_state, incoming), answered at once
    hall.deliver([(topic, payload)])               raw bytes on any topic, as a stranger would send
    hall.advance(60)                               the hall's clock moves on; the timers run

What a device publishes is queued; `pump` hands the queue to the session as one batch, then
delivers what the session publishes to every link whose topic it is (retained messages are kept
and given to links that join later, as a broker does), over and over until nothing is left. It
all happens on the caller's thread, before `request` returns: no threads, no waiting, no sockets.

The clock is the hall's, frozen at the test's start (HALL_TEST_NOW, through the hall_test_clock
fixture) and moved only by the harness: each round of the loop takes ROUND_S, a little more than
BOARD_EVERY_S (and a power of two, so the differences of times are exact), so the board is looked
at after every round, and the timers run every few rounds; `advance(s)` jumps. Messages are
stamped on it too: the session stamps its own with the `now` it is given, the device programs
theirs with the process clock, which the harness points at this one (envelope.use_clock).

The real device programs can be wired to the hall as well, built from the same parts their `assemble` wires, with
the drivers' twins (the end of this module): `hall.kiosk("K1", tmp_path)`, `hall.caller("C3")`,
`hall.evaluator("E3")`, `hall.display("D1", tmp_path)`. Each gets a `PairedLink` as its link (it
has the DeviceLink methods programs call, and takes the program's inbox as DeviceLink does) and
the hall's clock. Nothing runs a program behind the test's back: a rig's `press` steps its own
program only (`step(0)`, never waiting), and `hall.settle()` steps them all until none has
anything left, so a test says when the calling screen gets round to a call. So a whole citizen's
path, and the refusals that depend on who has done what yet, are tested with no broker and no
second of real time. Two workers keep their own thread, as in the hall: the calling
screen's voice (`settle` waits until it is idle, so its reports are in the screen's inbox) and
the evaluator's sounds.
"""

from __future__ import annotations

import os
import queue
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from gpiozero.pins.mock import MockFactory
from testkit import WAIT_S, ManualClock

from devices.caller.program import CallerProgram
from devices.evaluator.panel import EvaluatorPanel
from devices.evaluator.program import EvaluatorProgram, StampedInbox
from devices.evaluator.voice import EvaluatorVoice
from devices.kiosk.buttons import key_for
from devices.kiosk.machine import KioskMachine
from devices.kiosk.offline import OfflineNumbers
from devices.kiosk.program import KioskProgram
from devices.link import SOFTWARE, STATE_TYPE, LinkClosed, Received, Refused, ReplyTimeout
from devices.stepping import StepLoop
from drivers.gpio import PanelTwin, Press
from drivers.printer.printer import open_printer
from drivers.printer.twin import SimulatedPrinter
from drivers.sounds import CHIME
from drivers.voice import RecordingPlayer, RecordingSpeaker
from hall import clock as hall_clock
from hall.config import Hall
from hall_controller.durable import DurableEngine, Result
from hall_controller.engine import events
from hall_controller.session import BOARD_EVERY_S, HallSession, Publication
from protocol import envelope, topics
from protocol.envelope import Message, ProtocolError, decode, encode, make_message
from protocol.topics import Kind

from .conftest import Recorder

R = TypeVar("R", bound="Rig")
SECRET = b"test-secret-" * 3
ROUND_S = 0.125  # hall seconds a round of the loop takes here
assert ROUND_S >= BOARD_EVERY_S


class InMemoryHall:
    """A hall controller's session and the devices talking to it, in one thread, with no broker."""

    def __init__(self, hall: Hall, db: Path, clock: ManualClock | None = None) -> None:
        self.hall, self.db = hall, db
        self.clock = clock or ManualClock(hall_clock.now())
        self.links: list[PairedLink] = []
        self.retained: dict[str, bytes] = {}  # what a broker would keep: the last retained per topic
        self.published: list[Publication] = []  # everything the session published, in order
        self._queue: list[tuple[str, bytes]] = []
        self._pumping = False
        self.programs: list[StepLoop] = []  # the real device programs on this hall (`settle` steps them)
        self._idle: list[Callable[[], object]] = []  # waits for a worker thread of theirs to be idle
        self._close: list[Callable[[], object]] = []
        envelope.use_clock(self.clock)  # the devices stamp their messages (a press) on the hall clock, as live
        self.start()

    # --- the controller ----------------------------------------------------------------------

    def start(self) -> None:
        """Open the journal and start the session (again, after `stop`: as after a crash, the
        replies already journalled are remembered; the retained messages stay, as on a broker)."""
        self.durable = DurableEngine(self.hall, self.db, clock=self.clock)
        self.running = True
        self.session = HallSession(self.hall, self.durable, secret=SECRET, started_at=self.clock())
        self.session.reconnected()
        self._route([self.session.controller_state(True, self.clock())])
        self.pump()  # the first round: the timers start every service's day, the board is retained

    def stop(self) -> None:
        if self.running:
            self.running = False
            self.durable.close()

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        """Close the device programs and their drivers, then stop the session (after the test)."""
        while self._close:
            self._close.pop()()
        self.stop()
        envelope.use_clock(hall_clock.now)

    @property
    def engine(self):
        return self.durable.engine

    def now(self) -> float:
        return self.clock()

    # --- the wire ----------------------------------------------------------------------------

    def device(
        self,
        device: str,
        *,
        listen: Iterable[Kind | str] = (),
        state: Mapping[str, Any] | None = None,
        inbox: Any = None,
    ) -> PairedLink:
        """A connected link for `device` (its state published, retained messages delivered)."""
        link = PairedLink(self, device, listen=listen, state=state, inbox=inbox)
        self.links.append(link)
        link.connect()
        return link

    def publish(self, topic: str, payload: bytes) -> None:
        """A device's publication: queued for the session's next batch (`pump` takes it)."""
        self._queue.append((topic, payload))

    def deliver(self, batch: Iterable[tuple[str, bytes]]) -> None:
        """Hand these messages (topic, raw payload) to the session as one batch, and what follows."""
        self._queue.extend(batch)
        self.pump()

    def submit(self, command: object) -> Result:
        """A staff command from the web, applied and journalled in a batch of its own."""
        outcome = self.session.receive([], self._round_time(), [command])
        self._route(outcome.publications)
        self.pump()
        return outcome.results[0]

    def pump(self) -> None:
        """Rounds of the loop until nothing is left to deliver: each takes every queued message as
        one batch, then the timers and the board, and hands the publications to the links."""
        if self._pumping:
            return  # a link answering a delivery: its message waits for the next round
        self._pumping = True
        try:
            first = True
            while first or self._queue:
                first = False
                batch, self._queue = self._queue, []
                now = self._round_time()
                if batch:
                    self._route(self.session.receive(batch, now).publications)
                self._route(self.session.tick(now))
                self._route(self.session.board(now))
        finally:
            self._pumping = False

    def advance(self, seconds: float) -> None:
        """Let `seconds` of hall time pass (the timers run, what they announce is delivered)."""
        self.clock.advance(seconds)
        self.pump()

    def reconnect(self, *, lose_retained: bool = False) -> None:
        """As after the gateway reconnects to the broker (one that lost its retained messages, if
        asked): the session gives the board again and states its presence."""
        if lose_retained:
            self.retained.clear()
        self.session.reconnected()
        self._route([self.session.controller_state(True, self.clock())])
        self.pump()

    def on(self, topic: str) -> list[Message]:
        """Every message the session published on `topic`, in order."""
        return [decode(p.payload) for p in self.published if p.topic == topic]

    def journalled(self, type: str) -> list[Any]:
        """The events of `type` (a name from engine/events.py) in the journal on disk, in order."""
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT body FROM events WHERE type = ? ORDER BY seq", (type,)).fetchall()
        finally:
            conn.close()
        return [events.decode(type, body) for (body,) in rows]

    # --- the real device programs (built at the end of this module) ------------------------------

    def kiosk(self, device: str, out_dir: Path) -> KioskRig:
        return self._joined(_kiosk(self, device, out_dir))

    def caller(self, device: str) -> CallerRig:
        return self._joined(_caller(self, device))

    def evaluator(self, device: str) -> EvaluatorRig:
        return self._joined(_evaluator(self, device))

    def display(self, device: str, out_dir: Path) -> DisplayRig:
        return self._joined(_display(self, device, out_dir))

    def settle(self) -> None:
        """Step every device program until none has anything left to take (their own workers
        idle: what those had to say is in the inboxes)."""
        while True:
            for program in self.programs:
                while program.step(0):
                    pass
            for wait in self._idle:
                wait()
            if all(program.inbox.empty() for program in self.programs):
                return

    def _joined(self, rig: R) -> R:
        rig.step()  # what the link gave it on joining: retained board, the controller's presence
        self.programs.append(rig.program)
        return rig

    def _round_time(self) -> float:
        self.clock.advance(ROUND_S)
        return self.clock()

    def _route(self, publications: list[Publication]) -> None:
        for out in publications:
            self.published.append(out)
            if out.retain:
                self.retained[out.topic] = out.payload
            for link in list(self.links):
                link.hear(out.topic, out.payload)


class PairedLink:
    """A device's link wired to an `InMemoryHall`: the program-facing part of DeviceLink.

    `request` puts the message on the wire, runs the hall's rounds, and returns the reply (or
    raises `Refused`); there is nothing to wait for, so no reply means `ReplyTimeout` at once.
    Received messages go to `incoming` (a `Recorder`, also `seen`, unless an inbox is given).
    """

    def __init__(
        self,
        wire: InMemoryHall,
        device: str,
        *,
        listen: Iterable[Kind | str] = (),
        state: Mapping[str, Any] | None = None,
        inbox: Any = None,
    ) -> None:
        self.wire, self.device, self.hall = wire, device, wire.hall.id
        self.topic_up = topics.device_up(self.hall, device)
        self.topic_down = topics.device_down(self.hall, device)
        self.topic_state = topics.device_state(self.hall, device)
        self._listen = {topics.hall_topic(self.hall, Kind(k)): Kind(k) for k in listen}
        self.incoming = inbox if inbox is not None else Recorder()
        self.seen = self.incoming
        self._state: dict[str, Any] = dict(state or {})
        self._waiting: dict[str, Message | None] = {}
        self._unanswered: set[str] = set()
        self._answered: set[str] = set()
        self._connected = False
        self._closed = False

    # -- what a program calls (as on DeviceLink) --------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected

    def wait_connected(self, timeout: float | None = None) -> bool:
        return self._connected

    def request(self, type: str, body: Mapping[str, Any] | None = None, timeout: float = WAIT_S) -> Message:
        self._check_open()
        message = make_message(type, body)
        self._waiting[message.id] = None
        try:
            if self._connected:
                self.wire.publish(self.topic_up, encode(message))
                self.wire.pump()
            reply = self._waiting[message.id]
        finally:
            self._waiting.pop(message.id, None)
        if reply is None:
            raise ReplyTimeout(type, message.id, timeout)
        return Refused.check(reply)

    def send(self, type: str, body: Mapping[str, Any] | None = None) -> Message:
        self._check_open()
        message = make_message(type, body)
        self.wire.publish(self.topic_up, encode(message))
        self.wire.pump()
        return message

    def send_durable(self, type: str, body: Mapping[str, Any] | None = None) -> Message:
        """As `send`, remembered until the controller's reply quoting it arrives (in `incoming`)."""
        self._check_open()
        message = make_message(type, body)
        self._unanswered.add(message.id)
        self.wire.publish(self.topic_up, encode(message))
        self.wire.pump()
        return message

    @property
    def unanswered(self) -> int:
        return len(self._unanswered)

    def update_state(self, **fields: Any) -> None:
        self._check_open()
        for name, value in fields.items():
            if value is None:
                self._state.pop(name, None)
            else:
                self._state[name] = value
        self._say_state(online=True)

    @property
    def state(self) -> dict[str, Any]:
        return dict(self._state)

    def close(self, timeout: float = 0.0) -> None:
        """Say goodbye (`online: false`, retained) and leave the wire."""
        if self._closed:
            return
        self._closed = True
        self._say_state(online=False)
        self._connected = False
        self.wire.links.remove(self)

    # -- the wire's side --------------------------------------------------------------------------

    def connect(self) -> None:
        self._connected = True
        for topic, payload in list(self.wire.retained.items()):
            if topic in self._listen:
                self.hear(topic, payload)
        self._say_state(online=True)

    def hear(self, topic: str, payload: bytes) -> None:
        """One publication of the session's: kept if it is for this device (as DeviceLink's on_message)."""
        if topic == self.topic_down:
            kind = Kind.DOWN
        elif topic in self._listen:
            kind = self._listen[topic]
        else:
            return
        try:
            message = decode(payload)
        except ProtocolError as e:  # the session never sends one; say so if it does
            raise AssertionError(f"{self.device} got a bad message on {topic}: {e}") from e
        if kind is Kind.DOWN and message.re is not None:
            if message.re in self._waiting:
                if self._waiting[message.re] is None:
                    self._waiting[message.re] = message
                    self._answered.add(message.re)
                return
            if message.re in self._answered:
                return  # a copy: answered already
            self._answered.add(message.re)
            self._unanswered.discard(message.re)
        self.incoming.put(Received(kind, message))

    def _say_state(self, online: bool) -> None:
        body = {"online": True, "software": SOFTWARE, **self._state} if online else {"online": False}
        payload = encode(make_message(STATE_TYPE, body))
        self.wire.retained[self.topic_state] = payload
        self.wire.deliver([(self.topic_state, payload)])

    def _check_open(self) -> None:
        if self._closed:
            raise LinkClosed("this link is closed")


# --- the real device programs ----------------------------------------------------------------------
# Built as each device's `assemble` builds them, with the twins its tests use, a PairedLink instead
# of a DeviceLink, and the hall's clock.


@dataclass
class Rig:
    """A real device program on an `InMemoryHall`, with its link and its drivers' twins."""

    wire: InMemoryHall
    program: Any
    link: PairedLink

    def step(self) -> None:
        """Let this program (and only it) take everything waiting for it."""
        while self.program.step(0):
            pass


@dataclass
class KioskRig(Rig):
    printer: Any = None
    numbers: Any = None

    def press(self, letter: str) -> None:
        """The kiosk's button for the service `letter` ("A": the first), a citizen's press."""
        self.wire.advance(2)  # a citizen's pace: past the kiosk's double-press window
        self.program.inbox.put(Press(key_for(self.wire.hall, self.program.kiosk, letter), self.wire.now()))
        self.step()


@dataclass
class CallerRig(Rig):
    screens: list[list[str]] = field(default_factory=list)  # every screen drawn, as text lines

    def press(self, *keys: str) -> list[str]:
        """Press the keys a second apart (a clerk's pace), each handled before the next; the screen after."""
        for key in keys:
            self.wire.advance(1)
            self.program.press(key)
            self.step()
        return self.screen

    @property
    def screen(self) -> list[str]:
        return [line.text for line in self.program.lines]


@dataclass
class EvaluatorRig(Rig):
    twin: Any = None
    player: Any = None

    def press(self, level: int) -> None:
        """A citizen's firm push of the button for `level` (4: very satisfied, down to 1)."""
        self.wire.advance(1)
        self.twin.tap(self.program.panel.button_pins[str(level)])
        self.step()


@dataclass
class DisplayRig(Rig):
    speaker: Any = None  # a RecordingSpeaker: `speaker.labels`, the calls said

    @property
    def shown(self):
        return self.program.shown


def _kiosk(wire: InMemoryHall, device: str, out_dir: Path) -> KioskRig:
    kiosk = wire.hall.kiosks[device]
    inbox: queue.Queue = queue.Queue()
    link = wire.device(device, listen=("board", "controller/state"), state={"paper": "unknown"}, inbox=inbox)
    simulator = SimulatedPrinter(kiosk.paper_mm, out_dir=out_dir / f"paper-{device}")
    printer = open_printer("sim", kiosk.paper_mm, simulator=simulator)
    wire._close.append(printer.close)
    numbers = OfflineNumbers(out_dir / f"offline-{device}.json", wire.hall, device)
    machine = KioskMachine(wire.hall, kiosk, touch=False, now=wire.now())
    program = KioskProgram(
        wire.hall, kiosk, link, printer, numbers, inbox, clock=wire.clock, wall=wire.clock, machine=machine
    )
    return KioskRig(wire, program, link, printer, numbers)


def _caller(wire: InMemoryHall, device: str) -> CallerRig:
    inbox: queue.Queue = queue.Queue()
    link = wire.device(device, listen=("controller/state",), inbox=inbox)
    screens: list[list[str]] = []
    program = CallerProgram(
        wire.hall,
        wire.hall.callers[device],
        link,  # a PairedLink: what the program uses of a DeviceLink
        inbox,
        lambda lines: screens.append([line.text for line in lines]),
        clock=wire.clock,
    )
    return CallerRig(wire, program, link, screens)


def _evaluator(wire: InMemoryHall, device: str) -> EvaluatorRig:
    evaluator = wire.hall.evaluators[device]
    inbox: queue.Queue = queue.Queue()
    link = wire.device(device, inbox=StampedInbox(inbox, wire.clock))
    pins = MockFactory()
    panel = EvaluatorPanel(evaluator, inbox, factory=pins, clock=wire.clock)
    player = RecordingPlayer()
    voice = EvaluatorVoice(player, CHIME.read_bytes())
    wire._close += [pins.close, panel.close, voice.close]  # closed last to first
    program = EvaluatorProgram(evaluator, link, panel, voice, inbox, clock=wire.clock)
    wire._idle.append(lambda: voice.wait_idle(WAIT_S))
    return EvaluatorRig(wire, program, link, PanelTwin(pins), player)


def _display(wire: InMemoryHall, device: str, out_dir: Path) -> DisplayRig:
    for name, value in (
        ("SDL_VIDEODRIVER", "dummy"),
        ("SDL_AUDIODRIVER", "dummy"),
        ("PYGAME_HIDE_SUPPORT_PROMPT", "1"),
    ):
        os.environ.setdefault(name, value)
    from devices.display.main import assemble
    from devices.display.program import LISTEN
    from drivers.screen import PngScreen

    display = wire.hall.displays[device]
    speaker = RecordingSpeaker(wire.clock)  # says each call at once, at the hall's time
    screen = PngScreen(out_dir / f"frames-{device}", display.size)
    # assemble makes a DeviceLink for the broker it is given, but starts nothing: the PairedLink
    # takes its place before the program sees a message.
    program = assemble(wire.hall, display, "mqtt://localhost", screen, speaker, clock=wire.clock)
    link = program.link = wire.device(device, listen=LISTEN, inbox=program.inbox)
    wire._close += [screen.close, program.close]
    if program.announcer is not None:
        program.announcer.start()
        wire._idle.append(lambda: program.announcer.wait_idle(WAIT_S))
    return DisplayRig(wire, program, link, speaker)
