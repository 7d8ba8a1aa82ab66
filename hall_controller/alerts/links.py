"""The reply link in an alert message: whoever holds the message can acknowledge the alert from
their phone without logging in to the management web.

The link names the alert and the channel it was sent to and carries an HMAC of both under the
controller's key (the one of the ticket links, kept apart by a prefix): it cannot be guessed or
turned into another alert's link, and the journal records which channel's link was used. Opening
it shows the alert and a button; only pressing the button (a POST) acknowledges, so a chat app
that fetches links for a preview acknowledges nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

TOKEN = re.compile(r"^[a-z2-7]{24}$")


def ack_token(secret: bytes, alert: int, channel: str) -> str:
    digest = hmac.new(secret, f"alert-ack:{alert}:{channel}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:15]).decode().lower()


def ack_url(web_url: str, secret: bytes, alert: int, channel: str) -> str:
    return f"{web_url}alerts/{alert}/ack/{channel}/{ack_token(secret, alert, channel)}"


def token_ok(secret: bytes, alert: int, channel: str, token: str) -> bool:
    return bool(TOKEN.match(token)) and hmac.compare_digest(token, ack_token(secret, alert, channel))
