"""Offline number leases and backfill: no collisions with online numbers, places by real arrival."""

from __future__ import annotations

from hall_controller.engine import TicketState
from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev

from .conftest import MINUTE


def test_lease_lends_a_block_from_the_top_of_the_number_range(shift):
    events = shift.do(cmd.LeaseOfflineBlock("K1", "social"))
    assert events == [ev.OfflineBlockLeased(shift.clock.now, "K1", "social", "20261123", 990, 999)]
    events = shift.do(cmd.LeaseOfflineBlock("K2", "social"))
    assert (events[0].first, events[0].last) == (980, 989)


def test_online_numbers_never_reach_a_leased_block(shift):
    shift.do(cmd.LeaseOfflineBlock("K1", "fund"))  # fund numbers 1-30: lends 21-30
    assert [shift.reserve("fund").number for _ in range(20)] == list(range(1, 21))
    shift.refuse(cmd.RequestTicket("fund"), "numbers_exhausted")


def test_a_lease_that_would_reach_numbers_given_online_is_refused(shift):
    for _ in range(15):
        shift.reserve("fund")
    shift.do(cmd.LeaseOfflineBlock("K1", "fund"))  # 21-30
    shift.refuse(cmd.LeaseOfflineBlock("K1", "fund"), "numbers_exhausted")  # 11-20 would meet 15


def test_lease_for_an_unknown_kiosk_or_a_service_it_does_not_issue_is_refused(shift):
    shift.refuse(cmd.LeaseOfflineBlock("K9", "social"), "unknown_device")
    shift.refuse(cmd.LeaseOfflineBlock("K2", "fund"), "unknown_service")
    shift.refuse(cmd.LeaseOfflineBlock("D1", "social"), "unknown_device")


def test_backfilled_ticket_takes_its_place_by_real_arrival_time(shift):
    start = shift.clock.now
    shift.do(cmd.LeaseOfflineBlock("K2", "social"))
    shift.later(10 * MINUTE)
    shift.issue("social")  # A001 at 08:40
    shift.later(5 * MINUTE)
    shift.issue("social")  # A002 at 08:45
    shift.later(5 * MINUTE)
    events = shift.do(cmd.BackfillOffline("K2", "social", 999, start + 5 * MINUTE))  # issued 08:35
    offline = events[0]
    assert offline == ev.TicketIssuedOffline(
        shift.clock.now,
        "20261123-A999",
        "A999",
        "social",
        999,
        "normal",
        3,
        start + 5 * MINUTE,
        start + 5 * MINUTE,
        "K2",
    )
    t = shift.ticket(offline.ticket)
    assert (t.state, t.offline, t.arrival) == (TicketState.WAITING, True, start + 5 * MINUTE)
    shift.open(2)
    assert shift.labels_called_at(2, 3) == ["A999", "A001", "A002"]


def test_backfilled_priority_ticket_keeps_its_head_start(shift):
    start = shift.clock.now
    shift.do(cmd.LeaseOfflineBlock("K2", "social"))
    shift.later(10 * MINUTE)
    shift.issue("social")  # A001 at 08:40
    shift.later(10 * MINUTE)
    shift.do(cmd.BackfillOffline("K2", "social", 999, start + 15 * MINUTE, klass="priority"))  # 08:45
    shift.open(2)
    assert shift.call(2).label == "A999"


def test_backfilling_the_same_offline_ticket_twice_is_refused(shift):
    shift.do(cmd.LeaseOfflineBlock("K2", "social"))
    shift.do(cmd.BackfillOffline("K2", "social", 995, shift.clock.now))
    shift.refuse(cmd.BackfillOffline("K2", "social", 995, shift.clock.now), "duplicate")


def test_backfilled_ticket_number_is_never_given_online(shift):
    shift.do(cmd.LeaseOfflineBlock("K1", "fund"))
    shift.do(cmd.BackfillOffline("K1", "fund", 21, shift.clock.now))
    numbers = [shift.reserve("fund").number for _ in range(20)]
    assert 21 not in numbers
    ids = [t for t in shift.engine.state.tickets]
    assert len(ids) == len(set(ids)) == 21


def test_backfill_of_a_number_not_lent_to_that_kiosk_is_refused(shift):
    shift.do(cmd.LeaseOfflineBlock("K1", "social"))  # 990-999 to K1
    shift.refuse(cmd.BackfillOffline("K1", "social", 500, shift.clock.now), "not_leased")
    shift.refuse(cmd.BackfillOffline("K2", "social", 995, shift.clock.now), "not_leased")
    shift.refuse(cmd.BackfillOffline("K1", "property", 995, shift.clock.now), "not_leased")


def test_backfill_refusals(shift):
    shift.do(cmd.LeaseOfflineBlock("K1", "social"))
    now = shift.clock.now
    shift.refuse(cmd.BackfillOffline("K9", "social", 995, now), "unknown_device")
    shift.refuse(cmd.BackfillOffline("K2", "fund", 995, now), "unknown_service")
    shift.refuse(cmd.BackfillOffline("K1", "social", 995, now, klass="appointment"), "bad_class")
    shift.refuse(cmd.BackfillOffline("K1", "social", 995, now - 1), "wrong_day")  # before today's start
    shift.refuse(cmd.BackfillOffline("K1", "social", 995, now + 121), "wrong_day")  # from the future


def test_backfill_of_a_long_offline_queue_raises_the_alerts_it_calls_for(shift):
    start = shift.clock.now
    shift.do(cmd.LeaseOfflineBlock("K1", "social"))
    shift.later(25 * MINUTE)
    for n in range(990, 995):
        shift.do(cmd.BackfillOffline("K1", "social", n, start + n - 990))
    assert shift.active_alert("understaffed", "social") is not None
    shift.later(1)
    assert shift.active_alert("wait_over_target", "social") is not None
