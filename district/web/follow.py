"""The district web's one seam to MQTT: it follows the district broker and feeds `DistrictLive`.

A paho client on its own network thread subscribes to what the halls' bridges send up, applies
each message to the live state under a lock, and wakes the web's page streams on their asyncio
loop (`LiveFeed.next`), as the hall web's feed does. It reconnects by itself (paho's backoff)
and re-subscribes on every connect; the broker's retained messages then bring the state back.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

import paho.mqtt.client as paho

from district.web.live import SUBSCRIPTIONS, DistrictLive
from hall import clock as hall_clock
from hall.mqtt import close_client, make_client, parse_broker_url

log = logging.getLogger("district.follow")


class LiveFeed:
    """The live state of every hall, and a broadcast of its changes to asyncio waiters."""

    def __init__(
        self, broker_url: str | None, *, clock: Callable[[], float] = hall_clock.now, client_id: str | None = None
    ):
        self.broker_url = broker_url
        self.clock = clock
        self.live = DistrictLive()
        self.lock = threading.Lock()
        self.connected = threading.Event()
        self.closed = False
        self._client_id = client_id or f"district-web-{time.monotonic_ns():x}"
        self._client: paho.Client | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None

    # --- MQTT side (paho's thread) ---------------------------------------------------------

    def connect(self) -> None:
        if self.broker_url is None:
            return
        url = parse_broker_url(self.broker_url)
        client = make_client(url, self._client_id)
        client.reconnect_delay_set(1, 30)
        client.on_connect = self._on_connect
        client.on_disconnect = lambda *_: self.connected.clear()
        client.on_message = self._on_message
        client.connect_async(url.host, url.port, keepalive=30)
        client.loop_start()
        self._client = client

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("district web: the district broker refused us: %s", reason_code)
            return
        client.subscribe([(topic, 1) for topic in SUBSCRIPTIONS])
        self.connected.set()

    def _on_message(self, client, userdata, message) -> None:
        self.take(message.topic, message.payload)

    def take(self, topic: str, payload: bytes) -> None:
        """One message from the broker (also how tests and the benchmark feed the state)."""
        with self.lock:
            changed = self.live.apply(topic, bytes(payload), self.clock())
        if changed is not None:
            self._wake()

    # --- asyncio side --------------------------------------------------------------------

    def start(self) -> None:
        """On the web's event loop, before anyone waits."""
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        self.connect()

    def close(self) -> None:
        self.closed = True
        if self._client is not None:
            close_client(self._client)
            self._client = None
        self._wake()

    @property
    def version(self) -> int:
        return self.live.version

    async def next(self, after: int, timeout: float) -> int | None:
        """Wait for a version newer than `after` (None after `timeout` with nothing new)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.live.version <= after and not self.closed:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return None
            event = self._changed
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return None
        return self.live.version

    def _wake(self) -> None:
        loop, event = self._loop, self._changed
        if loop is None or event is None or loop.is_closed():
            return

        def wake() -> None:
            # every waiter wakes on this event; a fresh one catches the next change
            self._changed = asyncio.Event()
            event.set()

        try:
            loop.call_soon_threadsafe(wake)
        except RuntimeError:
            pass  # the loop is stopping


__all__ = ["LiveFeed"]
