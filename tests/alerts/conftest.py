"""Stand-ins for the channels, on this machine: an SMTP server (aiosmtpd) for the mailboxes and
an HTTP receiver for the group robots and webhooks (apprise's json:// pointed at it).

    smtp_inbox        an `Inbox` of the e-mails received: .url(to=...) is the channel's mailto:// URL
    webhook           an `Inbox` of the JSON posts received: .url is the channel's json:// URL
    dead_port         a loopback port where nothing listens (a channel that is down)
"""

from __future__ import annotations

import email
import email.policy
import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest

WAIT_S = 10.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """What a stand-in received: a list of (title, body), in order."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []
        self._changed = threading.Condition()
        self.url = ""

    def put(self, title: str, body: str) -> None:
        with self._changed:
            self.messages.append((title, body))
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float = WAIT_S) -> list[tuple[str, str]]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.messages) >= count, timeout):
                raise AssertionError(f"{len(self.messages)} message(s) received, not {count}, within {timeout:g} s")
            return list(self.messages)


@pytest.fixture
def smtp_inbox() -> Iterator[Inbox]:
    from aiosmtpd.controller import Controller

    inbox = Inbox()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert mail.get_content_type() == "text/plain", "alert e-mails are plain text"
            inbox.put(str(mail["subject"]), mail.get_content().replace("\r\n", "\n").strip())
            return "250 OK"

    port = free_port()
    server = Controller(Handler(), hostname="127.0.0.1", port=port)
    server.start()
    inbox.url = f"mailto://127.0.0.1:{port}?mode=insecure&from=hall@example.org&to=duty@example.org"
    yield inbox
    server.stop()


@pytest.fixture
def webhook() -> Iterator[Inbox]:
    inbox = Inbox()

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            inbox.put(body["title"], body["message"])
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    inbox.url = f"json://127.0.0.1:{server.server_port}/robot"
    yield inbox
    server.shutdown()
    server.server_close()


@pytest.fixture
def dead_port() -> int:
    return free_port()


def wait_until(predicate, what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        time.sleep(0.01)
