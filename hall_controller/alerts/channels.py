"""Sending one message to one channel, through apprise (WeCom and DingTalk group robots, SMTP
e-mail, JSON/form webhooks): the only network code of the alerts, run on the notifier's thread.

`send(url, title, body)` returns None when the channel took the message, else one sentence
saying why not (apprise's own log lines, which never carry the URL's secrets in full). Every
call waits at most about CONNECT_S + READ_S for a channel that is down.
"""

from __future__ import annotations

import logging
import threading
import warnings
from urllib.parse import urlsplit

CONNECT_S, READ_S = 5, 10
_loading = threading.Lock()
_apprise = None


def load():
    """apprise, with its plugins loaded once (its e-mail plugin imports the deprecated imghdr
    module on Python 3.11 and 3.12; that warning is apprise's business, not the hall's).

    Call it before the controller serves: loading takes about half a second of CPU with the
    interpreter's lock held, which on the notifier's thread would stall the controller's loop."""
    global _apprise
    with _loading:
        if _apprise is None:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".imghdr. is deprecated", category=DeprecationWarning)
                import apprise

                apprise.Apprise().add("json://localhost")  # loads every plugin now, under this filter
            # apprise's lines are caught per send (LogCapture) and go into our own log line, once
            logging.getLogger("apprise").propagate = False
            _apprise = apprise
    return _apprise


def unusable(urls: dict[str, str]) -> str | None:
    """The name of the first channel whose URL apprise cannot use (a key of the wrong shape, a
    missing part), or None: checked when the controller starts, not at the first alert."""
    apprise = load()
    with apprise.LogCapture(level=logging.WARNING):  # apprise's own complaint would quote the secret
        for name, url in urls.items():
            if apprise.Apprise.instantiate(with_defaults(url)) is None:
                return name
    return None


def with_defaults(url: str) -> str:
    """The URL with apprise's connect and read timeouts (cto, rto) unless it names its own, and
    plain-text e-mail (apprise would turn the text into HTML and lose its lines)."""
    split = urlsplit(url)
    defaults = [("cto", CONNECT_S), ("rto", READ_S)]
    if split.scheme.lower() in ("mailto", "mailtos"):
        defaults.append(("format", "text"))
    extra = [f"{k}={v}" for k, v in defaults if f"{k}=" not in split.query]
    if not extra:
        return url
    return url + ("&" if "?" in url else "?") + "&".join(extra)


def send(url: str, title: str, body: str) -> str | None:
    apprise = load()
    # Sent on this thread (no async mode, no overall service timeout): apprise would otherwise hand
    # the call to its pool of worker threads, and Python's exit waits for those, so a hanging
    # channel would hold up the controller's stop. The URL's cto/rto bound the call instead.
    notifier = apprise.Apprise(asset=apprise.AppriseAsset(async_mode=False, service_timeout=0))
    if not notifier.add(with_defaults(url)):
        return "apprise does not understand this channel's URL (check the secrets file)"
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
        ok = notifier.notify(title=title, body=body)
        lines = [line.strip() for line in captured.getvalue().splitlines() if line.strip()]
    if ok:
        return None
    return (lines[-1] if lines else "the channel did not take the message")[:300]
