"""The web server on a thread of the controller process: uvicorn, started and stopped cleanly.

    server = WebServer(app, "127.0.0.1", 8080, on_stop=site.feed.close)
    server.start()          # listening when it returns (or WebError: the port is taken, …)
    ...
    server.stop()           # on_stop() run on the server's loop (live streams end), connections
                            # closed, thread joined

The socket is bound here, before uvicorn runs, so a taken port is one clear error at start-up
(and port 0 gives a free port, read back from `server.port`). uvicorn runs its own asyncio loop
on its own thread; being off the main thread it installs no signal handlers: the controller's
main thread handles Ctrl-C and SIGTERM and calls `stop()`.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Callable

log = logging.getLogger("hall.web")
START_S = 10.0
STOP_S = 10.0


class WebError(RuntimeError):
    """The web server cannot start (address taken, bad address); the message says which."""


def parse_listen(text: str, option: str = "--web") -> tuple[str, int] | None:
    """ "HOST:PORT" (or "[v6]:PORT") -> (host, port); "off" -> None. `option` names it in the error."""
    if text.strip().lower() == "off":
        return None
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise WebError(f"{option} is HOST:PORT (e.g. 127.0.0.1:8080) or off, not {text!r}")
    return host, int(port)


class WebServer:
    def __init__(
        self,
        app,
        host: str,
        port: int,
        *,
        on_stop: Callable[[], None] | None = None,
        trusted_proxy: str | None = None,
        public: tuple[object, str, int] | None = None,
    ):
        """`public`: (app, host, port) of a second listener on the same loop (the citizens'
        pages, `create_public_app`), started once the first one is up."""
        self.app = app
        self.public = public
        self.public_port: int | None = None
        self._public_sock: socket.socket | None = None
        self._public_server = None
        self.trusted_proxy = trusted_proxy
        self.on_stop = on_stop
        self._loop: asyncio.AbstractEventLoop | None = None
        self.host = host
        self.port = port
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._server = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def public_url(self) -> str | None:
        if self.public is None:
            return None
        host = self.public[1]
        return f"http://{f'[{host}]' if ':' in host else host}:{self.public_port}"

    @staticmethod
    def _bind(host: str, port: int) -> socket.socket:
        try:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(128)
        except OSError as e:
            raise WebError(f"the web cannot listen on {host}:{port}: {e.strerror or e}") from None
        return sock

    def start(self) -> None:
        import uvicorn  # here, so that `hall controller --web off` never loads the web stack

        sock = self._bind(self.host, self.port)
        self._sock = sock
        self.port = sock.getsockname()[1]
        if self.public is not None:
            try:
                self._public_sock = self._bind(self.public[1], self.public[2])
            except WebError:
                self._sock.close()
                self._sock = None
                raise
            self.public_port = self._public_sock.getsockname()[1]
        # Behind a reverse proxy (TLS), the client's address and scheme come from the proxy's
        # X-Forwarded-For/-Proto headers, believed only from the proxy's own address.
        proxy = (
            {"proxy_headers": True, "forwarded_allow_ips": self.trusted_proxy}
            if self.trusted_proxy
            else {"proxy_headers": False}
        )
        config = uvicorn.Config(
            self.app, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=3, ws="none", **proxy
        )
        self._server = uvicorn.Server(config)
        if self.public is not None:
            self._public_server = uvicorn.Server(
                uvicorn.Config(
                    self.public[0],
                    log_config=None,
                    access_log=False,
                    lifespan="off",
                    timeout_graceful_shutdown=3,
                    ws="none",
                    **proxy,
                )
            )
        self._thread = threading.Thread(target=self._run, name="hall-web", daemon=True)
        self._thread.start()
        deadline = threading.Event()

        def up() -> bool:
            return self._server.started and (self._public_server is None or self._public_server.started)

        for _ in range(int(START_S / 0.02)):
            if up() or not self._thread.is_alive():
                break
            deadline.wait(0.02)
        if not up():
            self.stop()
            raise WebError("the web server did not start (see the log)")
        log.info("management web on %s", self.url)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException:  # noqa: BLE001 - reported by start() or stop(); the thread must end
            log.exception("the web server stopped with an error")

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self._public_server is None:
            await self._server.serve(sockets=[self._sock])
            return
        staff = asyncio.create_task(self._server.serve(sockets=[self._sock]))
        while not self._server.started and not staff.done():
            await asyncio.sleep(0.01)  # the staff app's lifespan starts what the public app shares
        if staff.done():
            return await staff
        await asyncio.gather(staff, self._public_server.serve(sockets=[self._public_sock]))

    def stop(self) -> None:
        loop = self._loop
        if self.on_stop is not None and loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self.on_stop)
            except RuntimeError:
                pass  # the loop closed meanwhile
        if self._server is not None:
            self._server.should_exit = True
        if self._public_server is not None:
            self._public_server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_S)
            if self._thread.is_alive():
                log.warning("the web server did not stop within %.0f s", STOP_S)
            self._thread = None
        for name in ("_sock", "_public_sock"):
            sock = getattr(self, name)
            if sock is not None:
                sock.close()
                setattr(self, name, None)
