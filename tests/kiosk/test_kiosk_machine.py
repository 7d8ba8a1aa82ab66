"""The kiosk's rule book, on its own: presses in, issues and reports out, time passed in."""

from __future__ import annotations

import pytest

from devices.kiosk import words
from devices.kiosk.machine import (
    PRIORITY,
    ChooseService,
    CloseCheckIn,
    DeleteKey,
    Dismiss,
    Ignored,
    Issue,
    KioskMachine,
    OpenCheckIn,
    Phase,
    PollPrinter,
    Report,
    SubmitCheckIn,
    TakenTicket,
    TogglePriority,
    TypeKey,
    problem_of,
)
from drivers.printer.status import CANNOT_ASK, SILENT, PrinterStatus
from hall.config import Names

OK = PrinterStatus(online=True, paper="ok", cover_open=False)
LOW = PrinterStatus(online=True, paper="low", cover_open=False)
OUT = PrinterStatus(online=False, paper="out", cover_open=False)
COVER = PrinterStatus(online=False, paper="ok", cover_open=True)


@pytest.fixture
def machine(example_hall):
    def make(kiosk: str = "K1", touch: bool = False, online: bool = True) -> KioskMachine:
        m = KioskMachine(
            example_hall,
            example_hall.kiosks[kiosk],
            touch=touch,
            now=0.0,
            take_s=5,
            notice_s=6,
            priority_s=20,
            out_poll_s=3,
            idle_poll_s=30,
            offline_retry_s=30,
        )
        m.connection(online, 0.0)
        if online:
            m.controller_seen(True, 0.0)
        m.printer_seen(OK, 0.0)
        return m

    return make


def _taken(label="A001", offline=False) -> TakenTicket:
    return TakenTicket(
        label, "social", Names("社保医保", "Social"), 0, Names("您是下一位", "You are next"), "normal", offline
    )


def test_a_service_press_issues_online_and_shows_printing(machine):
    m = machine()
    assert m.pressed("social", 1.0) == [Issue("social", "normal", None, offline=False)]
    assert m.phase is Phase.PRINTING
    assert m.view(1.0).choosing.en == "Social & Medical Insurance"
    m.issued(_taken(), 1.5)
    assert m.phase is Phase.TAKE and m.view(2.0).ticket.label == "A001"
    assert m.tick(6.4) == [] and m.phase is Phase.TAKE
    m.tick(6.5)
    assert m.phase is Phase.MENU and m.view(6.5).ticket is None


def test_presses_while_printing_or_before_it_ended_count_for_nothing(machine):
    m = machine()
    m.pressed("social", 1.0)
    assert m.pressed("property", 1.1) == [Ignored("property", "pressed while a ticket was printing")]
    m.issued(_taken(), 2.0)
    assert m.pressed("property", 1.9)[0].reason == "pressed while a ticket was printing"  # queued during the print
    assert m.pressed("property", 2.1) == [Issue("property", "normal", None, offline=False)]  # the next citizen


def test_the_priority_button_makes_the_next_press_a_priority_ticket(machine):
    m = machine()
    assert m.pressed(PRIORITY, 1.0) == []
    assert m.view(1.0).priority
    assert m.pressed("tax", 5.0) == [Issue("tax", PRIORITY, None, offline=False)]
    m.issued(_taken("D001"), 6.0)
    assert m.pressed("tax", 7.0) == [Issue("tax", "normal", None, offline=False)]  # used once
    m.refused(words.REFUSED, 8.0)
    m.pressed(PRIORITY, 9.0)
    m.tick(29.0)
    assert not m.view(29.0).priority  # not used in time: forgotten
    m.pressed(PRIORITY, 30.0)
    m.pressed(PRIORITY, 31.0)  # pressed again: off
    assert not m.view(31.0).priority
    with pytest.raises(ValueError):
        m.pressed("nonsense", 32.0)


def test_offline_when_the_link_or_the_controller_is_away_or_silent(machine):
    m = machine()
    assert m.online(1.0)
    m.connection(False, 1.0)
    assert m.pressed("fund", 1.0) == [Issue("fund", "normal", None, offline=True)]
    m.issued(_taken("C950", offline=True), 1.5)
    m.connection(True, 2.0)
    m.controller_seen(False, 2.0)
    assert not m.online(2.0) and m.view(2.0).offline
    m.controller_seen(True, 3.0)
    assert m.online(3.0)
    m.request_timed_out(4.0)  # a controller that does not answer, though its state says online
    assert not m.online(4.0) and not m.online(33.9)
    assert m.online(34.0)  # time to try it again
    m.request_timed_out(40.0)
    m.controller_seen(True, 41.0)  # a fresh word from the controller: online again at once
    assert m.online(41.0)


def test_offline_ahead_counts_the_board_and_the_kiosks_own_offline_tickets(machine):
    m = machine()
    m.board_seen({"social": 7})
    assert m.offline_ahead("social") == 7 and m.offline_ahead("tax") == 0
    m.issued(_taken("A950", offline=True), 1.0)
    m.issued(_taken("A951", offline=True), 2.0)
    assert m.offline_ahead("social") == 9
    m.board_seen({"social": 3})
    assert m.offline_ahead("social") == 3


def test_printer_trouble_takes_it_out_of_service_until_it_recovers(machine):
    m = machine()
    assert m.printer_seen(OUT, 10.0) == [Report("out", False, None)]
    assert m.phase is Phase.OUT_OF_SERVICE and m.view(10.0).problem == "paper_out"
    assert m.pressed("social", 11.0) == [Ignored("social", "out of service: the ticket printer is out of paper")]
    assert m.tick(12.9) == []
    assert m.tick(13.0) == [PollPrinter()]  # every few seconds while out of service
    assert m.printer_seen(OUT, 13.0) == []  # unchanged: nothing more to report
    assert m.printer_seen(COVER, 16.0) == [Report("ok", True, "printer cover open")]
    assert m.printer_seen(OK, 19.0) == [Report("ok", False, None)]
    assert m.phase is Phase.MENU
    assert m.tick(48.9) == [] and m.tick(49.0) == [PollPrinter()]  # now and then while idle
    assert m.printer_seen(LOW, 49.0) == [Report("low", False, None)]
    assert m.phase is Phase.MENU  # paper low: reported, still issuing
    assert m.printer_seen(SILENT, 50.0) == [Report("unknown", None, "printer not responding")]
    assert m.view(50.0).problem == "printer_offline"


def test_a_failed_print_goes_out_of_service_or_says_try_again(machine):
    m = machine()
    m.pressed("social", 1.0)
    assert m.printer_seen(OUT, 1.2) == [Report("out", False, None)]
    assert m.phase is Phase.PRINTING  # remembered while printing…
    m.print_failed(1.3)
    assert m.phase is Phase.OUT_OF_SERVICE  # …and then acted on
    m.printer_seen(OK, 5.0)
    m.pressed("social", 6.0)
    m.printer_seen(OK, 6.1)
    m.print_failed(6.2)  # the printer is fine now: the wire dropped mid-ticket
    assert m.phase is Phase.MENU and m.view(6.2).notice == words.PRINT_FAILED
    m.tick(12.2)
    assert m.view(12.2).notice is None


def test_problem_of_follows_the_printers_own_check_order():
    assert problem_of(PrinterStatus(online=False, paper="out", cover_open=True)) == "cover_open"
    assert problem_of(OUT) == "paper_out"
    assert problem_of(SILENT) == "printer_offline"
    assert problem_of(LOW) is None
    assert problem_of(CANNOT_ASK) is None  # a file: printer prints blind


def test_check_in_by_code_on_the_touch_menu(machine):
    m = machine("K2", touch=True)
    assert m.touched(TypeKey("1"), 1.0) == [Ignored("TypeKey", "no booking code is being typed")]
    m.touched(OpenCheckIn(), 1.0)
    assert m.phase is Phase.CHECK_IN
    assert m.touched(SubmitCheckIn(), 1.1) == [Ignored("SubmitCheckIn", "no booking code typed")]
    for ch in "AB1X":
        m.touched(TypeKey(ch), 1.2)
    m.touched(DeleteKey(), 1.3)
    assert m.view(1.3).code == "AB1"
    assert m.touched(TypeKey("a"), 1.4)[0].reason == "'a' is not a key of the code pad"
    assert m.touched(SubmitCheckIn(), 1.5) == [Issue(None, "appointment", "AB1", offline=False)]
    assert m.phase is Phase.PRINTING and m.code == ""
    m.refused(words.refusal("unknown_appointment", "no booking has the code AB1"), 2.0)
    assert m.view(2.0).notice == Names("未找到该预约，请核对预约码", "no booking has the code AB1")
    m.touched(OpenCheckIn(), 3.0)
    for _ in range(40):
        m.touched(TypeKey("9"), 3.1)
    assert len(m.code) == 32
    m.touched(CloseCheckIn(), 3.2)
    assert m.phase is Phase.MENU and m.code == ""
    m.touched(OpenCheckIn(), 4.0)
    m.tick(63.9)
    assert m.phase is Phase.CHECK_IN
    m.tick(64.0)  # walked away mid-code
    assert m.phase is Phase.MENU


def test_check_in_offline_is_refused_with_a_notice(machine):
    m = machine("K2", touch=True, online=False)
    effects = m.check_in("ab12", 1.0)
    assert not any(isinstance(e, Issue) for e in effects)
    assert m.phase is Phase.MENU and m.view(1.0).notice == words.CHECK_IN_OFFLINE


def test_touches_on_the_menu_and_the_take_screen(machine):
    m = machine("K2", touch=True)
    m.touched(TogglePriority(), 1.0)
    assert m.touched(ChooseService("business"), 2.0) == [Issue("business", PRIORITY, None, offline=False)]
    m.issued(_taken("E001"), 3.0)
    assert m.touched(Dismiss(), 3.5) == [] and m.phase is Phase.MENU
    assert m.touched(ChooseService("nope"), 4.0)[0].reason == "kiosk K2 does not issue 'nope' tickets"


def test_every_screen_text_can_be_drawn_by_the_shipped_font():
    from drivers import fonts

    texts = words.every_text()
    assert len(texts) > 40
    assert {t: fonts.missing(t) for t in texts if fonts.missing(t)} == {}
