"""The clerk's procedure, written once for both simulators.

`hall simulate` (simulators/day.py) turns a clerk's actions into engine commands at simulated
instants; the crowd of `hall demo` (simulators/crowd.py) turns them into key presses on a running
hall's simulated callers. What a clerk does, and when, is decided here, so the two cannot drift:

- sign in at the start of the shift; look at the caller; someone waiting for the counter: call
  them. A counter with backup services calls now and then (`IDLE_LOOK_S`) even when its own
  services are empty, since a backup becomes its own once its oldest ticket is past the target;
- the citizen walks up (start), is served for their service time (finish) and rates when asked;
  one at the wrong service is talked to briefly and transferred; one who never comes is recalled
  every `recall_s` until the hall marks the no-show (the recall past its recall limit). Between two citizens the clerk wraps up;
- a break due is taken at the next free moment and lasts its planned length;
- a shift that ends before closing: the clerk finishes the citizen at the counter and closes;
- closing time: a clerk still on duty serves whoever waits for the counter, then closes it as
  soon as nobody does (not at the end of a shift planned past closing);
- a shift ending during a break: the clerk finishes the break, comes back, then closes the
  counter properly (never signed out mid-break).

A shift is a generator (`shift_script`): it yields actions and is sent back what the caller
shows afterwards (`Sees`), so each simulator carries the actions out its own way and tests drive
it with a fake counter. What the caller shows comes first: a press that did not get through is
made again, a citizen left at the counter is dealt with. Random draws (wrap-up, the talk before a
transfer) come from the `rng` the driver gives, in the order the clerk acts.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hall.config import Hall
from simulators.behaviour import IDLE_LOOK_S, Citizen, RatingMix

if TYPE_CHECKING:
    from simulators.day import Plan, PlannedShift

TRANSFER_TALK_S = (60, 180)  # how long a clerk talks before transferring (simulated seconds)
NO_SHOW_TRIES = 10  # recalls past the limit while the hall says it is too soon to mark a no-show


@dataclass(frozen=True)
class Sees:
    """The clerk's caller, read: the counter's state (open, paused, closed; None while it
    connects), the ticket at the counter and its state (called, serving), how many wait for it."""

    state: str | None
    ticket: str | None = None
    ticket_state: str | None = None
    waiting: int = 0


@dataclass(frozen=True)
class Ticketed:
    """A citizen holding a ticket, and when it was issued."""

    citizen: Citizen
    printed_at: float


@dataclass(frozen=True)
class Counter:
    """A counter as its clerks work it."""

    number: int
    serves: frozenset[str]  # primary and backup services
    backup: bool  # has backup services (worth a call now and then)
    mean_service_s: float  # a citizen nobody knows is served this long


def counter_of(hall: Hall, number: int) -> Counter:
    c = hall.counters[number]
    first = (c.primary or c.backup)[0]
    return Counter(number, frozenset(c.primary + c.backup), bool(c.backup), hall.services[first].mean_service_s)


# --- the actions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Wait:
    """Do nothing until `until`. `wake`: the clerk is idle, and a new ticket for the counter may
    call them back earlier."""

    until: float
    wake: bool = False


@dataclass(frozen=True)
class Look:
    """Look at the caller (press nothing)."""


@dataclass(frozen=True)
class OpenCounter:
    clerk: str


@dataclass(frozen=True)
class CallNext:
    pass


@dataclass(frozen=True)
class Recall:
    pass


@dataclass(frozen=True)
class StartService:
    pass


@dataclass(frozen=True)
class Transfer:
    to: str  # the service


@dataclass(frozen=True)
class FinishService:
    pass


@dataclass(frozen=True)
class Rate:
    """The citizen just served presses `level` on the counter's evaluator `press_s` after the finish."""

    ticket: str
    level: int
    press_s: float


@dataclass(frozen=True)
class Pause:
    reason: str


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class CloseCounter:
    pass


Action = (
    Wait
    | Look
    | OpenCounter
    | CallNext
    | Recall
    | StartService
    | Transfer
    | FinishService
    | Rate
    | Pause
    | Resume
    | CloseCounter
)
Script = Generator[Action, "Sees | None", None]
Holder = Callable[[str], "Ticketed | None"]


# --- the procedure ------------------------------------------------------------------------


def counter_script(
    shifts: Iterable[PlannedShift],
    counter: Counter,
    hall: Hall,
    plan: Plan,
    now: Callable[[], float],
    rng: random.Random,
    holder: Holder,
    glance_s: float = IDLE_LOOK_S,
) -> Script:
    """The shifts of one counter, in order of their start, one after another (a clerk arriving
    while the one before still serves the evening queue takes over when that one closes)."""
    for shift in sorted(shifts, key=lambda s: s.start):
        yield from shift_script(shift, counter, hall, plan, now, rng, holder, glance_s)


def shift_script(
    shift: PlannedShift,
    counter: Counter,
    hall: Hall,
    plan: Plan,
    now: Callable[[], float],
    rng: random.Random,
    holder: Holder,
    glance_s: float = IDLE_LOOK_S,
) -> Script:
    """One clerk's shift at one counter, from signing in to closing the counter.

    `holder` says who holds a ticket; `glance_s`: how often an idle clerk looks at the caller
    anyway (math.inf: the driver wakes them for every ticket they could call)."""
    yield Wait(shift.start)
    yield OpenCounter(shift.clerk)
    breaks = list(shift.breaks)
    leaves_at = shift.end if shift.end is not None and not shift.stays_late else math.inf
    closes_at = plan.close if shift.stays_late else math.inf
    backup_look = -math.inf
    while True:
        t = now()
        if t >= leaves_at:
            break
        if breaks and t >= breaks[0][0]:
            _, seconds, reason = breaks.pop(0)
            yield Pause(reason)
            yield Wait(now() + seconds)
            yield Resume()  # back from the break, even when the shift is over
            continue
        sees = yield Look()
        if sees.state in ("closed", "paused"):  # a press that did not get through: again
            again = OpenCounter(shift.clerk) if sees.state == "closed" else Resume()
            if (yield again).state == sees.state:
                yield Wait(now() + IDLE_LOOK_S)
            continue
        if sees.ticket is not None and sees.ticket_state == "called":
            yield from serve(sees.ticket, counter, hall, plan, now, rng, holder)
            continue
        if sees.ticket is not None and sees.ticket_state == "serving":  # a citizen left at the counter
            yield FinishService()
            continue
        closing = t >= closes_at
        if sees.waiting or closing or (counter.backup and t >= backup_look):
            sees = yield CallNext()
            if sees.ticket is not None and sees.ticket_state == "called":
                yield from serve(sees.ticket, counter, hall, plan, now, rng, holder)
                continue
            backup_look = now() + IDLE_LOOK_S
            if closing:
                break  # the hall is closed and nobody this counter may serve is waiting
        t = now()
        until = min(
            t + glance_s,
            backup_look if counter.backup else math.inf,
            breaks[0][0] if breaks else math.inf,
            leaves_at,
            closes_at if t < closes_at else math.inf,
        )
        yield Wait(until, wake=True)
    yield CloseCounter()


def serve(
    ticket: str, counter: Counter, hall: Hall, plan: Plan, now: Callable[[], float], rng: random.Random, holder: Holder
) -> Script:
    """From the call to the next free moment: the citizen comes (or not), is served, rates."""
    called_at = now()
    held = holder(ticket)
    if held is None:  # a ticket nobody here took (issued by hand, say): an ordinary citizen
        held = Ticketed(
            Citizen(
                called_at, "", "", "normal", counter.mean_service_s, False, sum(plan.citizens.walk_s) / 2, None, None
            ),
            called_at,
        )
    citizen = held.citizen
    if citizen.no_show:
        # a recall every recall_s; past the hall's recall limit a recall marks the no-show (one
        # refused as too soon, before the hall has heard the call long enough, is made again)
        for _ in range(hall.dispatch.recall_limit + NO_SHOW_TRIES):
            yield Wait(now() + plan.clerks.recall_s)
            sees = yield Recall()
            if sees.ticket != ticket or sees.ticket_state != "called":
                return
        return
    yield Wait(now() + citizen.walk_s)
    sees = yield StartService()
    if sees.ticket != ticket or sees.ticket_state != "serving":
        return  # not what the clerk expected: look at the caller again
    if citizen.transfer is not None and citizen.transfer[0] in list(hall.services)[:9]:  # the keypad's 1-9
        yield Wait(now() + rng.uniform(*TRANSFER_TALK_S))
        yield Transfer(citizen.transfer[0])
        yield Wait(now() + wrapup(plan, rng))
        return
    yield Wait(now() + citizen.service_s)
    sees = yield FinishService()
    if sees.ticket == ticket:
        return  # the hall did not take the finish: look again
    if citizen.rating is not None:
        u, press_s = citizen.rating
        target = hall.services[citizen.service].target_wait_s if citizen.service in hall.services else math.inf
        level = RatingMix(plan.citizens).level(u, late=called_at - held.printed_at > target)
        yield Rate(ticket, level, press_s)
    yield Wait(now() + wrapup(plan, rng))


def wrapup(plan: Plan, rng: random.Random) -> float:
    """Seconds between a citizen and the next call (no draw when the scenario has no wrap-up)."""
    low, high = plan.clerks.wrapup_s
    return rng.uniform(low, high) if high else 0.0
