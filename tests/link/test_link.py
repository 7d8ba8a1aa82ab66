"""The device link against real brokers: requests, presence, subscriptions, the last will."""

import json
import queue
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from devices.link import SOFTWARE, STATE_TYPE, DeviceLink, LinkClosed, Received, Refused, ReplyTimeout
from protocol import topics
from protocol.envelope import decode, make_message
from protocol.topics import Kind

from .conftest import HALL

PROGRAM = Path(__file__).with_name("device_program.py")


@pytest.fixture
def link(broker_url, tmp_path):
    with DeviceLink(broker_url, HALL, "K1", outbox=tmp_path / "outbox.db") as link:
        assert link.wait_connected(10)
        yield link


def test_request_gets_its_reply(link, responder):
    reply = link.request("ticket.request", {"service": "social", "class": "priority"})
    assert reply.ok and reply.body == {"echo": {"service": "social", "class": "priority"}}
    assert reply.re == responder.first[0].id
    assert responder.first[0].type == "ticket.request"
    assert link.incoming.empty()  # a reply someone waited for is not handed out again


def test_refusal_raises_refused_with_the_reason(link, responder):
    with pytest.raises(Refused) as caught:
        link.request("test.refuse", {"counter": 5})
    assert (caught.value.code, caught.value.message) == ("not_today", "the counter is closed")
    assert caught.value.reply.ok is False


def test_request_nobody_answers_times_out(link, responder):
    with pytest.raises(ReplyTimeout) as caught:
        link.request("test.silent", timeout=0.3)
    assert caught.value.type == "test.silent"
    assert responder.wait_for(lambda: caught.value.id in responder.arrivals)  # it was sent, just not answered


def test_requests_from_many_threads_each_get_their_own_reply(link, responder):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda n: link.request("ticket.request", {"n": n}).body["echo"]["n"], range(200)))
    assert replies == list(range(200))


def test_tcp_nodelay_is_set_on_the_link_socket(link):
    assert link.nodelay is True


def test_online_state_is_retained_and_updates(broker_url, link, mqtt_peer):
    web = mqtt_peer(broker_url, "web")
    web.subscribe(topics.device_state(HALL, "K1"))
    state = decode(web.expect(where=lambda m: m.retain).payload)
    assert state.type == STATE_TYPE and state.body == {"online": True, "software": SOFTWARE}
    link.update_state(paper="low", cover="closed")
    state = decode(web.expect(topic=topics.device_state(HALL, "K1")).payload)
    assert state.body == {"online": True, "software": SOFTWARE, "paper": "low", "cover": "closed"}
    link.update_state(cover=None)
    assert decode(web.expect().payload).body == {"online": True, "software": SOFTWARE, "paper": "low"}
    late = mqtt_peer(broker_url, "late")  # a newcomer gets the latest state at once
    late.subscribe(topics.device_state(HALL, "K1"))
    assert decode(late.expect(where=lambda m: m.retain).payload).body == {
        "online": True,
        "software": SOFTWARE,
        "paper": "low",
    }


def test_clean_close_says_offline(broker_url, tmp_path, mqtt_peer):
    web = mqtt_peer(broker_url, "web")
    web.subscribe(topics.device_state(HALL, "E1"))
    link = DeviceLink(broker_url, HALL, "E1").start()
    assert link.wait_connected(10)
    assert decode(web.expect().payload).body["online"] is True
    link.close()
    assert decode(web.expect().payload).body == {"online": False}
    with pytest.raises(LinkClosed):
        link.request("ticket.request")
    with pytest.raises(LinkClosed):
        link.send_durable("rating.submit")


def test_incoming_messages_are_queued_for_the_program(broker_url, link, mqtt_peer):
    controller = mqtt_peer(broker_url, "controller")
    controller.publish(topics.device_down(HALL, "K1"), make_message("offline.lease", {"first": 901, "last": 950}))
    controller.publish(topics.board(HALL), make_message("board.snapshot", {"waiting": {"A": 3}}), retain=True)
    controller.publish(topics.calls(HALL), make_message("call.made", {"seq": 7}))
    controller.publish(topics.alerts(HALL), make_message("alert.raised", {}))  # not listened to
    got = [link.incoming.get(timeout=10) for _ in range(3)]
    assert {(r.kind, r.message.type) for r in got} == {
        (Kind.DOWN, "offline.lease"),
        (Kind.BOARD, "board.snapshot"),
        (Kind.CALLS, "call.made"),
    }
    assert all(isinstance(r, Received) for r in got)
    with pytest.raises(queue.Empty):
        link.incoming.get(timeout=0.3)


def test_bad_messages_are_dropped_not_fatal(broker_url, link, mqtt_peer, caplog):
    controller = mqtt_peer(broker_url, "controller")
    down = topics.device_down(HALL, "K1")
    controller.publish(down, b"not json")
    controller.publish(down, json.dumps({"v": 9, "type": "a.b", "id": "x", "ts": "2026-01-01T00:00:00Z"}).encode())
    controller.publish(down, make_message("rating.prompt", {"ticket": "A001"}))
    received = link.incoming.get(timeout=10)
    assert received.message.type == "rating.prompt"  # the two bad ones before it were dropped
    assert "not valid JSON" in caplog.text and "protocol version 1" in caplog.text


def test_a_device_can_listen_to_other_hall_topics(broker_url, mqtt_peer):
    controller = mqtt_peer(broker_url, "controller")
    controller.publish(topics.controller_state(HALL), make_message("controller.state", {"online": True}), retain=True)
    with DeviceLink(broker_url, HALL, "D1", listen=["controller/state"]) as link:
        received = link.incoming.get(timeout=10)
        assert received.kind is Kind.CONTROLLER_STATE and received.message.body == {"online": True}
    with pytest.raises(ValueError, match="cannot listen to 'up'"):
        DeviceLink(broker_url, HALL, "D1", listen=["up"])


def test_start_does_not_wait_for_a_broker_that_is_not_there(tmp_path):
    from hall_controller.broker import free_port

    link = DeviceLink(f"mqtt://127.0.0.1:{free_port()}", HALL, "K1", outbox=tmp_path / "o.db").start()
    try:
        assert not link.connected
        message = link.send_durable("rating.submit", {"level": 4})  # stored, to go when the broker appears
        assert link.unanswered == 1 and message.type == "rating.submit"
        with pytest.raises(ReplyTimeout):
            link.request("ticket.request", timeout=0.2)
    finally:
        link.close()


def test_the_last_will_says_offline_when_the_device_is_killed(broker_url, tmp_path, mqtt_peer):
    web = mqtt_peer(broker_url, "web")
    state_topic = topics.device_state(HALL, "K9")
    web.subscribe(state_topic)
    device = subprocess.Popen(
        [sys.executable, str(PROGRAM), broker_url, HALL, "K9", str(tmp_path / "o.db"), "idle"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert device.stdout.readline().strip() == "connected"
        online = decode(web.expect(topic=state_topic).payload)
        assert online.body == {"online": True, "software": SOFTWARE, "paper": "ok"}
        device.send_signal(signal.SIGKILL)
        device.wait(10)
        will = web.expect(topic=state_topic)
        assert decode(will.payload).body == {"online": False}
        assert decode(will.payload).type == STATE_TYPE
    finally:
        if device.poll() is None:
            device.kill()
            device.wait()
        device.stdout.close()
    late = mqtt_peer(broker_url, "late")  # retained: whoever looks later sees the device offline
    late.subscribe(state_topic)
    assert decode(late.expect(topic=state_topic).payload).body == {"online": False}


# -- across a broker restart (mosquitto only: the embedded broker lives in this process) ----------


def test_reconnect_resubscribes_and_republishes_the_latest_state(mosquitto_broker, tmp_path, mqtt_peer):
    url = mosquitto_broker.url
    with DeviceLink(url, HALL, "K1", reconnect_delay=(0.1, 0.5)) as link:
        assert link.wait_connected(10)
        link.update_state(paper="out")
        mosquitto_broker.kill()  # retained messages die with a broker without persistence
        mosquitto_broker.start()
        web = mqtt_peer(url, "web")
        web.subscribe(topics.device_state(HALL, "K1"))
        state = decode(web.expect(topic=topics.device_state(HALL, "K1")).payload)
        assert state.body == {"online": True, "software": SOFTWARE, "paper": "out"}
        controller = mqtt_peer(url, "controller")
        controller.publish(topics.calls(HALL), make_message("call.made", {"seq": 1}))
        controller.publish(topics.device_down(HALL, "K1"), make_message("offline.lease", {"first": 1}))
        kinds = {link.incoming.get(timeout=10).kind for _ in range(2)}
        assert kinds == {Kind.CALLS, Kind.DOWN}


def test_a_request_made_while_the_broker_is_away_is_never_sent_late(mosquitto_broker, make_responder):
    url = mosquitto_broker.url
    with DeviceLink(url, HALL, "K1", reconnect_delay=(0.1, 0.5)) as link:
        assert link.wait_connected(10)
        mosquitto_broker.kill()
        assert _eventually(lambda: not link.connected)
        with pytest.raises(ReplyTimeout) as caught:
            link.request("ticket.request", timeout=0.5)
        mosquitto_broker.start()
        responder = make_responder(url)
        assert link.wait_connected(10)
        assert link.request("ticket.request", {"n": 2}).ok  # the link works again...
        assert caught.value.id not in responder.arrivals  # ...and the stale request never went out


def _eventually(condition, timeout=10.0):
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_a_late_reply_goes_to_the_queue(broker_url, link, mqtt_peer):
    from protocol.envelope import make_reply

    controller = mqtt_peer(broker_url, "controller")
    controller.subscribe(topics.device_up(HALL, "K1"))
    with pytest.raises(ReplyTimeout):
        link.request("ticket.request", {"service": "social"}, timeout=0.2)
    request = decode(controller.expect().payload)
    controller.publish(topics.device_down(HALL, "K1"), make_reply(request, {"ticket": "A001"}))
    late = link.incoming.get(timeout=10)
    assert late.message.re == request.id and late.message.body == {"ticket": "A001"}


def test_a_device_says_what_software_it_runs_in_its_state():
    """Fleet health (the district's, the hall web's) reads it from the retained state."""
    from devices.link import SOFTWARE
    from protocol import messages
    from protocol.envelope import make_message

    assert SOFTWARE.startswith("hall-suite ")
    body = messages.check(make_message("device.state", {"online": True, "software": SOFTWARE, "paper": "ok"}))
    assert body["software"] == SOFTWARE
