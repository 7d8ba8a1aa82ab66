"""A day to plan, built from the hall's own journal: what came on one weekday over the last weeks.

`hall plan --journal` asks "how many counters on Tuesdays?" of the hall's real days rather than
of a scenario someone wrote. From the journal (read only, like a report) it takes, over the last
`weeks` weeks of that weekday:
- tickets taken per service and local hour, averaged over those days (the arrival rates);
- the service times the hall really had (mean and spread per service);
- the share of priority tickets and of no-shows;
- the counters open on the most recent of those days, as "today's" rota to compare with.
The result is a `Scenario`, so the day is planned exactly as a scenario file's would be.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from hall.config import Hall
from hall_controller.engine import events as ev
from hall_controller.journal import JournalError
from hall_controller.reports.reading import ReadOnlyJournal
from simulators.scenario import Citizens, Clerks, Scenario, ServiceTime, Shift

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
READ = (
    "TicketReserved",
    "TicketIssuedOffline",
    "TicketDone",
    "TicketNoShow",
    "TicketCalled",
    "CounterOpened",
    "CounterClosed",
)


def scenario_from_journal(path: str | Path, hall: Hall, weeks: int, weekday: str | None, now: float) -> Scenario:
    """The planned day: the next `weekday` after `now` (default: tomorrow's), as the journal's last
    `weeks` weeks of that weekday saw it. JournalError when those weeks hold no ticket."""
    tz = hall.tz
    today = dt.datetime.fromtimestamp(now, tz).date()
    wanted = WEEKDAYS.index(weekday) if weekday else (today + dt.timedelta(days=1)).weekday()
    days = [d for d in (today - dt.timedelta(days=i) for i in range(1, 7 * weeks + 1)) if d.weekday() == wanted]
    start = dt.datetime.combine(days[-1], dt.time(), tzinfo=tz).timestamp()
    end = dt.datetime.combine(today, dt.time(), tzinfo=tz).timestamp()
    counts: dict[str, list[int]] = {s: [0] * 24 for s in hall.services}
    served: dict[str, list[float]] = {s: [] for s in hall.services}
    taken = priority = called = no_shows = 0
    opened: dict[int, float] = {}
    rota: dict[dt.date, dict[int, list[float]]] = {}  # day -> counter -> [first open, last close]
    with ReadOnlyJournal(path, hall) as journal:
        for e in journal.events(journal.first_seq_at(start), journal.first_seq_at(end), READ):
            local = dt.datetime.fromtimestamp(getattr(e, "since", e.at), tz)
            if local.weekday() != wanted:
                continue
            kind = type(e)
            if kind in (ev.TicketReserved, ev.TicketIssuedOffline) and e.service in counts and e.klass != "appointment":
                counts[e.service][local.hour] += 1
                taken += 1
                priority += e.klass != "normal"
            elif kind is ev.TicketDone and e.service in served:
                served[e.service].append(e.served_s)
            elif kind is ev.TicketCalled:
                called += 1
            elif kind is ev.TicketNoShow:
                no_shows += 1
            elif kind is ev.CounterOpened and e.counter in hall.counters:
                opened[e.counter] = e.at
                span = rota.setdefault(local.date(), {}).setdefault(e.counter, [e.at, e.at])
                span[1] = max(span[1], e.at)
            elif kind is ev.CounterClosed and e.counter in hall.counters:
                span = rota.setdefault(local.date(), {}).setdefault(e.counter, [opened.get(e.counter, e.at), e.at])
                span[1] = max(span[1], e.at)
    if not taken:
        raise JournalError(f"the journal has no ticket taken on a {_weekday_name(wanted)} in the last {weeks} week(s)")
    seen = {dt.datetime.fromtimestamp(start, tz).date() + dt.timedelta(days=i) for i in range(7 * weeks + 1)}
    n_days = max(1, sum(1 for d in days if d in seen))
    hours = [h for h in range(24) if any(counts[s][h] for s in hall.services)]
    open_, close = dt.time(hours[0]), dt.time(hours[-1] + 1) if hours[-1] < 23 else dt.time(23, 59)
    arrivals = {
        s: tuple((dt.time(h), counts[s][h] / n_days) for h in range(hours[0], hours[-1] + 1))
        for s in hall.services
        if any(counts[s])
    }
    times = {}
    for s, values in served.items():
        if len(values) >= 2:
            mean = sum(values) / len(values)
            sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
            times[s] = ServiceTime(mean_s=max(mean, 1.0), cv=min(max(sd / mean, 0.05), 3.0) if mean else 0.6)
        else:
            times[s] = ServiceTime(mean_s=hall.services[s].mean_service_s)
    latest = max(rota) if rota else None
    staff = []
    for counter, (first, last) in sorted((rota.get(latest) or {}).items()):
        a = dt.datetime.fromtimestamp(first, tz).time().replace(second=0, microsecond=0)
        b = dt.datetime.fromtimestamp(last, tz).time().replace(second=0, microsecond=0)
        if b <= a:
            b = close
        staff.append(Shift(counter=counter, clerk=f"J{counter:03d}", start=max(a, open_), end=min(b, close)))
    if not staff:  # the journal shows no rota: every counter, all day
        staff = [Shift(counter=n, clerk=f"J{n:03d}", start=open_, end=close) for n in sorted(hall.counters)]
    planned = today + dt.timedelta(days=(wanted - today.weekday()) % 7 or 7)
    return Scenario(
        date=planned,
        open=open_,
        close=close,
        arrivals=arrivals,
        service_times=times,
        staff=tuple(s for s in staff if s.end > s.start),
        citizens=Citizens(
            priority_share=priority / taken, no_show=no_shows / called if called else 0.0, walk_s=(10.0, 45.0)
        ),
        clerks=Clerks(wrapup_s=(5.0, 20.0)),
    )


def _weekday_name(index: int) -> str:
    return ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[index]
