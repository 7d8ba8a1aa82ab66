"""The crowd: simulated citizens and clerks pressing the keys of a live hall's simulated devices.

`hall simulate` plays a day on the engine alone; the crowd plays the same scenario on a running
hall: the real controller, the real kiosk, caller and evaluator programs on simulated hardware,
each in its own process, pressed through their control sockets (`simulators.control`) exactly as
`hall sim press` presses them. So what it exercises is the whole hall: MQTT, the journal, the
printers, the screens, the devices' own rules (double presses, prompts that time out).

    hall sim crowd --config hall.toml --scenario day.toml [--speed 60] [--seed 1] [--control DIR]

Who does what, drawn from the scenario (examples/scenario.toml) by the models `hall simulate`
uses too (`simulators.behaviour`: for a seed, the same citizens as `hall simulate --seed`):

- citizens arrive at the hour's rate (Poisson) and press their service's button on a kiosk (staff
  press the priority button first for a priority citizen); the ticket comes out of its simulated
  printer as a PNG;
- clerks follow the procedure `hall simulate`'s clerks follow (`simulators.clerk`): sign in at
  their shift, call whoever waits, serve, wrap up, take their breaks, close the counter; each
  action is the key a clerk presses on the caller (`clerk_presses`). A citizen who rates presses
  on the counter's evaluator when it asks (with the scenario's mix; a worse one after a wait past
  the target). Now and then a citizen is at the wrong counter and is transferred to another service.

Time runs `speed` times faster than real time for the crowd (60: a 9-hour day in 9 minutes). In
`hall demo` the hall runs on the same sped-up clock (`OnHallClock`: the controller's timers, the
web and the crowd agree on the hour); alone (`hall sim crowd` beside devices on the real clock)
the crowd keeps a clock of its own (`SpedUpClock`). Either way, what the devices pace in real
time (the gap between two key presses, a look at a screen) is given in real seconds.

The decisions are plain generators (`kiosk_queue`, `clerk_shift`): they yield `Wait(until)` and
`Press(device, keys)` and are sent back what the device shows, so tests drive them with a fake
clock and fake devices; `act` carries them out, one thread per kiosk and per counter. (The rating
press is made on the clerk's thread, so there the clerk's wrap-up starts after it.)
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import logging
import math
import random
import signal
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from hall import config
from hall.clock import HallClock
from hall.config import PAUSE_REASONS, Hall
from simulators import clerk, control
from simulators import scenario as scenarios
from simulators.behaviour import Citizen, citizens
from simulators.day import Plan, PlannedShift, plan_day

log = logging.getLogger("hall.sim.crowd")

SPEED = 60.0  # simulated seconds per real second, unless told
MAX_SPEED = 300.0  # above this the devices' own real-time pacing lags the simulated clock
TRANSFER_SHARE = 0.03  # citizens at the wrong service: served briefly, then transferred
KEY_GAP_REAL_S = 0.6  # the same kiosk button twice within 0.5 s counts once: keep this apart
PROMPT_LOOK_REAL_S = 0.05  # a citizen glances at the evaluator this often until it asks ...
PROMPT_LOOKS = 40  # ... this many times at most (the prompt comes within milliseconds)
KIOSK_TRIES = 3  # a press the kiosk ignored (it was busy) is tried again


class CrowdError(Exception):
    """The crowd cannot do what the scenario asks (a clerk number the keypad cannot type, a
    device refusing a key it should know); the message says which and why."""


class DeviceGone(CrowdError):
    """A simulated device stopped answering its control socket."""


def plan_arrivals(hall: Hall, plan: Plan, seed: int, transfer_share: float = TRANSFER_SHARE) -> list[Citizen]:
    """The day's citizens in arrival order: those of `hall simulate --seed` for the same day (some
    of them at the wrong service), but for services no kiosk issues (nobody here can take those)."""
    return [c for c in citizens(hall, plan, seed, transfer_share) if c.kiosk is not None]


# --- what the devices show, as the crowd reads it --------------------------------------------


@dataclass(frozen=True)
class EvaluatorScreen:
    """The evaluator, read: the ticket it asks a rating for (None: not asking), the level it thanked for."""

    asking: str | None
    thanked: int | None = None


@dataclass(frozen=True)
class KioskAnswer:
    """What a kiosk press came to: the ticket printed, or why not (`ignored`: the press did not
    count, the kiosk was busy or the button pressed again at once: worth another try)."""

    ticket: str | None
    text: str
    ignored: bool = False


def read_caller(state: dict) -> clerk.Sees:
    """The caller's state as its simulator gives it (simulators.caller.state_for_control)."""
    ticket = state.get("ticket") or {}
    return clerk.Sees(state.get("state"), ticket.get("label"), ticket.get("state"), int(state.get("waiting") or 0))


def read_evaluator(state: dict) -> EvaluatorScreen:
    """The evaluator's state as its simulator gives it (simulators.evaluator.state_for_control)."""
    return EvaluatorScreen(state.get("asking"), state.get("thanked"))


def read_kiosk(state: dict) -> KioskAnswer:
    """The kiosk's state after a press (simulators.kiosk.state_for_control): the last key pressed
    is the service button, and what it came to is the answer."""
    presses = state.get("presses") or [{}]
    last = presses[-1]
    ticket = last.get("ticket") or {}
    return KioskAnswer(ticket.get("label"), last.get("text", ""), bool(last.get("ignored")))


# --- the decisions: generators of waits and presses ------------------------------------------


@dataclass(frozen=True)
class Wait:
    """Do nothing until the simulated instant `until`. `wake`: an idle clerk, whom a new ticket
    for the counter (or the crowd stopping) may call back earlier."""

    until: float
    wake: bool = False


@dataclass(frozen=True)
class Press:
    """Press `keys` on `device` ("show": press nothing, look); what it shows comes back."""

    device: str
    keys: tuple[str, ...]


Script = Generator["Wait | Press", object, None]


class Happenings:
    """What the crowd did, for the summary and the log: counts and the latest few lines.
    Shared by every thread of the crowd (so it locks); `on_ticket` hears each printed ticket."""

    KEEP = 8

    def __init__(self, on_ticket: Callable[[str], None] | None = None) -> None:
        self._lock = threading.Lock()
        self.counts: collections.Counter[str] = collections.Counter()
        self.latest: collections.deque[str] = collections.deque(maxlen=self.KEEP)
        self.problems: list[str] = []
        self.holders: dict[str, clerk.Ticketed] = {}
        self.on_ticket = on_ticket

    def note(self, what: str, line: str | None = None) -> None:
        with self._lock:
            self.counts[what] += 1
            if line:
                self.latest.append(line)
        if line:
            log.info("%s", line)

    def problem(self, line: str) -> None:
        with self._lock:
            self.problems.append(line)
        log.warning("%s", line)

    def printed(self, label: str, citizen: Citizen, at: float) -> None:
        with self._lock:
            self.holders[label] = clerk.Ticketed(citizen, at)
        if self.on_ticket is not None:
            self.on_ticket(citizen.service)

    def holder(self, label: str) -> clerk.Ticketed | None:
        with self._lock:
            return self.holders.get(label)

    def transferred(self, label: str, to: str, service_s: float) -> None:
        with self._lock:
            held = self.holders.get(label)
            if held is not None:
                self.holders[label] = replace(
                    held, citizen=replace(held.citizen, service=to, service_s=service_s, transfer=None, no_show=False)
                )

    def left(self, label: str) -> None:
        with self._lock:
            self.holders.pop(label, None)

    def snapshot(self) -> tuple[dict[str, int], list[str], list[str]]:
        with self._lock:
            return dict(self.counts), list(self.latest), list(self.problems)


def kiosk_queue(
    kiosk: str, citizens: Iterable[Citizen], hall: Hall, seen: Happenings, clock: Callable[[], float], speed: float
) -> Script:
    """The citizens of one kiosk, in arrival order: each presses their service (staff press
    priority first for a priority citizen) when they arrive, or as soon as the one before is done.
    The same button is not pressed twice within the kiosk's double-press window."""
    gap = KEY_GAP_REAL_S * speed
    last: dict[str, float] = {}
    for citizen in citizens:
        yield Wait(citizen.at)
        keys = ("priority", citizen.service) if citizen.klass == "priority" else (citizen.service,)
        for _ in range(KIOSK_TRIES):
            ready = max((last.get(k, -math.inf) + gap for k in keys), default=-math.inf)
            if clock() < ready:
                yield Wait(ready)
            answer = yield Press(kiosk, keys)
            now = clock()
            for k in keys:
                last[k] = now
            assert isinstance(answer, KioskAnswer)
            if answer.ticket is not None:
                seen.printed(answer.ticket, citizen, now)
                seen.note("tickets", f"{_hhmm(now, hall)} {answer.ticket} printed at {kiosk}")
                break
            if not answer.ignored:
                seen.note("not_issued", f"{_hhmm(now, hall)} {kiosk}: {answer.text}")
                break
        else:
            seen.note("not_issued", f"{_hhmm(clock(), hall)} {kiosk}: gave up ({answer.text})")


@dataclass(frozen=True)
class Desk:
    """A counter as its clerks work it: the devices to press and what the counter serves."""

    counter: int
    caller: str
    evaluator: str | None
    serves: frozenset[str]  # primary and backup services: a ticket for one wakes its clerk


def desks(hall: Hall) -> dict[int, Desk]:
    """Every counter with a caller (a counter without one cannot be worked by the crowd)."""
    callers = {c.counter: c.id for c in hall.callers.values()}
    evaluators = {e.counter: e.id for e in hall.evaluators.values()}
    out = {}
    for n, counter in hall.counters.items():
        if n in callers:
            out[n] = Desk(n, callers[n], evaluators.get(n), frozenset(counter.primary + counter.backup))
    return out


def clerk_keys(staff: str) -> tuple[str, ...]:
    """The keys that type a staff number (capital letters and digits)."""
    if not staff or not all(ch.isdigit() or "A" <= ch <= "Z" for ch in staff):
        raise CrowdError(
            f"the staff number {staff!r} cannot be typed on the clerk's keypad (capital letters and digits only)"
        )
    return tuple(staff)


def clerk_shift(
    shift: PlannedShift,
    desk: Desk,
    hall: Hall,
    plan: Plan,
    seen: Happenings,
    clock: Callable[[], float],
    rng: random.Random,
    speed: float,
) -> Script:
    """One clerk's shift at one counter (simulators/clerk.py), as presses on the counter's caller."""
    return clerk_presses(
        clerk.shift_script(shift, clerk.counter_of(hall, desk.counter), hall, plan, clock, rng, seen.holder),
        desk,
        hall,
        seen,
        clock,
        speed,
    )


def clerk_presses(
    script: clerk.Script, desk: Desk, hall: Hall, seen: Happenings, clock: Callable[[], float], speed: float
) -> Script:
    """The clerk's actions as the keys they press, and what the crowd notes of them."""
    caller, services = desk.caller, list(hall.services)
    sees: clerk.Sees | None = None
    label: str | None = None  # the ticket last called at this counter
    signed_in = ""
    while True:
        try:
            action = script.send(sees)
        except StopIteration:
            return
        kind, sees = type(action), None
        if kind is clerk.Wait:
            yield Wait(action.until, action.wake)
        elif kind is clerk.Rate:
            if desk.evaluator is not None:
                yield from _rate(action, desk, hall, seen, clock, speed)
        else:
            keys = KEYS.get(kind) or _keys(action, services)
            sees = yield Press(caller, keys)
            now = _hhmm(clock(), hall)
            if kind is clerk.CallNext and sees.ticket is not None and sees.ticket_state == "called":
                label = sees.ticket
                seen.note("calls", f"{now} counter {desk.counter} calls {label}")
            elif kind is clerk.Recall and sees.ticket != label:
                seen.left(label)
                seen.note("no_shows", f"{now} {label} did not come to counter {desk.counter}")
            elif kind is clerk.Transfer and sees.ticket != label:
                held = seen.holder(label)
                if held is not None and held.citizen.transfer is not None:
                    seen.transferred(label, action.to, held.citizen.transfer[1])
                seen.note("transfers", f"{now} counter {desk.counter} sends {label} to {action.to}")
            elif kind is clerk.FinishService:
                finished = label if sees.ticket != label else None
                if finished is not None:
                    seen.left(finished)
                    seen.note("served", f"{now} counter {desk.counter} finished {finished}")
            elif kind is clerk.Pause:
                seen.note("pauses", f"{now} counter {desk.counter} pauses ({action.reason})")
            elif kind is clerk.OpenCounter and sees.state != "closed":
                signed_in = action.clerk
                seen.note("sign_ins", f"{now} {signed_in} signs in at counter {desk.counter}")
            elif kind is clerk.CloseCounter:
                seen.note("sign_outs", f"{now} {signed_in} signs out at counter {desk.counter}")


KEYS = {
    clerk.Look: ("show",),
    clerk.CallNext: ("call",),
    clerk.Recall: ("recall",),
    clerk.StartService: ("start",),
    clerk.FinishService: ("finish", "1"),
    clerk.Resume: ("pause",),
    clerk.CloseCounter: ("close", "enter"),
}


def _keys(action: clerk.Action, services: list[str]) -> tuple[str, ...]:
    if type(action) is clerk.OpenCounter:
        return ("open", *clerk_keys(action.clerk), "enter")
    if type(action) is clerk.Pause:
        return ("pause", str(PAUSE_REASONS.index(action.reason) + 1))
    if type(action) is clerk.Transfer:
        return ("transfer", str(services.index(action.to) + 1))
    raise CrowdError(f"the crowd cannot press {action!r}")


def _rate(
    rate: clerk.Rate, desk: Desk, hall: Hall, seen: Happenings, clock: Callable[[], float], speed: float
) -> Script:
    """The citizen just served presses their level on the counter's evaluator once it asks."""
    label, level = rate.ticket, rate.level
    yield Wait(clock() + rate.press_s)
    for _ in range(PROMPT_LOOKS):
        shown = yield Press(desk.evaluator, ("show",))
        if shown.asking == label:
            shown = yield Press(desk.evaluator, (str(level),))
            if shown.thanked == level:
                seen.note("ratings", f"{_hhmm(clock(), hall)} {label} rates counter {desk.counter}: {level}")
                seen.note(f"rated_{level}")
            return
        yield Wait(clock() + PROMPT_LOOK_REAL_S * speed)
    seen.note("prompts_missed", f"{_hhmm(clock(), hall)} {desk.evaluator} never asked {label} for a rating")


def _hhmm(at: float, hall: Hall) -> str:
    return dt.datetime.fromtimestamp(at, hall.tz).strftime("%H:%M")


# --- carrying the decisions out ----------------------------------------------------------------


class Keypads(Protocol):
    """How the crowd reaches the devices: press keys, get back what the device shows."""

    def press(self, device: str, keys: tuple[str, ...]) -> object: ...


class Clock(Protocol):
    """The crowd's simulated clock: `now()` and `wait_until(t, event)` (returns early when the
    event is set)."""

    def now(self) -> float: ...

    def wait_until(self, until: float, event: threading.Event) -> None: ...


class SpedUpClock:
    """Simulated time running `speed` times faster than `monotonic`, from `start` (epoch seconds)."""

    def __init__(self, start: float, speed: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.start, self.speed, self.monotonic = start, speed, monotonic
        self.began = monotonic()

    def now(self) -> float:
        return self.start + (self.monotonic() - self.began) * self.speed

    def wait_until(self, until: float, event: threading.Event) -> None:
        left = (until - self.now()) / self.speed
        if left > 0:
            event.wait(left)


class OnHallClock:
    """The crowd on the hall's own clock (hall/clock.py): in the demo the controller, the devices
    and the crowd all run on one clock started at the day's opening and sped up, so that every
    timer of the hall (waits past target, rating windows, reservations) passes as on a real day."""

    def __init__(self, clock: HallClock) -> None:
        self.clock = clock

    def now(self) -> float:
        return self.clock()

    def wait_until(self, until: float, event: threading.Event) -> None:
        left = self.clock.real_seconds(until - self.now())
        if left > 0:
            event.wait(left)


class ControlKeypads:
    """The simulated devices' control sockets (`hall sim press --json`): keys pressed, the state after read."""

    def __init__(self, directory: Path, hall: Hall, timeout: float = control.ANSWER_TIMEOUT_S) -> None:
        self.directory, self.hall, self.timeout = directory, hall, timeout

    def press(self, device: str, keys: tuple[str, ...]) -> object:
        role = self.hall.device_role(device)
        try:
            state = control.ask(self.directory, device, list(keys), self.timeout)
        except control.ControlError as e:
            if role == "kiosk":  # e.g. "the kiosk did not deal with the press within 8 s"
                return KioskAnswer(None, f"not issued: {e}")
            raise CrowdError(f"{device} refused the keys {' '.join(keys)}: {e}") from None
        except (control.NoSimulator, OSError) as e:
            raise DeviceGone(str(e)) from None
        if role == "kiosk":
            return read_kiosk(state)
        if role == "evaluator":
            return read_evaluator(state)
        return read_caller(state)


def act(
    script: Script, keypads: Keypads, clock: Clock, stop: threading.Event, wake: threading.Event | None = None
) -> None:
    """Carry out a script until it ends or `stop` is set. A `Wait(wake=True)` also ends when
    `wake` is set (and clears it)."""
    result: object = None
    idle = wake or stop
    while not stop.is_set():
        try:
            step = script.send(result)
        except StopIteration:
            return
        if isinstance(step, Press):
            result = keypads.press(step.device, step.keys)
        else:
            clock.wait_until(step.until, idle if step.wake else stop)
            if step.wake and wake is not None:
                wake.clear()
            result = None


class Crowd:
    """The whole crowd on threads: one per kiosk (its citizens in turn), one per counter (its
    clerks' shifts in turn). `start()`, then `stop()` or `join()`; `seen` has what happened."""

    def __init__(
        self,
        hall: Hall,
        plan: Plan,
        keypads: Keypads,
        clock: Clock,
        *,
        seed: int = 1,
        speed: float = SPEED,
        transfer_share: float = TRANSFER_SHARE,
    ) -> None:
        self.hall, self.plan, self.keypads, self.clock, self.speed = hall, plan, keypads, clock, speed
        self.desks = desks(hall)
        for shift in plan.shifts:
            clerk_keys(shift.clerk)  # a staff number the keypad cannot type: say so now
        self.citizens = plan_arrivals(hall, plan, seed, transfer_share)
        self.stopping = threading.Event()
        self.wakes = {n: threading.Event() for n in self.desks}
        self.seen = Happenings(on_ticket=self._wake)
        self.seed = seed
        self._threads: list[threading.Thread] = []

    @property
    def shifts(self) -> dict[int, list[PlannedShift]]:
        out: dict[int, list[PlannedShift]] = {}
        for shift in sorted(self.plan.shifts, key=lambda s: s.start):
            if shift.counter in self.desks:
                out.setdefault(shift.counter, []).append(shift)
        return out

    def start(self) -> Crowd:
        now = self.clock.now
        for kiosk in self.hall.kiosks:
            theirs = [c for c in self.citizens if c.kiosk == kiosk]
            script = kiosk_queue(kiosk, theirs, self.hall, self.seen, now, self.speed)
            self._spawn(f"crowd-{kiosk}", script, None)
        for counter, shifts in self.shifts.items():
            desk = self.desks[counter]
            script = clerk.counter_script(
                shifts,
                clerk.counter_of(self.hall, counter),
                self.hall,
                self.plan,
                now,
                random.Random(f"{self.seed}/clerks/{counter}"),
                self.seen.holder,
            )
            self._spawn(
                f"crowd-counter-{counter}",
                clerk_presses(script, desk, self.hall, self.seen, now, self.speed),
                self.wakes[counter],
            )
        return self

    def _spawn(self, name: str, script: Script, wake: threading.Event | None) -> None:
        def run() -> None:
            try:
                act(script, self.keypads, self.clock, self.stopping, wake)
            except CrowdError as e:
                self.seen.problem(f"{name.removeprefix('crowd-')}: {e}")

        thread = threading.Thread(target=run, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _wake(self, service: str) -> None:
        for n, desk in self.desks.items():
            if service in desk.serves:
                self.wakes[n].set()

    @property
    def done(self) -> bool:
        """Every citizen has taken a ticket and every clerk has signed out (or the crowd stopped)."""
        return bool(self._threads) and not any(t.is_alive() for t in self._threads)

    def join(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return self.done

    def stop(self, timeout: float = 10.0) -> None:
        """Stop pressing: every thread ends after the press it is making."""
        self.stopping.set()
        for wake in self.wakes.values():
            wake.set()
        self.join(timeout)


# --- `hall sim crowd` -------------------------------------------------------------------------


def speed_value(text: str) -> float:
    try:
        speed = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 1 <= speed <= MAX_SPEED:
        raise argparse.ArgumentTypeError(f"{text} is not between 1 and {MAX_SPEED:g}")
    return speed


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hall sim crowd", description=__doc__.split("\n\n")[0])
    p.add_argument("--config", required=True, type=Path, help="the hall file")
    p.add_argument("--scenario", required=True, type=Path, help="the day (see docs/simulate.md)")
    p.add_argument(
        "--speed",
        type=speed_value,
        default=SPEED,
        help=f"simulated seconds per real second (1-{MAX_SPEED:g}, default {SPEED:g})",
    )
    p.add_argument("--seed", type=int, default=1, help="the random day (default 1)")
    p.add_argument("--control", type=Path, help="the simulators' control directory (default: HALL_SIM_DIR, …)")
    return p


def main(argv: list[str] | None = None) -> int:
    """`hall sim crowd`: play the scenario's day on running simulated devices until it ends or Ctrl-C."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", force=True)
    try:
        hall = config.load(args.config)
        plan = plan_day(hall, scenarios.load(args.scenario, hall))
        crowd = Crowd(
            hall,
            plan,
            ControlKeypads(control.control_dir(args.control), hall),
            SpedUpClock(plan.start, args.speed),
            seed=args.seed,
            speed=args.speed,
        )
    except (config.ConfigError, scenarios.ScenarioError, CrowdError) as e:
        print(f"hall sim crowd: {e}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(
        f"hall sim crowd: {len(crowd.citizens)} citizens today at {hall.names.en}, {args.speed:g}x; Ctrl-C stops",
        flush=True,
    )
    crowd.start()
    while not stop.wait(0.5) and not crowd.done:
        pass
    crowd.stop()
    counts, _, problems = crowd.seen.snapshot()
    print("hall sim crowd: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if not k.startswith("rated_")))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
