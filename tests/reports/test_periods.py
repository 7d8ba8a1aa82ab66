"""Where a period's edges fall for tickets whose moments differ from their events: an offline
ticket counts when the kiosk issued it, even if the kiosk reports it after the period; an
appointment's wait runs from its slot; and events older than the look-back are not needed."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from hall_controller.durable import DurableEngine
from hall_controller.engine import commands as c
from hall_controller.engine import events as ev
from hall_controller.journal import Journal
from hall_controller.reports import report, report_from_journal

from .conftest import DAY, MIDNIGHT, SMALL_HALL_TOML, m


def journal(tmp_path, hall, steps) -> tuple[str, list]:
    """Run (command, minute) steps on a durable engine; (journal path, events)."""
    durable = DurableEngine(hall, tmp_path / "j.db")
    events: list = []
    for command, minute in steps:
        (result,) = durable.apply([(command, m(minute))])
        if result.refused is not None:
            raise result.refused
        durable.commit()
        events += result.events
    durable.close()
    return str(tmp_path / "j.db"), events


def test_an_offline_ticket_counts_when_it_was_issued_even_if_reported_after_the_period(tmp_path, hall):
    path, events = journal(
        tmp_path,
        hall,
        [
            (c.LeaseOfflineBlock("K1", "social"), 0),
            (c.BackfillOffline("K1", "social", 950, issued_at=m(50)), 70),  # issued 9:50, reported 10:10
            (c.OpenCounter(1, "S1"), 75),
            (c.CallNext(1), 75),  # called 10:15: waited 25 min
        ],
    )
    assert [type(e) for e in events].count(ev.TicketIssuedOffline) == 1
    nine, ten = report_from_journal(path, hall, m(0), m(60)), report_from_journal(path, hall, m(60), m(120))
    assert (nine.overall.issued, ten.overall.issued) == (1, 0)
    assert nine.arrivals_by_hour[9][1] == 1.0 and ten.arrivals_by_hour[10][1] == 0.0
    assert ten.overall.wait_mean_s == 25 * 60 and ten.overall.within_target == 0.0  # target 10 min
    assert nine.overall.wait_mean_s is None


def test_an_appointment_waits_from_its_slot_and_never_less_than_nothing(tmp_path, hall):
    slot = (m(30), m(60))  # 9:30-10:00
    path, _ = journal(
        tmp_path,
        hall,
        [
            (c.BookAppointment("R1", "social", *slot), 0),
            (c.BookAppointment("R2", "social", *slot), 0),
            (c.OpenCounter(1, "S1"), 5),
            (c.RequestTicket(appointment="R1"), 10),  # checked in 20 min early
            (c.ConfirmPrinted("20260317-A001"), 10),
            (c.CallNext(1), 12),  # called before the slot: waited 0
            (c.StartService(1), 12),
            (c.Finish(1), 20),
            (c.RequestTicket(appointment="R2"), 15),
            (c.ConfirmPrinted("20260317-A002"), 15),
            (c.CallNext(1), 35),  # 5 min into the slot: waited 5 min
        ],
    )
    r = report_from_journal(path, hall, m(0), m(60))
    f = r.by_class["appointment"]
    assert (f.issued, f.served) == (2, 1)
    assert (f.wait_p50_s, f.wait_p95_s) == (0.0, 300.0)
    assert f.wait_mean_s == pytest.approx((0 + 300) / 2)


def test_the_look_back_is_what_the_journal_reader_needs(tmp_path, hall, day_events):
    """A report of 9:20-9:30 from the journal equals one from every event of the day."""
    written = Journal(tmp_path / "j.db", hall)
    written.append(day_events)
    written.commit()
    written.close()
    from_journal = report_from_journal(tmp_path / "j.db", hall, m(20), m(30))
    assert from_journal == report(day_events, hall, m(20), m(30))
    assert from_journal.overall.served == 1 and from_journal.by_clerk["S1"].rated == 1  # A002 at 9:20


def test_a_ticket_taken_at_2359_and_called_at_0001_counts_once_on_each_side_of_midnight(tmp_path, hall):
    """The small hall's numbering resets at midnight (its default); the citizen who took a ticket
    a minute before is still called, and yesterday's report, asked for a minute after the day
    ended, has the ticket taken and today's report has its wait."""
    from argparse import Namespace

    from hall_controller.report_cli import run

    midnight = MIDNIGHT + DAY  # the night of 17 to 18 March
    durable = DurableEngine(hall, tmp_path / "j.db")
    durable.tick(midnight - 120)
    (issued,) = durable.apply([(c.RequestTicket(service="social", kiosk="K1"), midnight - 60)])
    ticket = issued.events[0].ticket
    durable.apply([(c.ConfirmPrinted(ticket), midnight - 59), (c.OpenCounter(1, "S1"), midnight - 30)])
    durable.tick(midnight)  # the daily reset
    (called,) = durable.apply([(c.CallNext(1), midnight + 60)])
    assert [e.ticket for e in called.events if isinstance(e, ev.TicketCalled)] == [ticket]
    durable.commit()
    durable.close()

    (tmp_path / "hall.toml").write_text(SMALL_HALL_TOML)

    def report_of(day: str, now: float) -> dict:
        args = Namespace(
            config=str(tmp_path / "hall.toml"),
            db=str(tmp_path / "j.db"),
            first=dt.date.fromisoformat(day),
            last=dt.date.fromisoformat(day),
            month=None,
            json=True,
            csv=False,
            by="service",
        )
        return json.loads(run(args, now=now))["overall"]

    yesterday, today = report_of("2026-03-17", midnight + 60), report_of("2026-03-18", midnight + 60)
    assert (yesterday["issued"], today["issued"]) == (1, 0)
    assert yesterday["wait_mean_s"] is None and today["wait_mean_s"] == 120.0
