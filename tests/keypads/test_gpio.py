"""The GPIO drivers on gpiozero's MockFactory: presses on a queue, the double-press rule, LEDs,
the buzzer, the twin, and one clear error for every way the pins can be wrong."""

from __future__ import annotations

import queue
import time

import pytest
from gpiozero.pins.mock import MockFactory
from testkit import ManualClock

from devices.evaluator.panel import EvaluatorPanel, NoPins
from drivers.gpio import (
    Beeper,
    ButtonPanel,
    Debouncer,
    GpioUnavailable,
    Held,
    LedPanel,
    PanelTwin,
    Press,
    Released,
    pin_factory,
)
from hall.config import Evaluator

from .conftest import WAIT_S


def test_a_button_press_and_release_are_stamped_and_queued_nothing_more(pins):
    inbox: queue.Queue = queue.Queue()
    clock = ManualClock(50.0)
    with ButtonPanel({"4": 5, "3": 6}, inbox, factory=pins, clock=clock) as panel:
        twin = PanelTwin(pins)
        twin.press(6)
        assert panel.is_pressed("3")
        clock.advance(0.2)
        twin.release(6)
        assert [inbox.get_nowait(), inbox.get_nowait()] == [Press("3", 50.0), Released("3", 50.2)]
        assert inbox.empty()


def test_a_button_held_down_is_reported_from_gpiozeros_thread(pins):
    inbox: queue.Queue = queue.Queue()
    with ButtonPanel({"1": 19}, inbox, factory=pins, hold_s=0.05):
        PanelTwin(pins).press(19)
        assert isinstance(inbox.get_nowait(), Press)
        held = inbox.get(timeout=WAIT_S)
        assert isinstance(held, Held) and held.key == "1"


def test_the_pins_are_released_on_close_and_a_second_claim_is_one_clear_error(pins):
    inbox: queue.Queue = queue.Queue()
    first = ButtonPanel({"4": 5}, inbox, factory=pins)
    with pytest.raises(GpioUnavailable, match="cannot use GPIO 5 for key 'x': pin GPIO5 is already in use"):
        ButtonPanel({"x": 5}, inbox, factory=pins)
    first.close()
    ButtonPanel({"x": 5}, inbox, factory=pins).close()
    with pytest.raises(ValueError, match="share one GPIO pin"):
        ButtonPanel({"a": 7, "b": 7}, inbox, factory=pins)


def test_pressed_twice_quickly_counts_once():
    d = Debouncer(0.5, {"digit": 0.05})
    presses = [
        Press("4", 10.0),
        Press("4", 10.2),
        Press("4", 10.6),
        Press("4", 11.2),
        Press("3", 11.25),
        Press("digit", 12.0),
        Press("digit", 12.12),
    ]
    assert [d.accept(p) for p in presses] == [True, False, False, True, True, True, True]
    # 10.6 is 0.6 s after the first press but 0.4 s after the bounce at 10.2: a chattering key stays one press


def test_a_debounce_window_is_never_negative():
    with pytest.raises(ValueError):
        Debouncer(-1)


def test_leds_show_a_whole_pattern(pins):
    leds = LedPanel({"4": 12, "3": 16, "2": 20}, factory=pins, blink_s=(0.05, 0.05))
    twin = PanelTwin(pins)
    try:
        leds.show(on=["3"])
        assert leds.shown == {"4": "off", "3": "on", "2": "off"}
        assert twin.lit(16) and not twin.lit(12)
        leds.show(blinking=["4", "2"])
        assert leds.shown == {"4": "blink", "3": "off", "2": "blink"}
        assert not twin.lit(16)
        with pytest.raises(KeyError):
            leds.show(on=["9"])
        with pytest.raises(ValueError):
            leds.show(on=["4"], blinking=["4"])
        assert leds.shown == {"4": "blink", "3": "off", "2": "blink"}  # a bad pattern changed nothing
        leds.show()
        assert not any(twin.lit(p) for p in (12, 16, 20))
    finally:
        leds.close()


def test_the_beeper_beeps_on_its_pin_and_a_missing_buzzer_is_silent(pins):
    beeper = Beeper(26, factory=pins)
    beeper.beep()
    assert beeper.beeps == 1
    deadline = time.monotonic() + WAIT_S  # gpiozero beeps on a thread of its own
    while not any(s.state for s in pins.pin(26).states) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert any(s.state for s in pins.pin(26).states)  # the pin went high at least once
    beeper.close()
    silent = Beeper(None, factory=pins)
    silent.beep(2)
    assert silent.beeps == 2


def test_pin_factories_are_named_and_a_missing_one_is_one_sentence(monkeypatch):
    assert isinstance(pin_factory("mock"), MockFactory)
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")
    assert isinstance(pin_factory(), MockFactory)
    with pytest.raises(GpioUnavailable, match="there is no pin factory 'gpio9'"):
        pin_factory("gpio9")
    with pytest.raises(GpioUnavailable, match="cannot be used on this machine"):
        pin_factory("lgpio")  # no Pi here (and no lgpio package)


def test_the_twin_moves_mock_pins_only():
    with pytest.raises(TypeError):
        PanelTwin(object())  # type: ignore[arg-type]


def test_an_evaluator_without_pins_runs_only_simulated(pins):
    bare = Evaluator(id="E9", counter=9)
    inbox: queue.Queue = queue.Queue()
    with pytest.raises(NoPins, match="E9 has no `buttons` pins"):
        EvaluatorPanel(bare, inbox, factory=pins)
    panel = EvaluatorPanel(bare, inbox, factory=pins, simulated=True)
    try:
        assert panel.button_pins == {"4": 5, "3": 6, "2": 13, "1": 19}
        assert panel.led_pins == {"4": 12, "3": 16, "2": 20, "1": 21} and panel.buzzer_pin == 26
    finally:
        panel.close()


def test_an_evaluator_panel_that_cannot_get_its_pins_releases_the_ones_it_took(pins):
    taken = LedPanel({"x": 16}, factory=pins)  # the "3" LED pin is in use by something else
    inbox: queue.Queue = queue.Queue()
    e = Evaluator(id="E3", counter=3, button_pins=(5, 6, 13, 19), led_pins=(12, 16, 20, 21), buzzer_pin=26)
    with pytest.raises(GpioUnavailable, match="GPIO 16"):
        EvaluatorPanel(e, inbox, factory=pins)
    taken.close()
    EvaluatorPanel(e, inbox, factory=pins).close()  # nothing was left claimed
