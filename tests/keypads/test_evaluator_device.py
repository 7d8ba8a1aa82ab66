"""The evaluator against a real controller and broker: prompt, press, rating, and every way a
prompt ends without one. The clerk's side is the real caller program; tickets come from a kiosk link."""

from __future__ import annotations

from devices.evaluator.machine import Phase

from .conftest import WAIT_S, journal_ratings


def open_counter(caller) -> None:
    caller.ready().press("open", "S", "0", "0", "5", "enter")
    assert caller.program.machine.view["state"] == "open", caller.text


def serve_and_finish(caller, kiosk_link, service: str = "social") -> str:
    label = kiosk_link.issue(service)
    caller.press("call")
    assert (caller.program.machine.view["ticket"] or {}).get("label") == label, caller.text
    caller.press("start", "finish", "enter")
    assert caller.program.machine.view["ticket"] is None, caller.text
    return label


def prompted(evaluator) -> bool:
    return evaluator.program.wait_for(lambda: evaluator.program.machine.phase is Phase.ASKING, WAIT_S)


def test_full_cycle_call_serve_finish_prompt_press_rating(broker_url, controller, kiosk, caller, evaluator, clock):
    ctl = controller(broker_url)
    e3, c3 = evaluator(broker_url, "E3"), caller(broker_url, "C3")
    open_counter(c3)
    label = serve_and_finish(c3, kiosk(broker_url))
    assert f"{label} 办结,请评价" in c3.text

    assert prompted(e3)
    assert e3.program.machine.prompt.ticket == label
    assert e3.leds == {"4": "blink", "3": "blink", "2": "blink", "1": "blink"}
    clock.advance(3.0)
    e3.press(4)
    e3.settle()
    assert e3.program.machine.phase is Phase.THANKING
    assert e3.leds == {"4": "on", "3": "off", "2": "off", "1": "off"}
    assert e3.lit(4) and not e3.lit(3)
    assert e3.sounds() == ["request", "beep"]
    assert e3.panel.beeper.beeps == 1

    prompt_id = e3.program.machine.prompt.id
    assert e3.program.wait_for(lambda: "the controller has the rating" in e3.program.log, WAIT_S)
    assert e3.link.unanswered == 0
    prompt = ctl.engine.state.prompts[prompt_id]
    assert prompt.level == 4
    [rating] = journal_ratings(ctl.db)
    assert (rating.ticket.endswith(label), rating.counter, rating.clerk, rating.service, rating.level) == (
        True,
        3,
        "S005",
        "social",
        4,
    )
    # pressed 3 s after the prompt arrived: on the controller's clock, inside the prompt
    assert prompt.opened_at <= rating.pressed_at <= prompt.deadline

    clock.advance(2.0)  # the thank-you light goes out
    e3.settle()
    assert e3.program.machine.phase is Phase.IDLE
    assert e3.leds == {"4": "off", "3": "off", "2": "off", "1": "off"}


def test_a_press_outside_a_prompt_counts_for_nothing(broker_url, controller, kiosk, caller, evaluator, clock):
    ctl = controller(broker_url)
    e3, c3 = evaluator(broker_url, "E3"), caller(broker_url, "C3")
    e3.press(4)
    e3.settle()
    assert e3.program.log[-1] == "button 4 非常满意 ignored: no rating requested"
    assert e3.link.unanswered == 0 and e3.sounds() == []

    open_counter(c3)
    serve_and_finish(c3, kiosk(broker_url))
    assert prompted(e3)
    clock.advance(1.0)
    e3.press(2)
    e3.settle()
    assert e3.program.wait_for(lambda: e3.link.unanswered == 0, WAIT_S)
    assert [r.level for r in journal_ratings(ctl.db)] == [2]  # the press before the prompt is not in it


def test_the_prompt_times_out_with_no_rating(broker_url, controller, kiosk, caller, evaluator, clock):
    ctl = controller(broker_url)
    e3, c3 = evaluator(broker_url, "E3"), caller(broker_url, "C3")
    open_counter(c3)
    serve_and_finish(c3, kiosk(broker_url))
    assert prompted(e3)
    prompt_id = e3.program.machine.prompt.id

    clock.advance(30.5)  # the hall's rating_timeout_s is 30
    e3.settle()
    assert e3.program.machine.phase is Phase.IDLE
    assert e3.leds == {"4": "off", "3": "off", "2": "off", "1": "off"}
    assert "no rating: the request ended (timeout)" in e3.program.log
    e3.press(3)
    e3.settle()
    assert e3.program.log[-1] == "button 3 满意 ignored: no rating requested"
    assert e3.link.unanswered == 0
    assert ctl.engine.state.prompts[prompt_id].level is None
    assert journal_ratings(ctl.db) == []


def test_the_next_call_cancels_the_prompt(broker_url, controller, kiosk, caller, evaluator, clock):
    ctl = controller(broker_url)
    e3, c3 = evaluator(broker_url, "E3"), caller(broker_url, "C3")
    k1 = kiosk(broker_url)
    open_counter(c3)
    serve_and_finish(c3, k1)
    assert prompted(e3)
    prompt_id = e3.program.machine.prompt.id
    k1.issue("social")

    clock.advance(1.0)
    c3.press("call")  # the clerk calls the next citizen before anyone rated
    assert e3.program.wait_for(lambda: e3.program.machine.phase is Phase.IDLE, WAIT_S)
    assert "no rating: the request ended (next_call)" in e3.program.log
    assert e3.leds == {"4": "off", "3": "off", "2": "off", "1": "off"}
    e3.press(4)
    e3.settle()
    assert e3.link.unanswered == 0
    assert ctl.engine.state.prompts[prompt_id].closed_at is not None
    assert ctl.engine.state.prompts[prompt_id].level is None
    assert journal_ratings(ctl.db) == []


def test_two_quick_presses_count_once(broker_url, controller, kiosk, caller, evaluator, clock):
    ctl = controller(broker_url)
    e3, c3 = evaluator(broker_url, "E3"), caller(broker_url, "C3")
    open_counter(c3)
    serve_and_finish(c3, kiosk(broker_url))
    assert prompted(e3)
    clock.advance(2.0)
    e3.press(3)
    clock.advance(0.2)
    e3.press(3)  # the same button again at once
    clock.advance(0.3)
    e3.press(1)  # "to be sure", another one
    e3.settle()
    presses = [line for line in e3.program.log if line.startswith(("button", "rated"))]
    assert presses == [
        "rated 3 满意 Satisfied",
        "button 3 满意: pressed again at once, counted once",
        "button 1 不满意 ignored: already rated",
    ]
    assert e3.sounds() == ["request", "beep"]
    assert e3.program.wait_for(lambda: e3.link.unanswered == 0, WAIT_S)
    assert [r.level for r in journal_ratings(ctl.db)] == [3]


def test_a_rating_given_while_the_broker_is_down_arrives_exactly_once(
    mosquitto_broker, controller, kiosk, caller, evaluator, clock
):
    url = mosquitto_broker.url
    ctl = controller(url)
    e3, c3 = evaluator(url, "E3"), caller(url, "C3")
    open_counter(c3)
    label = serve_and_finish(c3, kiosk(url))
    assert prompted(e3)
    prompt_id = e3.program.machine.prompt.id

    mosquitto_broker.kill()
    assert e3.program.wait_for(lambda: not e3.link.connected, WAIT_S)
    clock.advance(4.0)
    e3.press(4)
    e3.settle()
    assert e3.program.machine.phase is Phase.THANKING  # taken and confirmed at once, broker or not
    assert e3.link.unanswered == 1
    mosquitto_broker.start()

    assert e3.program.wait_for(lambda: e3.link.unanswered == 0, 3 * WAIT_S)
    assert ctl.engine.state.prompts[prompt_id].level == 4
    [rating] = journal_ratings(ctl.db)
    assert rating.ticket.endswith(label) and rating.counter == 3 and rating.clerk == "S005"


def test_a_prompt_it_cannot_read_changes_nothing(broker_url, mqtt_peer, evaluator, clock, caplog):
    from protocol import topics
    from protocol.envelope import make_message

    e3 = evaluator(broker_url, "E3")
    peer = mqtt_peer(broker_url, "impostor")
    down = topics.device_down("xinhua", "E3")
    peer.publish(down, make_message("rating.prompt", {"prompt": "20261123-A023", "ticket": "A023", "counter": 3}))
    peer.publish(
        down,
        make_message(
            "rating.prompt",
            {"prompt": "20261123-A024", "ticket": "A024", "counter": 7, "deadline": "2099-01-01T00:00:00.000Z"},
        ),
    )
    peer.publish(down, b"\xff not json")
    assert e3.program.wait_for(lambda: "for counter 7" in caplog.text, WAIT_S)
    e3.settle()
    assert "a rating.prompt it cannot read (field 'deadline' is missing)" in caplog.text
    assert e3.program.machine.phase is Phase.IDLE and e3.sounds() == []
