"""The message catalogue: documented examples validate, bad fields are named, roles are enforced."""

import re
from pathlib import Path

import pytest

from protocol import envelope, messages
from protocol.envelope import ProtocolError

DOC = Path(__file__).parents[2] / "docs" / "protocol.md"


def documented_blocks():
    return re.findall(r"```json\n(.*?)\n```", DOC.read_text(), re.S)


def test_the_protocol_doc_is_generated_from_the_catalogue():
    assert DOC.read_text() == messages.markdown(), "regenerate: python -m protocol.messages > docs/protocol.md"


def test_every_type_is_documented_with_an_example():
    text = DOC.read_text()
    sections = set(re.findall(r"^## `([a-z_.]+)`$", text, re.M))
    assert sections == set(messages.CATALOGUE)


def test_every_documented_example_validates():
    blocks = documented_blocks()
    assert len(blocks) >= len(messages.CATALOGUE)
    for block in blocks:
        message = envelope.decode(block.encode())
        if not message.is_reply or message.ok:
            messages.check(message)


def msg(type_name, **body):
    return envelope.make_message(type_name, body)


@pytest.mark.parametrize(
    "message, text",
    [
        (msg("ticket.request", servcie="social"), "field 'servcie' is not part of this message"),
        # the classes are the hall file's (elderly, disabled, ...): the engine refuses one it does not know
        (msg("ticket.request", service="social", **{"class": "v" * 33}), "field 'class' must be 1 to 32 characters"),
        (msg("ticket.printed"), "field 'ticket' is missing"),
        (msg("ticket.printed", ticket=23), "field 'ticket' must be a string"),
        (msg("ticket.printed", ticket=""), "field 'ticket' must be 1 to 64 characters"),
        (
            msg("rating.submit", prompt="x", level=5, pressed_at="2026-11-23T01:35:02.120Z"),
            "field 'level' must be between 1 and 4",
        ),
        (
            msg("rating.submit", prompt="x", level=True, pressed_at="2026-11-23T01:35:02.120Z"),
            "field 'level' must be a whole number",
        ),
        (
            msg("rating.submit", prompt="x", level=3, pressed_at="yesterday"),
            "field 'pressed_at' is not an RFC 3339 time",
        ),
        (msg("counter.pause", reason="nap"), "field 'reason' must be one of"),
        (msg("offline.backfill", tickets=[]), "field 'tickets' must hold 1 to 100 items"),
        (
            msg(
                "offline.backfill",
                tickets=[{"service": "social", "number": -1, "issued_at": "2026-11-23T01:20:00.000Z"}],
            ),
            "field 'tickets[0].number' must be at least 0",
        ),
        (msg("offline.backfill", tickets=["A950"]), "field 'tickets[0]' must be an object"),
        (msg("calls.ack", seq=1.5), "field 'seq' must be a whole number"),
        (msg("device.state", online="yes"), "field 'online' must be true or false"),
        (msg("no.such_type"), "there is no message type 'no.such_type'"),
    ],
)
def test_a_bad_message_is_refused_naming_the_field(message, text):
    with pytest.raises(ProtocolError) as err:
        messages.check(message)
    assert text in err.value.message


@pytest.mark.parametrize(
    "role, type_name, allowed",
    [
        ("kiosk", "ticket.request", True),
        ("kiosk", "counter.finish", False),
        ("caller", "counter.finish", True),
        ("caller", "ticket.request", False),
        ("evaluator", "rating.submit", True),
        ("display", "rating.submit", False),
        ("display", "calls.ack", True),
        ("kiosk", "device.state", True),
        ("kiosk", "call.made", False),
        ("evaluator", "board.snapshot", False),
    ],
)
def test_roles_may_send_only_their_types(role, type_name, allowed):
    assert messages.may_send(role, type_name) is allowed
    if not allowed:
        with pytest.raises(ProtocolError, match="may not send"):
            messages.check(envelope.make_message(type_name, messages.CATALOGUE[type_name].example), role=role)
