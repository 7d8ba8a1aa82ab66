"""Devices of the example hall, as real `DeviceLink` clients, for the controller's integration tests.

    hall_device(url, "K1", listen=("board", "calls"))   a started, connected link whose received
                                                         messages land in a `Recorder` (link.seen);
                                                         its outbox is in tmp_path unless `outbox=` says
    wait_until(predicate, what)                          poll a condition until WAIT_S passes

A `Recorder` keeps everything a link received, so a test can look for a reply, a call or a board
snapshot in any order, and later check the whole sequence (call numbers without gaps).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from testkit import EXAMPLE_HALL, WAIT_S  # how long to wait for anything

from devices.link import DeviceLink, Received
from hall import clock as hall_clock
from hall import config
from protocol.envelope import Message, format_epoch
from protocol.topics import Kind

HALL = "xinhua"  # the id of examples/hall.toml


def hear(ctl, screen: DeviceLink, seq: int) -> None:
    """The hall display `screen` reports call `seq` spoken just now; return once the controller
    has taken it (the clocks of that call then run from now)."""
    now = format_epoch(hall_clock.now())
    screen.send("calls.ack", {"seq": seq, "calls": [{"seq": seq, "outcome": "spoken", "started": now, "ended": now}]})
    ticket = ctl.engine.state.open_calls[seq][0]
    wait_until(lambda: ctl.engine.state.tickets[ticket].heard_at is not None, f"the controller hears call {seq}")


def no_wait_hall():
    """The example hall, with no minimum wait between hearing a call and marking a no-show."""
    hall = config.load(EXAMPLE_HALL)
    return dataclasses.replace(hall, dispatch=dataclasses.replace(hall.dispatch, no_show_wait_s=0))


def wait_until(predicate: Callable[[], object], what: str, timeout: float = WAIT_S) -> None:
    """Return once `predicate()` is true; fail the test naming `what` if WAIT_S passes first."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        time.sleep(0.01)


class Recorder:
    """A link's inbox that remembers: `expect` takes the first matching message not taken yet."""

    def __init__(self) -> None:
        self.items: list[Received] = []
        self._taken: set[int] = set()
        self._changed = threading.Condition()

    def put(self, item: Received) -> None:
        with self._changed:
            self.items.append(item)
            self._changed.notify_all()

    def expect(
        self,
        type: str | None = None,
        *,
        kind: Kind | str | None = None,
        where: Callable[[Message], bool] | None = None,
        timeout: float = WAIT_S,
    ) -> Message:
        def find() -> int | None:
            for i, item in enumerate(self.items):
                if i in self._taken or (kind is not None and item.kind != kind):
                    continue
                if (type is None or item.message.type == type) and (where is None or where(item.message)):
                    return i
            return None

        with self._changed:
            if not self._changed.wait_for(lambda: find() is not None, timeout):
                seen = [(i.kind.value, i.message.type) for i in self.items]
                raise AssertionError(
                    f"no {type or 'message'} on {kind or 'any topic'} within {timeout:g} s; received {seen}"
                )
            index = find()
            self._taken.add(index)
            return self.items[index].message

    def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float = WAIT_S) -> bool:
        """Wait until `predicate(items)` holds; False if `timeout` passes first."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self.items), timeout)

    def replies(self) -> dict[str, Message]:
        """Every reply received so far, by the id of the request it answers (the first, if several)."""
        with self._changed:
            out: dict[str, Message] = {}
            for item in self.items:
                if item.kind is Kind.DOWN and item.message.re is not None:
                    out.setdefault(item.message.re, item.message)
            return out

    def reply_to(self, request: Message, timeout: float = WAIT_S) -> Message:
        return self.expect(kind=Kind.DOWN, where=lambda m: m.re == request.id, timeout=timeout)

    def all(self, type: str, kind: Kind | str | None = None) -> list[Message]:
        with self._changed:
            return [i.message for i in self.items if i.message.type == type and (kind is None or i.kind == kind)]


@pytest.fixture
def hall_device(tmp_path) -> Iterator[Callable[..., DeviceLink]]:
    """Factory of connected device links of the example hall; closed after the test."""
    links: list[DeviceLink] = []

    def make(
        url: str, device: str, *, listen=(), state=None, hall: str = HALL, outbox: Path | None = None
    ) -> DeviceLink:
        link = DeviceLink(
            url,
            hall,
            device,
            outbox=outbox or tmp_path / f"outbox-{device}-{len(links)}.db",
            listen=listen,
            state=state,
            inbox=Recorder(),
            reconnect_delay=(0.1, 0.5),
            resend_interval=1.0,
        )
        link.seen = link.incoming  # the Recorder, under a name that says what it is
        links.append(link)
        link.start()
        assert link.wait_connected(WAIT_S), f"{device} could not connect to {url}"
        return link

    yield make
    for link in links:
        link.close()


@pytest.fixture
def paired_hall(tmp_path):
    """Factory of in-memory halls (tests/controller/pair.py): `hall = paired_hall(hall=None)`, the
    example hall by default, its journal in tmp_path; stopped after the test."""
    from .pair import InMemoryHall

    made: list = []

    def make(hall: config.Hall | None = None) -> InMemoryHall:
        paired = InMemoryHall(hall or config.load(EXAMPLE_HALL), tmp_path / f"journal-{len(made)}.db")
        made.append(paired)
        return paired

    yield make
    for paired in made:
        paired.close()
