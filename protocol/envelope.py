"""The envelope every hall message travels in, and its checks.

Every MQTT payload in the hall is one UTF-8 JSON object of at most 16 KiB:

    {"v": 1, "type": "ticket.request", "id": "lq2x0k9c7f3a1b2c", "ts": "2026-11-21T05:49:00.123Z",
     ...the fields of that type...}

`v` is the protocol version, `type` a dotted lower-case name, `id` unique per sender (the
controller de-duplicates by it and replies quote it), `ts` the sender's UTC time in RFC 3339 with
milliseconds. A reply adds `re` (the request's id) and `ok`; a refusal adds `error: {code,
message}`. The type's own fields sit beside the envelope fields and come back as `Message.body`.

This module does not know which types exist (protocol/messages.py does); it only insists that
the type is well formed. `decode` checks everything a stranger could get wrong and raises one
`ProtocolError(code, message)` whose message names the bad field, so the controller can send it
back as an error reply without guessing.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

VERSION = 1
MAX_BYTES = 16 * 1024

ENVELOPE_FIELDS = frozenset({"v", "type", "id", "ts", "re", "ok", "error"})

# Error codes of ProtocolError; also what an error reply carries in `error.code`.
MALFORMED = "malformed"  # not UTF-8, not JSON, not an object
TOO_LARGE = "too_large"
UNSUPPORTED_VERSION = "unsupported_version"
BAD_FIELD = "bad_field"  # an envelope field missing or ill-typed

_TYPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")


class ProtocolError(ValueError):
    """A payload breaks the envelope contract; `code` is one of the constants above."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Refusal:
    """Why a request was refused: a short code for programs and a sentence for people."""

    code: str
    message: str


@dataclass(frozen=True)
class Message:
    """One hall message. `body` holds the fields of its type (everything but the envelope).

    `re` is set on replies only; `ok` tells whether the request was done; `error` says why not.
    """

    type: str
    id: str
    ts: str
    body: Mapping[str, Any] = field(default_factory=dict)
    re: str | None = None
    ok: bool | None = None
    error: Refusal | None = None
    v: int = VERSION

    @property
    def is_reply(self) -> bool:
        return self.re is not None

    @property
    def time(self) -> dt.datetime:
        """`ts` as an aware datetime."""
        return parse_ts(self.ts)


_ids = itertools.count(int.from_bytes(os.urandom(3), "big"))
_clock: Callable[[], float] = time.time  # what "now" is for ids and time stamps (see use_clock)


def use_clock(clock: Callable[[], float]) -> None:
    """Stamp new messages with `clock` (epoch seconds) instead of the real clock.

    The programs of the suite run on the hall's clock (hall/clock.py), which a test or the demo
    may start at another instant; the stamps on their messages must be on the same clock as the
    events they report, or a rating pressed "now" would look pressed hours away from its prompt.
    """
    global _clock
    _clock = clock


def new_id(now: float | None = None) -> str:
    """A new message id: 11 hex digits of milliseconds, then 5 of a per-process counter.

    Short (16 characters), sortable by creation time across senders to the millisecond, and
    unique per sender: the counter (started at a random value) cannot repeat within a
    millisecond, and a restarted program is in a later millisecond. Cheap, because the
    controller makes one for every reply.
    """
    ms = int((_clock() if now is None else now) * 1000)
    return f"{ms:011x}{next(_ids) & 0xFFFFF:05x}"


_second = [-1, ""]  # the last whole second formatted, and its text (one strftime a second)


def format_epoch(at: float) -> str:
    """RFC 3339 UTC with milliseconds for a time in epoch seconds, e.g. `2026-11-21T05:49:00.123Z`."""
    whole = int(at)
    if whole != _second[0]:
        _second[:] = [whole, time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(whole))]
    return f"{_second[1]}{int((at - whole) * 1000):03d}Z"


def format_ts(moment: dt.datetime | None = None) -> str:
    """RFC 3339 UTC with milliseconds, e.g. `2026-11-21T05:49:00.123Z`. Naive datetimes are refused."""
    if moment is None:
        return format_epoch(_clock())
    if moment.tzinfo is None:
        raise ValueError("format_ts needs an aware datetime; a naive one has no place on the wire")
    utc = moment.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_ts(text: str) -> dt.datetime:
    """Read an RFC 3339 time (any offset, any fraction); raises ValueError if it is not one."""
    if not isinstance(text, str) or not _RFC3339.fullmatch(text):
        raise ValueError(f"{text!r} is not an RFC 3339 time")
    return dt.datetime.fromisoformat(text.upper())  # ValueError for 2026-02-30 and the like


def make_message(
    type: str,
    body: Mapping[str, Any] | None = None,
    *,
    id: str | None = None,
    ts: str | None = None,
    now: float | None = None,
) -> Message:
    """A new message of `type` with a fresh id and the current time (both can be given; `now`,
    epoch seconds, stamps both with the caller's time instead of this process's clock)."""
    _check_type_name(type)
    body = _check_body(body)
    return Message(type=type, id=id or new_id(now), ts=ts or _stamp(now), body=body)


def _stamp(now: float | None) -> str:
    return format_ts() if now is None else format_epoch(now)


def make_reply(
    request: Message,
    body: Mapping[str, Any] | None = None,
    *,
    ok: bool = True,
    error: Refusal | tuple[str, str] | None = None,
    type: str | None = None,
    id: str | None = None,
    ts: str | None = None,
    now: float | None = None,
) -> Message:
    """The reply to `request`: `re` = its id, the same type unless `type` is given (`now` as
    for `make_message`).

    A refusal is `make_reply(request, ok=False, error=("no_such_service", "..."))`; `ok=False`
    without an error, or an error with `ok=True`, is a programming mistake (ValueError).
    """
    if isinstance(error, tuple):
        error = Refusal(*error)
    if ok and error is not None:
        raise ValueError("a successful reply carries no error")
    if not ok and error is None:
        raise ValueError("a refusal must say why: pass error=(code, message)")
    type = type or request.type
    _check_type_name(type)
    return Message(
        type=type,
        id=id or new_id(now),
        ts=ts or _stamp(now),
        body=_check_body(body),
        re=request.id,
        ok=ok,
        error=error,
    )


def encode(message: Message) -> bytes:
    """Compact UTF-8 JSON. Raises ProtocolError(TOO_LARGE) over 16 KiB, TypeError/ValueError
    for a body that JSON cannot carry (objects, NaN)."""
    obj: dict[str, Any] = {"v": message.v, "type": message.type, "id": message.id, "ts": message.ts}
    if message.re is not None:
        obj["re"] = message.re
        obj["ok"] = bool(message.ok)
        if message.error is not None:
            obj["error"] = {"code": message.error.code, "message": message.error.message}
    clash = ENVELOPE_FIELDS.intersection(message.body)
    if clash:
        raise ValueError(f"body field {sorted(clash)[0]!r} would overwrite the envelope")
    obj.update(message.body)
    raw = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    if len(raw) > MAX_BYTES:
        raise ProtocolError(
            TOO_LARGE, f"message of type {message.type!r} is {len(raw)} bytes, over the {MAX_BYTES}-byte limit"
        )
    return raw


def decode(payload: bytes | bytearray | memoryview) -> Message:
    """Check and read one payload; raises ProtocolError naming the first thing wrong with it."""
    raw = bytes(payload)
    if len(raw) > MAX_BYTES:
        raise ProtocolError(TOO_LARGE, f"message is {len(raw)} bytes, over the {MAX_BYTES}-byte limit")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ProtocolError(MALFORMED, f"message is not UTF-8 (bad byte at offset {e.start})") from None
    try:
        obj = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as e:
        where = f" at line {e.lineno} column {e.colno}" if isinstance(e, json.JSONDecodeError) else ""
        raise ProtocolError(MALFORMED, f"message is not valid JSON{where}") from None
    if not isinstance(obj, dict):
        raise ProtocolError(MALFORMED, f"message is a JSON {_json_kind(obj)}, not an object")

    if "v" not in obj:
        raise ProtocolError(BAD_FIELD, "field 'v' (protocol version) is missing")
    v = obj["v"]
    if not isinstance(v, int) or isinstance(v, bool):
        raise ProtocolError(BAD_FIELD, f"field 'v' must be an integer, not {_json_kind(v)}")
    if v != VERSION:
        raise ProtocolError(UNSUPPORTED_VERSION, f"field 'v' is {v}; this program speaks protocol version {VERSION}")

    type_ = _required_str(obj, "type")
    if not _TYPE.fullmatch(type_):
        raise ProtocolError(BAD_FIELD, f"field 'type' {type_!r} is not a dotted lower-case name like 'ticket.request'")
    id_ = _required_str(obj, "id")
    if not _ID.fullmatch(id_):
        raise ProtocolError(BAD_FIELD, f"field 'id' {id_[:80]!r} must be 1 to 64 letters, digits, '.', '_', ':' or '-'")
    ts = _required_str(obj, "ts")
    try:
        parse_ts(ts)
    except ValueError:
        raise ProtocolError(
            BAD_FIELD, f"field 'ts' {ts[:80]!r} is not an RFC 3339 time like '2026-11-21T05:49:00.123Z'"
        ) from None

    re_, ok, error = _reply_fields(obj)
    body = {k: val for k, val in obj.items() if k not in ENVELOPE_FIELDS}
    return Message(type=type_, id=id_, ts=ts, body=MappingProxyType(body), re=re_, ok=ok, error=error, v=v)


def _reply_fields(obj: dict[str, Any]) -> tuple[str | None, bool | None, Refusal | None]:
    if "re" not in obj:
        for name in ("ok", "error"):
            if name in obj:
                raise ProtocolError(BAD_FIELD, f"field {name!r} belongs to replies only, and this message has no 're'")
        return None, None, None
    re_ = obj["re"]
    if not isinstance(re_, str) or not _ID.fullmatch(re_):
        raise ProtocolError(BAD_FIELD, "field 're' must be the id (a string) of the message replied to")
    if "ok" not in obj:
        raise ProtocolError(BAD_FIELD, "field 'ok' is missing from a reply")
    ok = obj["ok"]
    if not isinstance(ok, bool):
        raise ProtocolError(BAD_FIELD, f"field 'ok' must be true or false, not {_json_kind(ok)}")
    if ok:
        if "error" in obj:
            raise ProtocolError(BAD_FIELD, "field 'error' is not allowed in a reply with ok=true")
        return re_, ok, None
    err = obj.get("error")
    if not isinstance(err, dict):
        raise ProtocolError(BAD_FIELD, "field 'error' must be an object {code, message} in a reply with ok=false")
    code, message = err.get("code"), err.get("message")
    if not isinstance(code, str) or not code:
        raise ProtocolError(BAD_FIELD, "field 'error.code' must be a non-empty string")
    if not isinstance(message, str):
        raise ProtocolError(BAD_FIELD, "field 'error.message' must be a string")
    return re_, ok, Refusal(code, message)


def _required_str(obj: dict[str, Any], name: str) -> str:
    if name not in obj:
        raise ProtocolError(BAD_FIELD, f"field {name!r} is missing")
    value = obj[name]
    if not isinstance(value, str):
        raise ProtocolError(BAD_FIELD, f"field {name!r} must be a string, not {_json_kind(value)}")
    return value


def _check_type_name(type_: str) -> None:
    if not isinstance(type_, str) or not _TYPE.fullmatch(type_):
        raise ValueError(f"message type {type_!r} is not a dotted lower-case name like 'ticket.request'")


def _check_body(body: Mapping[str, Any] | None) -> Mapping[str, Any]:
    body = dict(body or {})
    clash = ENVELOPE_FIELDS.intersection(body)
    if clash:
        raise ValueError(f"body field {sorted(clash)[0]!r} would overwrite the envelope")
    return MappingProxyType(body)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
