"""The clerk's keypad rule book alone: keys in, requests out, outcomes back; no broker."""

from __future__ import annotations

import pytest

from devices.caller import words
from devices.caller.keys import KEYBOARD, KEYS, LAYOUT, UnknownKey, from_keyboard, key_name
from devices.caller.machine import CallerMachine, Mode, Request
from hall.config import OUTCOMES, PAUSE_REASONS, Names

VIEW = {
    "counter": 3,
    "state": "open",
    "clerk": "S005",
    "reason": None,
    "ticket": {"id": "20261123-A023", "label": "A023", "state": "serving", "service": "social", "recalls": 0},
    "held": [],
    "waiting": 4,
}


@pytest.fixture
def m(hall) -> CallerMachine:
    machine = CallerMachine(hall, 3)
    machine.view_pushed(VIEW)
    return machine


def keys(m: CallerMachine, *names: str) -> list[Request]:
    return [r for n in names for r in m.key(n)]


def test_one_key_actions_go_straight_out(m):
    assert keys(m, "call") == [Request("counter.call_next")]
    assert keys(m, "recall", "start", "no_show", "hold") == [
        Request("counter.recall"),
        Request("counter.start"),
        Request("counter.no_show"),
        Request("counter.hold"),
    ]


def test_sign_in_types_a_staff_number_and_clear_works_twice(m):
    assert keys(m, "open", "S", "0", "0") == [] and m.mode is Mode.SIGN_IN and m.entry == "S00"
    assert keys(m, "clear") == [] and m.entry == "" and m.mode is Mode.SIGN_IN
    assert keys(m, "clear") == [] and m.mode is Mode.READY
    assert keys(m, "open", "enter") == [] and m.notice.text == Names("请输入工号", "type your staff number")
    assert keys(m, "1", "2", "enter") == [Request("counter.open", {"clerk": "12"})]
    assert m.mode is Mode.READY and m.entry == ""


def test_menus_pick_by_digit(m):
    for i, reason in enumerate(PAUSE_REASONS, 1):
        assert keys(m, "pause", str(i)) == [Request("counter.pause", {"reason": reason})]
    for i, outcome in enumerate(OUTCOMES, 1):
        assert keys(m, "finish", str(i)) == [Request("counter.finish", {"outcome": outcome})]
    assert keys(m, "finish", "finish") == [Request("counter.finish", {"outcome": "completed"})]
    assert keys(m, "finish", "enter") == [Request("counter.finish", {"outcome": "completed"})]
    assert keys(m, "finish", "9") == [] and m.mode is Mode.FINISH
    assert m.notice.text == Names("此键在此无效", "that key does nothing here")


def test_pause_on_a_paused_counter_resumes(m):
    m.view_pushed({**VIEW, "state": "paused", "reason": "meal", "ticket": None})
    assert keys(m, "pause") == [Request("counter.resume")]


def test_transfer_to_a_service_or_a_counter(m):
    assert keys(m, "transfer", "4") == [Request("counter.transfer", {"service": "tax"})]
    assert keys(m, "transfer", "transfer", "1", "0", "enter") == [Request("counter.transfer", {"counter": 10})]
    assert keys(m, "transfer", "transfer", "transfer") == [] and m.mode is Mode.TRANSFER_SERVICE


def test_reinstate_by_ticket_label_from_digits_or_letters(m):
    assert keys(m, "reinstate", "1", "0", "1", "7", "enter") == [Request("ticket.reinstate", {"ticket": "A017"})]
    assert keys(m, "reinstate", "C", "0", "0", "9", "enter") == [Request("ticket.reinstate", {"ticket": "C009"})]
    assert keys(m, "reinstate", "2", "enter") == [] and m.notice.tone == "hint"


def test_confirm_with_no_menu_decides_a_citizens_priority_request(m):
    assert keys(m, "enter") == [] and m.mode is Mode.PRIORITY
    assert keys(m, "1", "0", "2", "3", "enter") == [] and (m.mode, m.entry) == (Mode.PRIORITY_DECIDE, "A023")
    assert keys(m, "1") == [Request("ticket.priority", {"ticket": "A023", "confirm": True})]
    assert keys(m, "enter", "B", "0", "0", "7", "enter", "2") == [
        Request("ticket.priority", {"ticket": "B007", "confirm": False})
    ]
    assert keys(m, "enter", "3", "0", "0", "1", "enter", "enter") == [
        Request("ticket.priority", {"ticket": "C001", "confirm": True})
    ]
    assert keys(m, "enter", "2", "enter") == [] and m.notice.tone == "hint"  # no number yet
    assert keys(m, "0", "1", "enter", "7") == [] and m.mode is Mode.PRIORITY_DECIDE
    assert keys(m, "call") == [Request("counter.call_next")]  # another function key: changed their mind


def test_the_clerk_is_told_what_became_of_the_request(m):
    [request] = keys(m, "enter", "1", "0", "2", "3", "enter", "2")
    assert request == Request("ticket.priority", {"ticket": "A023", "confirm": False})
    m.sent(request)
    m.answered(request, VIEW)
    assert m.notice.text == Names("A023 不予优先,照常排队", "A023: priority refused")
    m.refused(request, "already_decided", "the priority of ticket A023 was already refused")
    assert m.notice.text.zh == "该号的优先申请已处理"


def test_resume_held_chooses_when_several_are_held(m):
    assert keys(m, "resume_held") == [Request("counter.resume_held")]
    m.view_pushed({**VIEW, "ticket": None, "held": ["A019", "A020"]})
    assert keys(m, "resume_held") == [] and m.mode is Mode.RESUME_HELD
    assert keys(m, "2") == [Request("counter.resume_held", {"ticket": "A020"})]
    assert keys(m, "resume_held", "enter") == [Request("counter.resume_held", {"ticket": "A019"})]


def test_close_needs_a_confirmation(m):
    assert keys(m, "close", "5") == [] and m.mode is Mode.READY
    assert m.notice.text.en == "the counter stays open"
    assert keys(m, "close", "enter") == [Request("counter.close")]


def test_another_function_key_in_a_menu_does_what_it_says(m):
    assert keys(m, "pause", "call") == [Request("counter.call_next")]
    assert keys(m, "open", "1", "recall") == [Request("counter.recall")] and m.entry == ""
    assert keys(m, "open", "open") == [] and m.mode is Mode.READY


def test_digits_in_the_ready_state_say_what_to_do(m):
    assert keys(m, "5") == [] and m.notice.text.en == "press a function key first"


def test_while_waiting_for_the_controller_keys_do_nothing(m):
    [req] = keys(m, "call")
    m.sent(req)
    assert keys(m, "call") == [] and m.notice.text.en == "waiting for the controller"
    m.answered(req, {**VIEW, "ticket": {**VIEW["ticket"], "label": "A024", "state": "called"}})
    assert m.busy is None and m.notice.text == Names("已呼叫 A024", "called A024")


def test_outcomes_set_the_notice_and_only_answers_change_the_view(m):
    [req] = keys(m, "hold")
    m.sent(req)
    m.refused(req, "bad_state", "ticket A023 is called, not serving")
    assert m.view == VIEW
    assert (m.notice.tone, m.notice.text) == (
        "refused",
        Names("当前号的状态不允许此操作", "ticket A023 is called, not serving"),
    )
    [req] = keys(m, "hold")
    m.sent(req)
    m.timed_out(req)
    assert m.view == VIEW and m.notice.text == words.TIMEOUT and m.notice.tone == "error"


def test_a_refusal_the_keypad_has_no_words_for_still_shows_the_controllers_sentence():
    assert words.refusal("brand_new_code", "the hall is on fire") == Names("操作被拒绝", "the hall is on fire")


def test_the_word_tables_follow_the_hall_lists():
    assert tuple(words.PAUSE) == PAUSE_REASONS and tuple(words.OUTCOME) == OUTCOMES


def test_the_keypad_layout_has_every_key_once_and_keyboard_letters_are_unique():
    laid = [k for row in LAYOUT for k in row]
    assert len(laid) == len(set(laid)) == len(KEYS) == 24 and set(laid) == set(KEYS)
    letters = [k.keyboard for k in KEYS.values()]
    assert len(set(letters)) == len(letters)
    assert from_keyboard("n") == "call" and from_keyboard("\n") == "enter" and from_keyboard("S") == "S"
    assert from_keyboard("q") is None and KEYBOARD["\x7f"] == "clear"


def test_key_names_for_scripts():
    assert [key_name(w) for w in ("call", "NEXT", "ok", "5", "S", "no-show")] == [
        "call",
        "call",
        "enter",
        "5",
        "S",
        "no_show",
    ]
    with pytest.raises(UnknownKey, match="there is no key 'frobnicate'"):
        key_name("frobnicate")


def test_a_counter_the_hall_does_not_have_is_refused(hall):
    with pytest.raises(ValueError, match="no counter 42"):
        CallerMachine(hall, 42)
