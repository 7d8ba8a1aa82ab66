"""The gateway's live snapshots and queries, for the web's asyncio loop.

The gateway calls its live listeners on its own thread; `LiveFeed` turns that into an asyncio
broadcast: any number of page streams `await feed.next(after=version)` and all wake on the
next version. `TicketWatch` answers every phone following a ticket with ONE engine query per
new version (not one per phone), then wakes the phones' streams. `TicketIndex` turns the token
of a status link back into a ticket id (the link carries an HMAC of the id, which cannot be
reversed, so the web keeps token -> id for the tickets the engine holds).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from hall_controller import views
from hall_controller.gateway import GatewayStopped, Live
from hall_controller.web import snapshots

log = logging.getLogger("hall.web")
QUERY_TIMEOUT_S = 10.0


class HallPort(Protocol):
    """What the web needs of the controller (the `Gateway` provides it)."""

    live: Live
    secret: bytes

    def submit(self, command): ...
    def query(self, fn): ...
    def add_live_listener(self, listener) -> None: ...
    def remove_live_listener(self, listener) -> None: ...


class ControllerBusy(RuntimeError):
    """The controller did not answer in time, or is stopping."""


async def ask(port: HallPort, fn, timeout: float = QUERY_TIMEOUT_S):
    """`fn(engine)` run on the controller's loop, awaited here."""
    return await _wait(port.query(fn), timeout)


async def carry_out(port: HallPort, command, timeout: float = QUERY_TIMEOUT_S):
    """An engine command applied and journalled by the controller; its `Result`."""
    return await _wait(port.submit(command), timeout)


async def _wait(future, timeout: float):
    try:
        return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
    except TimeoutError:
        raise ControllerBusy("the hall controller did not answer in time") from None
    except GatewayStopped as e:
        raise ControllerBusy(str(e)) from None


class LiveFeed:
    def __init__(self, port: HallPort):
        self.port = port
        self.closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None

    def start(self) -> None:
        """Call on the web's event loop before anyone waits."""
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        self.port.add_live_listener(self._on_live)

    def close(self) -> None:
        """Wake every waiter for the last time (the server is stopping). Call on the web's loop."""
        self.port.remove_live_listener(self._on_live)
        self.closed = True
        self._wake()

    @property
    def current(self) -> Live:
        return self.port.live

    def _on_live(self, live: Live) -> None:  # on the gateway's thread
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._wake)
            except RuntimeError:
                pass  # the web's loop has just closed: nobody is waiting any more

    def _wake(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def next(self, after: int, timeout: float) -> Live | None:
        """The first snapshot newer than version `after`; None after `timeout` s or when closed."""
        while not self.closed:
            live = self.port.live
            if live.version > after:
                return live
            try:
                await asyncio.wait_for(self._changed.wait(), timeout)
            except TimeoutError:
                return None
        return None


class TicketWatch:
    def __init__(self, port: HallPort, feed: LiveFeed):
        self.port = port
        self.feed = feed
        self.statuses: dict[str, dict | None] = {}
        self.round = 0
        self._following: dict[str, int] = {}
        self._updated = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="ticket-watch")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self._wake()

    def follow(self, ticket_id: str) -> None:
        self._following[ticket_id] = self._following.get(ticket_id, 0) + 1

    def unfollow(self, ticket_id: str) -> None:
        n = self._following.get(ticket_id, 0) - 1
        if n <= 0:
            self._following.pop(ticket_id, None)
            self.statuses.pop(ticket_id, None)
        else:
            self._following[ticket_id] = n

    async def next(self, after: int, timeout: float) -> int | None:
        """The number of the first round of answers after round `after`; None on timeout or close."""
        while not self.feed.closed:
            if self.round > after:
                return self.round
            try:
                await asyncio.wait_for(self._updated.wait(), timeout)
            except TimeoutError:
                return None
        return None

    def _wake(self) -> None:
        updated, self._updated = self._updated, asyncio.Event()
        updated.set()

    async def _run(self) -> None:
        version = self.feed.current.version
        while not self.feed.closed:
            live = await self.feed.next(version, timeout=30)
            if live is None:
                continue
            version = live.version
            if not self._following:
                continue
            try:
                answers = await ask(self.port, snapshots.ticket_statuses(list(self._following)))
            except ControllerBusy as e:
                log.warning("ticket pages not updated: %s", e)
                continue
            self.statuses.update((k, v) for k, v in answers.items() if k in self._following)
            self.round += 1
            self._wake()


class TicketIndex:
    """Status-link token -> ticket id, for the tickets the engine holds."""

    def __init__(self, port: HallPort):
        self.port = port
        self._ids: dict[str, str] = {}
        self._seq = -1  # the highest issue number indexed so far

    async def ticket_for(self, token: str) -> str | None:
        ticket_id = self._ids.get(token)
        if ticket_id is not None:
            return ticket_id
        view = self.port.live.view
        if view is not None and view["tickets_seq"] <= self._seq:
            return None  # no ticket issued since the last look: the token is nobody's
        new = await ask(self.port, snapshots.tickets_after(self._seq))
        secret = self.port.secret
        for ticket_id, seq in new:
            self._ids[views.status_token(secret, ticket_id)] = ticket_id
            self._seq = max(self._seq, seq)
        if len(self._ids) > 400_000:  # several days of a busy hall: start again from what the engine holds
            self._ids.clear()
            self._seq = -1
        return self._ids.get(token)


class StreamRefused(Exception):
    """No room for another live stream: `sentence` says why, `status` is 429 (this viewer has
    enough open) or 503 (the whole web has as many as it carries)."""

    def __init__(self, sentence: str, status: int):
        super().__init__(sentence)
        self.status = status

    def response(self):
        """Plain text with Retry-After (an EventSource shows nothing of it; a person reading it does)."""
        from starlette.responses import Response

        return Response(
            f"实时页面过多。Too many live pages: {self}.\n",
            status_code=self.status,
            media_type="text/plain",
            headers={"Retry-After": "60"},
        )


class StreamLimits:
    """Caps on open live streams (server-sent events): `per_viewer` for one session or, on the
    citizens' pages, one address, and `total` for the whole web. Each stream holds a socket and
    a file descriptor for as long as it is open; without a cap one viewer opening a thousand
    streams exhausts the controller's descriptors and every page fails for everyone.

        slot = limits.open(key)      # or StreamRefused
        ...                          # stream
        slot()                       # release (idempotent)
    """

    def __init__(self, *, per_viewer: int = 8, total: int = 400):
        self.per_viewer = per_viewer
        self.total = total
        self._open: dict[str, int] = {}
        self._count = 0

    def open(self, key: str):
        if self._count >= self.total:
            raise StreamRefused(
                f"the hall's web already carries {self.total} live pages, as many as it can; reload in a minute", 503
            )
        if self._open.get(key, 0) >= self.per_viewer:
            raise StreamRefused(f"you have {self.per_viewer} live pages open already; close one and reload", 429)
        self._open[key] = self._open.get(key, 0) + 1
        self._count += 1
        released = False

        def release() -> None:
            nonlocal released
            if released:
                return
            released = True
            self._count -= 1
            left = self._open[key] - 1
            if left:
                self._open[key] = left
            else:
                del self._open[key]

        return release

    @property
    def open_streams(self) -> int:
        return self._count


class Counted:
    """An ASGI response that releases its stream slot however it ends (finished, client gone,
    server stopping): the slot is taken before the response exists, released in `finally`."""

    def __init__(self, response, release):
        self.response = response
        self.release = release

    async def __call__(self, scope, receive, send):
        try:
            await self.response(scope, receive, send)
        finally:
            self.release()
