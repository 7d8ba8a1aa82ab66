"""Every call heard, end to end: a real controller and a real calling screen on a real broker. The
screen's acknowledgement says what it did with each call; the controller refuses a no-show until
the call was heard, and then counts from the end of its announcement."""

from __future__ import annotations

import dataclasses
import threading
import time

from devices.link import DeviceLink, Refused
from hall import clock as hall_clock

from .conftest import WAIT_S


def no_wait(hall):
    return dataclasses.replace(hall, dispatch=dataclasses.replace(hall.dispatch, no_show_wait_s=0))


def test_a_no_show_waits_until_the_screen_has_spoken_the_call(broker_url, controller, screens, example_hall):
    hall = no_wait(example_hall)
    ctl = controller(broker_url, hall)
    may_speak = threading.Event()
    from drivers.voice import RecordingSpeaker

    speaker = RecordingSpeaker(hall_clock.now, while_speaking=lambda announcement: may_speak.wait(WAIT_S))
    screen = screens(broker_url, speaker=speaker, hall=hall)
    assert screen.wait_for(lambda: screen.machine.board is not None, WAIT_S)
    with DeviceLink(broker_url, hall.id, "K1") as kiosk, DeviceLink(broker_url, hall.id, "C5") as caller:
        ticket = kiosk.request("ticket.request", {"service": "property"}).body["ticket"]
        kiosk.request("ticket.printed", {"ticket": ticket["id"]})
        caller.request("counter.open", {"clerk": "S005"})
        caller.request("counter.call_next")
        assert screen.wait_for(lambda: screen.shown is not None and screen.shown.current is not None, WAIT_S)
        try:
            caller.request("counter.no_show")
            raise AssertionError("a no-show before the call was spoken was accepted")
        except Refused as refused:
            assert refused.code == "not_announced_yet"
            assert f"{ticket['label']} has not been announced" in refused.message
        may_speak.set()
        t = ctl.engine.state.tickets[ticket["id"]]
        assert screen.wait_for(lambda: t.heard_at is not None, WAIT_S)
        heard = speaker.heard[0]
        assert heard.start <= t.heard_at and abs(t.heard_at - heard.end) < 0.01  # the ack's own times, to the ms
        assert caller.request("counter.no_show").body["view"]["ticket"] is None


def test_a_burst_of_twenty_calls_is_spoken_once_each_and_reported_so(
    broker_url, controller, screens, example_hall, mqtt_peer
):
    from drivers.voice import RecordingSpeaker
    from protocol import topics
    from protocol.envelope import decode

    controller(broker_url, example_hall)
    wire = mqtt_peer(broker_url, "listener")
    wire.subscribe(topics.device_up(example_hall.id, "D1"))
    speaker = RecordingSpeaker(hall_clock.now, while_speaking=lambda announcement: time.sleep(0.01))
    screen = screens(broker_url, speaker=speaker)
    assert screen.wait_for(lambda: screen.machine.board is not None, WAIT_S)
    labels = []
    with DeviceLink(broker_url, example_hall.id, "K1") as kiosk, DeviceLink(broker_url, example_hall.id, "C1") as c1:
        for _ in range(20):
            t = kiosk.request("ticket.request", {"service": "social"}).body["ticket"]
            kiosk.request("ticket.printed", {"ticket": t["id"]})
        c1.request("counter.open", {"clerk": "S001"})
        for _ in range(20):
            labels.append(c1.request("counter.call_next").body["view"]["ticket"]["label"])
            c1.request("counter.start")
            c1.request("counter.finish")
    reports: dict[int, list[str]] = {}

    def all_reported() -> bool:
        while True:
            try:
                message = decode(wire.expect(topic=topics.device_up(example_hall.id, "D1"), timeout=0.05).payload)
            except AssertionError:
                break
            for entry in message.body.get("calls", []):
                reports.setdefault(entry["seq"], []).append(entry["outcome"])
        return len(reports) == 20 and all(len(r) == 2 for r in reports.values())

    assert screen.wait_for(all_reported, WAIT_S * 2)
    assert reports == {seq: ["shown", "spoken"] for seq in range(1, 21)}
    assert speaker.labels == labels and speaker.overlaps == 0
