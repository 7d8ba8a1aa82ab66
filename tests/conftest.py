"""Shared fixtures: real MQTT brokers on free loopback ports, and a small MQTT peer.

Every broker here is real and private to one test: nothing talks to the system mosquitto on
port 1883, and nothing leaks retained messages from one test into the next.

    mosquitto_broker   a spawned mosquitto (a `MosquittoBroker`: .url, .port, .kill(), .start()
                       again on the same port, .stop()); skips the test if mosquitto is missing
    amqtt_broker       the embedded amqtt broker in this process (an `EmbeddedBroker`: .url, .port)
    broker_url         the URL of each of the two in turn: the test runs once per broker
                       (test ids end in [mosquitto] and [amqtt])
    mqtt_peer          a factory: `peer = mqtt_peer(url)` gives a connected `Peer`, a plain paho
                       client that records what it receives; closed after the test
    example_hall       examples/hall.toml, loaded
    hall_test_clock    (autouse) the hall's clock for this test and every program and subprocess it
                       starts: with HALL_TEST_NOW set (ISO 8601 with its offset, e.g.
                       2026-12-04T23:50:00+08:00) the hall's time starts at that instant and runs
                       on; without it, the real clock. `set_hall_time("…")` moves a test to a time
                       it needs; `hall_now(hall)` is the hall's local time now
    controller         a factory: `ctl = controller(url)` runs a real hall controller (engine,
                       journal in tmp_path, MQTT gateway) on its own thread until the test ends;
                       `ctl.engine` is its engine, `ctl.stop()` / `ctl.restart()` stop it and start
                       it again on the same journal (as after a crash: replies already sent are
                       remembered); `controller(url, hall=...)` for another hall

Example:

    def test_board_is_retained(broker_url, mqtt_peer):
        controller = mqtt_peer(broker_url, "controller")
        controller.publish("hall/x/board", b'{"v":1}', retain=True)
        screen = mqtt_peer(broker_url, "screen")
        screen.subscribe("hall/x/board")
        assert screen.expect(topic="hall/x/board").retain
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from testkit import EXAMPLE_HALL, TEST_NOW, WAIT_S, hall_now, set_hall_time  # noqa: F401 (shared)

from hall import clock, config
from hall.mqtt import close_client, make_client, parse_broker_url
from hall_controller.broker import EmbeddedBroker, MosquittoBroker
from protocol.envelope import Message, encode


@pytest.fixture
def mosquitto_broker() -> Iterator[MosquittoBroker]:
    """A mosquitto of this test's own on a free 127.0.0.1 port; kill() and start() it at will."""
    if shutil.which("mosquitto") is None:
        pytest.skip("mosquitto is not installed (apt install mosquitto)")
    broker = MosquittoBroker()
    with broker:
        yield broker


@pytest.fixture
def amqtt_broker() -> Iterator[EmbeddedBroker]:
    """The embedded amqtt broker (MQTT 3.1.1), in this process, on a free 127.0.0.1 port."""
    with EmbeddedBroker() as broker:
        yield broker


@pytest.fixture(params=["mosquitto", "amqtt"])
def broker_url(request: pytest.FixtureRequest) -> str:
    """The URL of a fresh broker; the test runs once against mosquitto and once against amqtt."""
    broker = request.getfixturevalue(f"{request.param}_broker")
    return broker.url


class Peer:
    """A plain paho client for tests: stands in for the controller, a screen, a spy.

    It re-subscribes after a reconnect (so it survives a broker restart) and queues every message
    it receives; `expect` takes the next one that matches.
    """

    def __init__(self, url: str, name: str) -> None:
        self.name = name
        self.received: queue.Queue[paho.MQTTMessage] = queue.Queue()
        self._filters: list[str] = []
        self._suback: dict[int, threading.Event] = {}
        self._connected = threading.Event()
        self._lock = threading.Lock()
        self.on_message: Callable[[Peer, paho.MQTTMessage], None] | None = None
        broker = parse_broker_url(url)
        self.client = make_client(broker, f"test-{name}-{id(self):x}")
        self.client.reconnect_delay_set(0.1, 1)  # type: ignore[arg-type]
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *_: self._connected.clear()
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.connect_async(broker.host, broker.port, keepalive=15)
        self.client.loop_start()
        if not self._connected.wait(WAIT_S):
            self.close()
            raise AssertionError(f"test peer {name} could not connect to {url}")

    def subscribe(self, *filters: str) -> None:
        """Subscribe (QoS 1) and wait for the broker to confirm."""
        done = threading.Event()
        with self._lock:
            self._filters.extend(filters)
            _, mid = self.client.subscribe([(f, 1) for f in filters])
            self._suback[mid] = done
        assert done.wait(WAIT_S), f"{self.name}: no SUBACK for {filters}"

    def publish(self, topic: str, payload: bytes | Message, *, qos: int = 1, retain: bool = False) -> None:
        """Publish and wait until the broker has it."""
        data = encode(payload) if isinstance(payload, Message) else payload
        info = self.client.publish(topic, data, qos=qos, retain=retain)
        info.wait_for_publish(WAIT_S)

    def expect(
        self,
        *,
        topic: str | None = None,
        where: Callable[[paho.MQTTMessage], bool] | None = None,
        timeout: float = WAIT_S,
    ) -> paho.MQTTMessage:
        """The next received message on `topic` (and matching `where`); others are skipped."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                message = self.received.get(timeout=max(0.0, remaining))
            except queue.Empty:
                raise AssertionError(f"{self.name}: nothing on {topic or 'any topic'} within {timeout:g} s") from None
            if (topic is None or message.topic == topic) and (where is None or where(message)):
                return message

    def wait_connected(self, timeout: float = WAIT_S) -> bool:
        return self._connected.wait(timeout)

    def close(self) -> None:
        close_client(self.client)

    def _on_connect(
        self, client: paho.Client, userdata: object, flags: object, reason_code: object, properties: object
    ) -> None:
        with self._lock:
            if self._filters:
                client.subscribe([(f, 1) for f in self._filters])
        self._connected.set()

    def _on_subscribe(
        self, client: paho.Client, userdata: object, mid: int, reason_codes: object, properties: object
    ) -> None:
        with self._lock:
            done = self._suback.pop(mid, None)
        if done is not None:
            done.set()

    def _on_message(self, client: paho.Client, userdata: object, message: paho.MQTTMessage) -> None:
        if self.on_message is not None:
            self.on_message(self, message)
        self.received.put(message)


@pytest.fixture
def mqtt_peer() -> Iterator[Callable[..., Peer]]:
    """Factory of connected test peers: `mqtt_peer(url, name="peer") -> Peer`; all closed afterwards."""
    peers: list[Peer] = []

    def make(url: str, name: str = "peer") -> Peer:
        peer = Peer(url, name)
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        peer.close()


@pytest.fixture(autouse=True)
def _no_real_hardware(monkeypatch):
    """Tests never reach for a screen, a sound card or GPIO pins: the drivers' simulated twins."""
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")


@pytest.fixture(autouse=True)
def _logging_as_it_was():
    """A program's `main` run in-process sets up logging with `basicConfig(force=True)`, bound to
    the stream pytest captures for that test; threads that outlive the test (an embedded broker
    closing) would then log to a closed stream ("--- Logging error ---"). Put the root logger back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


@pytest.fixture(autouse=True)
def hall_test_clock(monkeypatch) -> clock.HallClock:
    """The hall's clock for this test: one place, honoured by every controller, web, device and
    simulation the test starts, in this process or in a subprocess (they read HALL_CLOCK).

    HALL_TEST_NOW starts it at a chosen instant (CI runs the suites that touch dates at 23:50, at
    00:05 and at the example hall's reset time); each test starts afresh at that instant.
    """
    text = os.environ.get(TEST_NOW)
    if not text:
        monkeypatch.setenv(clock.ENV, "")  # the real clock (and undone after the test, even if
        return clock.REAL  # the code under test sets a clock of its own)
    return set_hall_time(text, monkeypatch)


@pytest.fixture
def example_hall() -> config.Hall:
    return config.load(EXAMPLE_HALL)


class RunningController:
    """A hall controller on a thread of this test process (the same code `hall controller` runs)."""

    def __init__(self, hall: config.Hall, url: str, db: Path):
        self.hall, self.url, self.db = hall, url, db
        self.start()

    def start(self) -> None:
        from hall_controller.durable import DurableEngine
        from hall_controller.gateway import Gateway

        self.durable = DurableEngine(self.hall, self.db)
        self.gateway = Gateway(
            self.hall,
            self.durable,
            self.url,
            secret=b"test-secret-" * 3,
            client_id=f"hall-controller-{self.hall.id}-{time.monotonic_ns()}",
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.gateway.serve, args=(self._stop,), daemon=True)
        self._thread.start()
        if not self.gateway.connected.wait(WAIT_S):
            raise RuntimeError("the controller did not connect to the broker")

    @property
    def engine(self):
        return self.durable.engine

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(WAIT_S)
        self._thread = None
        self.durable.close()

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def controller(tmp_path) -> Iterator[Callable[..., RunningController]]:
    running: list[RunningController] = []

    def start(url: str, hall: config.Hall | None = None, db: Path | None = None) -> RunningController:
        ctl = RunningController(hall or config.load(EXAMPLE_HALL), url, db or tmp_path / f"journal-{len(running)}.db")
        running.append(ctl)
        return ctl

    yield start
    for ctl in running:
        ctl.stop()


# --- a hall display that hears every call at once (appended for issue 13, "every call heard") ---


@pytest.fixture
def hall_ears(tmp_path) -> Iterator[Callable[..., object]]:
    """`hall_ears(url, hall)` starts a stand-in hall display (D1 of that hall) that acknowledges
    every call as spoken the moment it arrives, so tests of other rules have calls the hall heard.
    `heard(ctl, counter)` then waits until the controller knows the current call at a counter was heard."""
    from devices.link import DeviceLink
    from protocol.envelope import format_epoch

    links: list = []

    class Ears:
        def __init__(self, url: str, hall: config.Hall) -> None:
            display = next(d.id for d in hall.displays.values() if d.mode == "hall")
            self.link = DeviceLink(
                url, hall.id, display, outbox=tmp_path / f"ears-{len(links)}.db", listen=("calls",), inbox=self
            )
            links.append(self.link)
            self.link.start()
            assert self.link.wait_connected(WAIT_S)

        def put(self, item) -> None:  # the link's inbox: called on paho's thread for each call
            from devices.link import LinkClosed

            if item.message.type == "call.made":
                seq, now = item.message.body["seq"], format_epoch(clock.now())
                try:
                    self.link.send(
                        "calls.ack",
                        {"seq": seq, "calls": [{"seq": seq, "outcome": "spoken", "started": now, "ended": now}]},
                    )
                except LinkClosed:
                    pass  # the test is over

        @staticmethod
        def heard(ctl, counter: int) -> None:
            def done() -> bool:
                desk = ctl.engine.state.desks[counter]
                ticket = ctl.engine.state.tickets.get(desk.current) if desk.current else None
                return ticket is not None and ticket.heard_at is not None

            deadline = time.monotonic() + WAIT_S
            while not done():
                assert time.monotonic() < deadline, f"the call at counter {counter} was not heard"
                time.sleep(0.01)

    yield Ears
    for link in links:
        link.close()


# --- the browser (the hall web's tests and the district web's) ----------------------------------

CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright from PyPI drives it, never a downloaded browser
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _no_cjk_fonts(directory: Path) -> Path:
    """A fontconfig file that knows only the DejaVu fonts: a machine without any Chinese font."""
    dejavu = [d for d in ("/usr/share/fonts/truetype/dejavu",) if Path(d).is_dir()]
    dirs = "".join(f"<dir>{d}</dir>" for d in dejavu)
    rules = '<include ignore_missing="yes">/etc/fonts/conf.d</include>'  # the usual aliases (sans-serif …)
    conf = directory / "fonts.conf"
    conf.write_text(
        f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>{dirs}{rules}'
        f"<cachedir>{directory / 'cache'}</cachedir></fontconfig>"
    )
    return conf


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Chromium for the whole session: Playwright's sync API allows one running instance per thread,
    so the hall web's and the district web's tests share it, in any order."""
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install chromium chromium-driver)")
    sync_api = pytest.importorskip("playwright.sync_api")
    fonts_conf = _no_cjk_fonts(tmp_path_factory.mktemp("fonts"))
    env = {**os.environ, "FONTCONFIG_FILE": str(fonts_conf)}
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, env=env)
        yield chromium
        chromium.close()
