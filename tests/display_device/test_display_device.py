"""The calling screen as a device, against a real broker (mosquitto and amqtt): calls from a real
controller on the PNG frames, a burst spoken once each and in order, gaps refilled from the
board, no old calls after a restart, incident mode when the controller dies, counter mode, and
no frame drawn while nothing changes."""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
from pathlib import Path

import pygame
from PIL import Image, ImageChops

from devices.display.render import render_board
from devices.link import DeviceLink
from hall import clock as hall_clock
from protocol import topics
from protocol.envelope import decode, encode, make_message

from .conftest import WAIT_S, StillClock

ROOT = Path(__file__).parents[2]


def picture(surface: pygame.Surface) -> Image.Image:
    return Image.frombytes("RGB", surface.get_size(), pygame.image.tobytes(surface, "RGB"))


def shows(screen, label: str) -> bool:
    return screen.shown is not None and screen.shown.current is not None and screen.shown.current.label == label


def test_a_call_made_at_a_counter_appears_on_the_screen_and_is_acknowledged(
    broker_url, controller, screens, speaker, example_hall
):
    ctl = controller(broker_url)
    screen = screens(broker_url, speaker=speaker)
    assert screen.wait_for(lambda: screen.machine.board is not None and screen.frames > 0, WAIT_S)
    png = screen.screen.latest
    before = png.read_bytes()

    with (
        DeviceLink(broker_url, example_hall.id, "K1") as kiosk,
        DeviceLink(broker_url, example_hall.id, "C5") as caller,
    ):
        ticket = kiosk.request("ticket.request", {"service": "property"}).body["ticket"]
        kiosk.request("ticket.printed", {"ticket": ticket["id"]})
        caller.request("counter.open", {"clerk": "S005"})
        caller.request("counter.call_next")

    assert screen.wait_for(lambda: shows(screen, ticket["label"]), WAIT_S)
    assert screen.shown.current.counter == 5
    assert png.read_bytes() != before
    with Image.open(png) as on_disk:  # the PNG is exactly the picture of the state on the screen
        assert (
            ImageChops.difference(on_disk.convert("RGB"), picture(render_board(screen.shown, (1920, 1080)))).getbbox()
            is None
        )
    assert screen.wait_for(lambda: ctl.gateway.display_acks.get("D1") == ctl.engine.state.call_seq, WAIT_S)
    assert speaker.labels == [ticket["label"]]


def test_a_burst_of_fifty_calls_is_spoken_once_each_in_order_and_acknowledged(
    broker_url, screens, sample, speaker, mqtt_peer, example_hall
):
    controller = sample(broker_url)
    up = mqtt_peer(broker_url, "controller-side")
    up.subscribe(topics.device_up(example_hall.id, "D1"))
    screen = screens(broker_url, speaker=speaker)
    assert screen.wait_for(lambda: screen.machine.board is not None, WAIT_S)

    labels = [f"{'ABCDE'[i % 5]}{i + 1:03d}" for i in range(50)]
    for i, label in enumerate(labels):
        controller.publish_call(label, 1 + i % 10)
    controller.publish_board()

    assert screen.wait_for(lambda: screen.machine.acked == 50, WAIT_S * 2)
    assert speaker.labels == labels
    assert speaker.overlaps == 0
    assert shows(screen, labels[-1])
    acks = []
    while not acks or acks[-1] < 50:
        message = decode(up.expect(topic=topics.device_up(example_hall.id, "D1")).payload)
        assert message.type == "calls.ack"
        acks.append(message.body["seq"])
    assert acks == sorted(acks), "acknowledgements never move back (one may repeat, carrying only reports)"


def test_missed_calls_are_refilled_from_the_board_and_announced_in_order(broker_url, screens, sample, speaker):
    controller = sample(broker_url)
    screen = screens(broker_url, speaker=speaker)
    assert screen.wait_for(lambda: screen.machine.board is not None, WAIT_S)
    controller.publish_call("A001", 1)
    controller.publish_call("A002", 2, lost=True)
    controller.publish_call("B001", 4, lost=True)
    controller.publish_call("A003", 3)
    controller.publish_board()
    assert screen.wait_for(lambda: screen.machine.acked == 4, WAIT_S)
    assert speaker.labels == ["A001", "A002", "B001", "A003"]
    assert shows(screen, "A003")
    assert [r.label for r in screen.shown.recent] == ["B001", "A002", "A001"]


def test_after_a_restart_the_calls_the_board_held_are_shown_not_announced(broker_url, screens, sample, speaker):
    controller = sample(broker_url)
    for label in ("A001", "A002", "A003"):
        controller.publish_call(label, 1)
    controller.publish_board(wait=True)
    screen = screens(broker_url, speaker=speaker)
    assert screen.wait_for(lambda: shows(screen, "A003"), WAIT_S)
    controller.publish_call("B001", 4)
    assert screen.wait_for(lambda: screen.machine.acked == 4, WAIT_S)
    assert speaker.labels == ["B001"]
    assert [r.label for r in screen.shown.recent] == ["A003", "A002", "A001"]


def test_the_controller_killed_puts_the_screen_in_incident_mode_until_it_returns(broker_url, screens, tmp_path):
    def controller() -> subprocess.Popen:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hall",
                "controller",
                "--config",
                str(ROOT / "examples/hall.toml"),
                "--broker",
                broker_url,
                "--db",
                str(tmp_path / "journal.db"),
                "--log-level",
                "WARNING",
                "--web",
                "off",
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    screen = screens(broker_url)
    process = controller()
    try:
        assert screen.wait_for(lambda: screen.machine.controller_online is True, WAIT_S * 2)
        assert screen.shown.incident is None
        process.send_signal(signal.SIGKILL)
        process.wait(WAIT_S)
        assert screen.wait_for(lambda: screen.shown.incident is not None, WAIT_S * 2), "its last will: offline"
        assert screen.shown.current is None or screen.shown.incident is not None
        process = controller()
        assert screen.wait_for(lambda: screen.shown.incident is None, WAIT_S * 2)
    finally:
        process.terminate()
        process.wait(WAIT_S)


def test_a_counter_screen_shows_and_says_only_its_own_counter(broker_url, screens, sample, speaker):
    controller = sample(broker_url)
    screen = screens(broker_url, "D3", speaker=speaker)  # above counter 10
    assert screen.wait_for(lambda: screen.machine.board is not None, WAIT_S)
    controller.publish_call("A001", 10)
    controller.publish_call("B001", 5)
    controller.publish_board()
    assert screen.wait_for(lambda: screen.machine.acked == 2, WAIT_S)
    assert screen.shown.mode == "counter" and screen.shown.counter.number == 10
    assert screen.shown.counter.ticket == "A001"
    assert speaker.labels == ["A001"]


def test_nothing_is_drawn_while_nothing_changes_but_the_clock_by_the_minute(broker_url, screens, sample):
    sample(broker_url)
    now = hall_clock.now()
    clock = StillClock(math.floor(now / 60) * 60 + 10)
    screen = screens(broker_url, clock=clock)
    png = screen.screen
    assert screen.wait_for(lambda: screen.machine.board is not None and screen.machine.controller_online, WAIT_S)
    frames, written = screen.frames, png.frames_written
    screen.wait_for(lambda: False, 1.5)
    assert (screen.frames, png.frames_written) == (frames, written)
    clock.advance(60)
    assert screen.wait_for(lambda: screen.frames == frames + 1, WAIT_S)
    screen.wait_for(lambda: False, 1.0)
    assert (screen.frames, png.frames_written) == (frames + 1, written + 1)


def test_a_bad_board_on_the_wire_changes_nothing(broker_url, screens, sample, mqtt_peer, example_hall, caplog):
    controller = sample(broker_url)
    controller.publish_call("A001", 1)
    controller.publish_board(wait=True)
    screen = screens(broker_url)
    assert screen.wait_for(lambda: shows(screen, "A001"), WAIT_S)
    shown, before = screen.shown, screen.machine.board
    board = controller.board()
    board["calls"][0]["label"] = "Li Lei"
    board["call_seq"] = 2
    peer = mqtt_peer(broker_url, "rogue")
    peer.publish(topics.board(example_hall.id), encode(make_message("board.snapshot", board)))
    peer.publish(topics.board(example_hall.id), b"{not json")
    # until both were turned away (a frame may still be drawn meanwhile: the clock's minute turns)
    assert screen.wait_for(
        lambda: "is not a ticket number like A023" in caplog.text and "dropped a bad message" in caplog.text, WAIT_S
    )
    assert (screen.shown.current, screen.shown.recent, screen.shown.waiting) == (
        shown.current,
        shown.recent,
        shown.waiting,
    )
    assert screen.machine.board is before
    assert screen.machine.last_seq == 1
    assert json.dumps(board)  # the board really was bad only in the name
