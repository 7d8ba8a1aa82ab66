"""What `hall demo` prints: the live summary of the hall and the day's report, as plain text.

The demo reads the controller's journal as it grows and folds every event into a `HallWatch`:
the hall's state exactly as the controller has it (`HallState`, rebuilt by applying the events,
as a restart would) and the running sums of the reports (`hall_controller.reports.Tally`, the
figures `hall report` prints). `summary_text` turns a watch (plus the clock, and what the crowd
did) into text, and `report_text` the day's `Report` (`reports.report_from_journal`): pure
functions, so both are tested without a hall running.

The hall and the crowd run on one clock, `speed` times faster than real time (hall/clock.py), so
the journal's times are already the simulated day's: nothing is converted.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from dataclasses import dataclass, field

from hall.config import Hall
from hall_controller import reports
from hall_controller.engine.model import CounterState, TicketState
from hall_controller.engine.state import HallState

WIDTH = 80
BAR = 20


class HallWatch:
    """The hall as its journal tells it: `take(event)` for each journalled event, in order, from
    the first (the demo's journal starts empty). `start`: the beginning of the period counted."""

    def __init__(self, hall: Hall, start: float) -> None:
        self.hall = hall
        self.state = HallState(hall)
        self.tally = reports.Tally(hall, start)
        self.events = 0

    def take(self, event) -> None:
        self.state.apply(event)
        self.tally.take(event)
        self.events += 1

    @property
    def issued(self) -> int:
        return self.tally.overall.issued

    @property
    def served(self) -> int:
        return self.tally.overall.served

    @property
    def called(self) -> int:
        return len(self.tally.overall.waits)

    @property
    def rated(self) -> int:
        return sum(self.tally.overall.levels)

    def devices_online(self) -> list[str]:
        return sorted(d for d, status in self.state.devices.items() if status.online)


@dataclass(frozen=True)
class Moment:
    """When the summary is drawn: the hall's (simulated) clock and the day's span."""

    simulated: float  # the hall's clock (epoch seconds of the scenario's day)
    opens: float  # the day's first ticket (simulated)
    closes: float  # the day's last ticket (simulated)
    speed: float
    running_s: float  # real seconds since the crowd started


@dataclass(frozen=True)
class CrowdView:
    """What the crowd did, as `simulators.crowd.Happenings.snapshot()` gives it."""

    counts: dict[str, int] = field(default_factory=dict)
    latest: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def summary_text(
    watch: HallWatch, moment: Moment, crowd: CrowdView | None = None, notes: list[str] = (), width: int = WIDTH
) -> str:
    """The live summary: queues per service, counters, ratings, what just happened, the progress."""
    hall, state, tally = watch.hall, watch.state, watch.tally
    speed = moment.speed
    lines = [
        _fit(f"{hall.names.en} · hall demo at {speed:g}x · Ctrl-C stops", width),
        _fit(
            f"simulated clock {_hhmm(moment.simulated, hall)} (day {_hhmm(moment.opens, hall)}-"
            f"{_hhmm(moment.closes, hall)}) · real {_duration(moment.running_s)} · waits in simulated time",
            width,
        ),
        "",
        f"{'service':<28}{'waiting':>8}{'longest':>9}{'mean wait':>10}{'served':>8}{'rated':>7}{'satisf.':>9}",
    ]
    oldest: dict[str, float] = {}
    for t in state.waiting.tickets():
        oldest[t.service] = min(oldest.get(t.service, math.inf), t.since)
    for s in hall.services.values():
        f = reports.figures(tally.by_service[s.id])
        longest = max(0.0, moment.simulated - oldest[s.id]) if s.id in oldest else None
        lines.append(
            f"{_fit(s.prefix + ' ' + s.names.en, 27):<28}{state.waiting.count.get(s.id, 0):>8}"
            f"{_minutes(longest):>9}{_minutes(f.wait_mean_s):>10}{f.served:>8}"
            f"{f.rated:>7}{_percent(f.satisfaction_rate):>9}"
        )
    lines.append("")
    cells = [_counter_cell(state, n) for n in hall.counters]
    half = (len(cells) + 1) // 2
    column = max(1, width // 2)
    for i in range(half):
        left = _fit(cells[i], column - 1)
        right = _fit(cells[i + half], column - 1) if i + half < len(cells) else ""
        lines.append(f"{left}{' ' * (column - _columns(left))}{right}".rstrip())
    lines.append("")
    o = reports.figures(tally.overall)
    devices = len(hall.kiosks) + len(hall.callers) + len(hall.evaluators) + len(hall.displays)
    lines.append(
        f"ratings {o.rated} of {o.served} served ({_percent(o.participation)}) · satisfied "
        f"{_percent(o.satisfaction_rate)} · devices online {len(watch.devices_online())}/{devices}"
    )
    lines.append("by level: " + " · ".join(f"{reports.LEVEL_NAMES[n]} {o.levels[n]}" for n in (4, 3, 2, 1)))
    if crowd is not None:
        c = crowd.counts
        lines.append(
            f"the crowd: {c.get('tickets', 0)} tickets · {c.get('ratings', 0)} ratings · "
            f"{c.get('no_shows', 0)} no-shows · {c.get('transfers', 0)} transfers"
        )
    if crowd is not None and crowd.latest:
        lines.append(_fit("latest: " + " · ".join(reversed(crowd.latest[-3:])), width))
    for note in [*(crowd.problems[-3:] if crowd else []), *notes]:
        lines.append(_fit("! " + note, width))
    lines.append(progress_line(watch, moment, width))
    return "\n".join(_fit(line, width) for line in lines)


def progress_line(watch: HallWatch, moment: Moment, width: int = WIDTH) -> str:
    """[#####.....] 10:42  issued 132 · called 120 · served 108 · rated 64"""
    span = moment.closes - moment.opens
    done = min(1.0, max(0.0, (moment.simulated - moment.opens) / span)) if span > 0 else 1.0
    filled = int(round(done * BAR))
    return _fit(
        f"[{'#' * filled}{'.' * (BAR - filled)}] {_hhmm(moment.simulated, watch.hall)}  "
        f"issued {watch.issued} · called {watch.called} · served {watch.served} · rated {watch.rated}",
        width,
    )


def report_text(report: reports.Report, speed: float, real_s: float, pictures: list[str] = ()) -> str:
    """The day's report once the demo stops: `hall report`'s text of the demo's period, the
    figures per counter, and where the pictures are."""
    lines = [
        f"The day's report ({_duration(real_s)} of real time at {speed:g}x: about "
        f"{_duration(real_s * speed)} of the simulated day)",
        "",
        reports.to_text(report, "service"),
        "",
        _counters(report),
    ]
    if pictures:
        lines += ["", *pictures]
    return "\n".join(lines)


def _counters(report: reports.Report) -> str:
    worked = {n: f for n, f in report.by_counter.items() if f.served or f.no_shows or f.rated}
    if not worked:
        return "No counter served anyone."
    cells = [
        f"{n}: {f.served} served" + (f", {_percent(f.satisfaction_rate)} satisfied" if f.rated else "")
        for n, f in worked.items()
    ]
    return "counters: " + " · ".join(cells)


# --- pieces ----------------------------------------------------------------------------------


def _counter_cell(state: HallState, number: int) -> str:
    desk = state.desks[number]
    head = f"{number:>2} {desk.clerk or '-':<5}"
    if desk.state is CounterState.CLOSED:
        return f"{head} closed"
    if desk.state is CounterState.PAUSED:
        return f"{head} paused ({desk.pause_reason or 'break'})"
    t = state.tickets.get(desk.current) if desk.current else None
    if t is None or t.state not in (TicketState.CALLED, TicketState.SERVING):
        return f"{head} open"
    if t.state is TicketState.CALLED:
        return f"{head} called {t.label}" + (f" (recall {t.recalls})" if t.recalls else "")
    return f"{head} serving {t.label}"


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{100 * share:.0f}%"


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


def _hhmm(at: float, hall: Hall) -> str:
    return dt.datetime.fromtimestamp(at, hall.tz).strftime("%H:%M")


def _columns(text: str) -> int:
    """Terminal columns: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(text: str, width: int) -> str:
    """`text` cut to `width` terminal columns (with an ellipsis when cut)."""
    if _columns(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"
