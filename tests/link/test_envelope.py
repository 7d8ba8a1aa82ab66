"""The envelope: every message round-trips, every kind of bad payload gets one named error."""

import datetime as dt
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol import envelope
from protocol.envelope import (
    BAD_FIELD,
    MALFORMED,
    MAX_BYTES,
    TOO_LARGE,
    UNSUPPORTED_VERSION,
    Message,
    ProtocolError,
    Refusal,
    decode,
    encode,
    make_message,
    make_reply,
)

GOOD = {"v": 1, "type": "ticket.request", "id": "lq2x0k9c7f3a1b2c", "ts": "2026-11-21T05:49:00.123Z"}


def payload(**changes):
    obj = {**GOOD, **changes}
    return json.dumps({k: v for k, v in obj.items() if v is not ...}).encode()


def test_message_round_trip_keeps_every_field_and_chinese_text():
    message = make_message(
        "ticket.request", {"service": "social", "note": "请 A023 号到 5 号窗口办理", "n": [1, 2.5, None]}
    )
    raw = encode(message)
    assert "请 A023".encode() in raw  # UTF-8, not \\u escapes
    assert b": " not in raw and b", " not in raw  # compact
    back = decode(raw)
    assert back == message
    assert back.body["note"] == "请 A023 号到 5 号窗口办理"
    assert not back.is_reply


def test_reply_and_refusal_round_trip():
    request = make_message("counter.call_next", {"counter": 5})
    reply = make_reply(request, {"ticket": "A023"})
    assert (reply.re, reply.ok, reply.type) == (request.id, True, "counter.call_next")
    assert decode(encode(reply)) == reply
    refusal = make_reply(request, ok=False, error=("counter_closed", "counter 5 is closed"))
    back = decode(encode(refusal))
    assert back.ok is False and back.error == Refusal("counter_closed", "counter 5 is closed")
    assert back.is_reply


def test_make_reply_refuses_contradictions():
    request = make_message("rating.submit")
    with pytest.raises(ValueError, match="must say why"):
        make_reply(request, ok=False)
    with pytest.raises(ValueError, match="carries no error"):
        make_reply(request, ok=True, error=("x", "y"))


def test_body_may_not_overwrite_the_envelope():
    with pytest.raises(ValueError, match="'id' would overwrite the envelope"):
        make_message("ticket.request", {"id": "mine"})


@pytest.mark.parametrize(
    "type_",
    [
        "",
        "ticket",
        "Ticket.request",
        "ticket..request",
        "ticket.request.",
        ".a",
        "ticket-request",
        "票.request",
        "1a.b",
    ],
)
def test_make_message_refuses_ill_formed_types(type_):
    with pytest.raises(ValueError, match="not a dotted lower-case name"):
        make_message(type_)


def test_any_well_formed_type_is_accepted_whatever_it_means():
    for type_ in ("ticket.request", "offline.backfill", "a.b.c", "counter.call_next", "x1.y_2"):
        assert decode(encode(make_message(type_))).type == type_


BAD = [
    (b"\xff\xfe{}", MALFORMED, "not UTF-8"),
    (b'{"v": 1,', MALFORMED, "not valid JSON at line 1"),
    (b"", MALFORMED, "not valid JSON"),
    (b"[1, 2]", MALFORMED, "JSON array, not an object"),
    (b'"hello"', MALFORMED, "JSON string, not an object"),
    (b"null", MALFORMED, "JSON null, not an object"),
    (b'{"v": NaN}', MALFORMED, "not valid JSON"),
    (b"[" * 5000 + b"]" * 5000, MALFORMED, "not valid JSON"),  # nesting deeper than Python recurses
    (payload(v=...), BAD_FIELD, "field 'v' (protocol version) is missing"),
    (payload(v="1"), BAD_FIELD, "field 'v' must be an integer, not string"),
    (payload(v=True), BAD_FIELD, "field 'v' must be an integer, not boolean"),
    (payload(v=1.0), BAD_FIELD, "field 'v' must be an integer, not number"),
    (payload(v=2), UNSUPPORTED_VERSION, "field 'v' is 2"),
    (payload(type=...), BAD_FIELD, "field 'type' is missing"),
    (payload(type=7), BAD_FIELD, "field 'type' must be a string, not number"),
    (payload(type="Ticket"), BAD_FIELD, "field 'type' 'Ticket' is not a dotted lower-case name"),
    (payload(id=...), BAD_FIELD, "field 'id' is missing"),
    (payload(id=None), BAD_FIELD, "field 'id' must be a string, not null"),
    (payload(id=""), BAD_FIELD, "field 'id' '' must be 1 to 64"),
    (payload(id="a b"), BAD_FIELD, "field 'id' 'a b' must be"),
    (payload(id="x" * 65), BAD_FIELD, "field 'id'"),
    (payload(ts=...), BAD_FIELD, "field 'ts' is missing"),
    (payload(ts=1732168140), BAD_FIELD, "field 'ts' must be a string, not number"),
    (payload(ts="2026-11-21 05:49:00"), BAD_FIELD, "field 'ts' '2026-11-21 05:49:00' is not an RFC 3339 time"),
    (payload(ts="2026-11-21T05:49:00.123"), BAD_FIELD, "field 'ts'"),  # no offset
    (payload(ts="2026-02-30T05:49:00.123Z"), BAD_FIELD, "field 'ts'"),  # no such day
    (payload(ts="yesterday"), BAD_FIELD, "field 'ts' 'yesterday'"),
    (payload(ok=True), BAD_FIELD, "field 'ok' belongs to replies only"),
    (payload(error={"code": "x", "message": "y"}), BAD_FIELD, "field 'error' belongs to replies only"),
    (payload(re=5, ok=True), BAD_FIELD, "field 're' must be the id"),
    (payload(re="abc"), BAD_FIELD, "field 'ok' is missing from a reply"),
    (payload(re="abc", ok="yes"), BAD_FIELD, "field 'ok' must be true or false, not string"),
    (payload(re="abc", ok=False), BAD_FIELD, "field 'error' must be an object"),
    (payload(re="abc", ok=False, error="bad"), BAD_FIELD, "field 'error' must be an object"),
    (payload(re="abc", ok=False, error={"message": "m"}), BAD_FIELD, "field 'error.code'"),
    (payload(re="abc", ok=False, error={"code": "c", "message": 3}), BAD_FIELD, "field 'error.message'"),
    (payload(re="abc", ok=True, error={"code": "c", "message": "m"}), BAD_FIELD, "not allowed in a reply with ok=true"),
]


@pytest.mark.parametrize("raw, code, words", BAD, ids=[w for _, _, w in BAD])
def test_every_bad_payload_gets_one_protocol_error_naming_the_problem(raw, code, words):
    with pytest.raises(ProtocolError) as caught:
        decode(raw)
    assert caught.value.code == code
    assert words in caught.value.message
    assert "\n" not in caught.value.message


def test_size_limit_is_16_kib_exactly():
    base = len(payload(pad=""))
    exact = payload(pad="x" * (MAX_BYTES - base))
    assert len(exact) == MAX_BYTES
    assert decode(exact).body["pad"].startswith("x")
    with pytest.raises(ProtocolError) as caught:
        decode(payload(pad="x" * (MAX_BYTES - base + 1)))
    assert caught.value.code == TOO_LARGE
    with pytest.raises(ProtocolError) as caught:
        encode(make_message("offline.backfill", {"tickets": ["A001"] * 3000}))
    assert caught.value.code == TOO_LARGE


def test_unknown_fields_of_the_type_pass_through_the_envelope():
    message = decode(payload(service="social", **{"class": "priority"}))
    assert dict(message.body) == {"service": "social", "class": "priority"}


def test_body_is_read_only():
    message = decode(payload(service="social"))
    with pytest.raises(TypeError):
        message.body["service"] = "other"


def test_ids_are_short_unique_and_sort_by_time():
    ids = [envelope.new_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[0-9a-z]{16}", i) for i in ids)
    moments = [1_700_000_000.0 + k * 0.001 for k in range(0, 5000, 7)]
    timed = [envelope.new_id(now) for now in moments]
    assert timed == sorted(timed)


def test_timestamps_are_utc_rfc3339_with_milliseconds():
    moment = dt.datetime(2026, 11, 21, 13, 49, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert envelope.format_ts(moment) == "2026-11-21T05:49:00.123Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", make_message("a.b").ts)
    assert envelope.parse_ts("2026-11-21T13:49:00.1+08:00") == dt.datetime(
        2026, 11, 21, 5, 49, 0, 100000, tzinfo=dt.UTC
    )
    assert decode(payload(ts="2026-11-21t05:49:00z")).time.year == 2026  # RFC 3339 allows lower case
    with pytest.raises(ValueError, match="naive"):
        envelope.format_ts(dt.datetime(2026, 1, 1))


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    body=st.dictionaries(
        st.text(min_size=1, max_size=10).filter(lambda k: k not in envelope.ENVELOPE_FIELDS), json_values, max_size=6
    )
)
def test_any_json_body_round_trips(body):
    message = make_message("test.body", body)
    assert decode(encode(message)) == Message(type="test.body", id=message.id, ts=message.ts, body=body)
