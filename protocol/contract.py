"""The hall's MQTT contract for integrators, generated from the message catalogue.

Someone writing a kiosk, a screen or a dashboard in another language should not have to read our
Python to know what to send. From the catalogue (protocol/messages.py) this writes:

    docs/schemas/<type>.json        JSON Schema (draft 2020-12) of a message of that type
    docs/schemas/<type>.reply.json  JSON Schema of a reply to it (types that are answered)
    docs/asyncapi.yaml              AsyncAPI 3.0 document: the broker, the topics, who sends what

Run `python -m protocol.contract docs` after changing the catalogue; the tests regenerate both in
memory and insist the committed files are the same.

The schemas say what the controller's own checks (envelope.decode, then messages.check) accept,
no more and no less, with two exceptions JSON Schema cannot express: the 16 KiB limit on a
payload, and that a whole number written with a fraction (`5.0`) is refused where the protocol
wants an integer (JSON Schema counts it as an integer). Other points where the natural schema
would differ from the checks are written so it does not:

* `ts` and the other times: the protocol parses them (no 30 February, no hour 24, an offset under
  24 hours), so the pattern spells out the calendar instead of relying on `format`, which most
  validators only annotate.
* Anchored patterns end in `$(?!\\n)`: `$` alone lets a final newline through in Python's `re`,
  which many validators use; in ECMA-262 regular expressions the lookahead changes nothing.
* A text field must hold something besides white space: the pattern `\\S`.

Imports only the standard library, the rest of protocol/, and PyYAML (for the one YAML file).
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from protocol import envelope
from protocol.messages import CATALOGUE, REFUSAL_EXAMPLE, Field, MessageType, example_message, example_reply

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
REGENERATE = "python -m protocol.contract docs"


def _anchored(regex: str) -> str:
    return f"^(?:{regex})$(?!\\n)"


_YEAR = "(?!0000)[0-9]{4}"
_LEAP_YEAR = "(?!0000)(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
_DATE = (
    f"{_YEAR}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
    f"|(?:0[13578]|1[02])-31)|{_LEAP_YEAR}-02-29"
)
# What envelope.parse_ts accepts: its pattern, and what datetime.fromisoformat then refuses (an
# offset of 24 hours or more; minutes past 59 are taken as they are, so +05:75 passes).
_TIME = "[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?"
_OFFSET = "[Zz]|[+-](?:(?:[01][0-9]|2[0-2]):[0-9]{2}|23:[0-5][0-9])"
TIME_PATTERN = _anchored(f"(?:{_DATE}){_TIME}(?:{_OFFSET})")
ID_PATTERN = _anchored(envelope._ID.pattern)  # noqa: SLF001 - the same package, one source for ids

# The topics: channel id -> address, who writes and reads, MQTT QoS and retain flag (as the
# gateway and devices/link.py publish them). tests/contract checks the addresses with topics.parse.
CHANNELS: dict[str, dict[str, Any]] = {
    "deviceUp": {
        "kind": "up",
        "address": "hall/{hall}/dev/{device}/up",
        "qos": 1,
        "retain": False,
        "description": "Everything a device asks or reports; only that device may write here.",
    },
    "deviceDown": {
        "kind": "down",
        "address": "hall/{hall}/dev/{device}/down",
        "qos": 1,
        "retain": False,
        "description": "The controller's replies (QoS 0: a device that misses one asks again), "
        "prompts and views for that device; only that device may read here.",
    },
    "deviceState": {
        "kind": "state",
        "address": "hall/{hall}/dev/{device}/state",
        "qos": 1,
        "retain": True,
        "description": "The device's retained presence and health; its last will says online=false.",
    },
    "board": {
        "kind": "board",
        "address": "hall/{hall}/board",
        "qos": 1,
        "retain": True,
        "description": "The retained snapshot the screens show.",
    },
    "calls": {
        "kind": "calls",
        "address": "hall/{hall}/calls",
        "qos": 1,
        "retain": False,
        "description": "Every call, with a gap-free sequence number.",
    },
    "alerts": {
        "kind": "alerts",
        "address": "hall/{hall}/alerts",
        "qos": 1,
        "retain": False,
        "description": "Alerts for the management web and supervisors (devices may not read them).",
    },
    "controllerState": {
        "kind": "controller/state",
        "address": "hall/{hall}/controller/state",
        "qos": 1,
        "retain": True,
        "description": "The controller's retained presence; its last will says online=false.",
    },
}


# --- JSON Schema -----------------------------------------------------------------------------


def field_schema(f: Field) -> dict[str, Any]:
    """The JSON Schema of one field, as messages.check judges it."""
    s: dict[str, Any] = {}
    if f.doc:
        s["description"] = f.doc
    if f.kind == "text":
        s["type"] = "string"
        if f.choices:
            s["enum"] = list(f.choices)
        else:
            s.update(minLength=1, maxLength=f.max_len, pattern="\\S")
    elif f.kind == "time":
        s["$ref"] = "#/$defs/time"
    elif f.kind == "bool":
        s["type"] = "boolean"
    elif f.kind in ("int", "number"):
        s["type"] = "integer" if f.kind == "int" else "number"
        if f.low is not None:
            s["minimum"] = f.low
        if f.high is not None:
            s["maximum"] = f.high
    elif f.kind == "object":
        s.update(object_schema(f.items) if f.items is not None else {"type": "object"})
    elif f.kind == "list":
        s["type"] = "array"
        if f.low:
            s["minItems"] = f.low
        if f.high is not None:
            s["maxItems"] = f.high
        if f.items is not None:
            s["items"] = object_schema(f.items)
    else:
        raise AssertionError(f"unknown field kind {f.kind!r}")
    if f.nullable:
        s["type"] = [s["type"], "null"]
        if "enum" in s:
            s["enum"].append(None)
    return s


def object_schema(fields: Mapping[str, Field]) -> dict[str, Any]:
    """An object with exactly these fields: unknown ones are refused, as messages.check does."""
    s: dict[str, Any] = {"type": "object", "properties": {name: field_schema(f) for name, f in fields.items()}}
    required = [name for name, f in fields.items() if f.required]
    if required:
        s["required"] = required
    s["additionalProperties"] = False
    return s


# Shared by every schema under $defs (and under components/schemas in the AsyncAPI document).
DEFS = {
    "time": {
        "description": "an RFC 3339 time, such as 2026-11-21T05:49:00.123Z; the pattern is the calendar "
        "the protocol checks (no 30 February, no hour 24, an offset under 24 hours)",
        "type": "string",
        "format": "date-time",
        "pattern": TIME_PATTERN,
    },
    "id": {
        "description": "a message id: 1 to 64 letters, digits, '.', '_', ':' or '-', a letter or digit first",
        "type": "string",
        "pattern": ID_PATTERN,
    },
}


def _envelope(t: MessageType) -> dict[str, Any]:
    return {
        "v": {"description": "protocol version", "type": "integer", "const": envelope.VERSION},
        "type": {"const": t.name},
        "id": {
            "description": "unique per sender; the controller de-duplicates by it and replies quote it",
            "$ref": "#/$defs/id",
        },
        "ts": {"description": "the sender's UTC time, RFC 3339 with milliseconds", "$ref": "#/$defs/time"},
    }


def _sent_by(t: MessageType) -> str:
    who = "any device" if t.sender == "device" else f"the {t.sender}"
    return f"Sent by {who} on {_channel_of(t)['address']}."


def message_schema(t: MessageType) -> dict[str, Any]:
    """A message of type `t` (not a reply): the envelope and the type's fields, nothing else."""
    body = object_schema(t.fields)
    return {
        "$schema": SCHEMA_DIALECT,
        "title": t.name,
        "description": f"{t.summary} {_sent_by(t)}",
        "type": "object",
        "properties": {**_envelope(t), **body["properties"]},
        "required": ["v", "type", "id", "ts", *body.get("required", [])],
        "additionalProperties": False,
        "examples": [_as_json(example_message(t))],
        "$defs": copy.deepcopy(DEFS),
    }


def reply_schema(t: MessageType) -> dict[str, Any]:
    """A reply to a message of type `t`: the envelope with `re`, `ok` and, when refused, `error`.

    The reply's own fields are the controller's business (messages.check does not look at them),
    so they are described, not constrained.
    """
    examples = [_as_json(example_reply(t))]
    if REFUSAL_EXAMPLE["type"] == t.name:
        examples.append(dict(REFUSAL_EXAMPLE))
    return {
        "$schema": SCHEMA_DIALECT,
        "title": f"{t.name} reply",
        "description": f"The controller's reply to {t.name}, on the device's down topic. When ok: {t.reply}.",
        "type": "object",
        "properties": {
            **_envelope(t),
            "re": {"description": "the id of the message replied to", "$ref": "#/$defs/id"},
            "ok": {"description": "whether the request was carried out", "type": "boolean"},
            "error": {
                "description": "why not: a code for programs, a sentence for people",
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string", "minLength": 1}, "message": {"type": "string"}},
            },
        },
        "required": ["v", "type", "id", "ts", "re", "ok"],
        "if": {"properties": {"ok": {"const": True}}},
        "then": {"not": {"required": ["error"]}},
        "else": {"required": ["error"]},
        "additionalProperties": True,
        "examples": examples,
        "$defs": copy.deepcopy(DEFS),
    }


def schemas() -> dict[str, dict[str, Any]]:
    """Every schema by name: `<type>` and, for answered types, `<type>.reply`."""
    out: dict[str, dict[str, Any]] = {}
    for t in CATALOGUE.values():
        out[t.name] = message_schema(t)
        if t.replied:
            out[f"{t.name}.reply"] = reply_schema(t)
    return out


def _as_json(message: envelope.Message) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(envelope.encode(message))
    return decoded


# --- AsyncAPI --------------------------------------------------------------------------------


def _channel_of(t: MessageType) -> dict[str, Any]:
    return next(c for c in CHANNELS.values() if c["kind"] == t.topic)


def _channel_id(t: MessageType) -> str:
    return next(cid for cid, c in CHANNELS.items() if c["kind"] == t.topic)


def _message(name: str, schema: dict[str, Any], summary: str, tag: str, correlation: str | None) -> dict[str, Any]:
    """A message object; `correlation` names the payload field that ties a request to its reply."""
    m: dict[str, Any] = {
        "name": name,
        "title": schema["title"],
        "summary": summary,
        "contentType": "application/json",
        "tags": [{"name": tag}],
    }
    if correlation:
        m["correlationId"] = {
            "description": "a reply's `re` is its request's `id`",
            "location": f"$message.payload#/{correlation}",
        }
    m["payload"] = {"$ref": f"#/components/schemas/{name}"}
    m["examples"] = [
        {"name": "example" if i == 0 else f"example{i + 1}", "payload": example}
        for i, example in enumerate(schema["examples"])
    ]
    return m


def asyncapi() -> dict[str, Any]:
    """The AsyncAPI 3.0 document, seen from the hall controller."""
    all_schemas = schemas()
    message_objects: dict[str, Any] = {}
    channel_messages: dict[str, dict[str, Any]] = {cid: {} for cid in CHANNELS}
    operations: dict[str, Any] = {}

    def ref_in(cid: str, name: str) -> dict[str, str]:
        return {"$ref": f"#/channels/{cid}/messages/{name}"}

    for t in CATALOGUE.values():
        cid = _channel_id(t)
        message_objects[t.name] = _message(
            t.name, all_schemas[t.name], t.summary, t.sender, "id" if t.replied else None
        )
        channel_messages[cid][t.name] = {"$ref": f"#/components/messages/{t.name}"}
        # message.refused stands in for a reply, and goes out as replies do, with QoS 0
        qos = 0 if t.name == "message.refused" else CHANNELS[cid]["qos"]
        op: dict[str, Any] = {
            "action": "send" if t.sender == "controller" else "receive",
            "channel": {"$ref": f"#/channels/{cid}"},
            "summary": t.summary,
            "messages": [ref_in(cid, t.name)],
            "bindings": {"mqtt": {"qos": qos, "retain": CHANNELS[cid]["retain"], "bindingVersion": "0.2.0"}},
        }
        if t.replied:
            name = f"{t.name}.reply"
            message_objects[name] = _message(
                name, all_schemas[name], f"The reply to {t.name} (QoS 0).", "controller", "re"
            )
            channel_messages["deviceDown"][name] = {"$ref": f"#/components/messages/{name}"}
            op["reply"] = {"channel": {"$ref": "#/channels/deviceDown"}, "messages": [ref_in("deviceDown", name)]}
        operations[f"{op['action']}.{t.name}"] = op

    channels = {}
    for cid, c in CHANNELS.items():
        params = {p: {"$ref": f"#/components/parameters/{p}"} for p in ("hall", "device") if f"{{{p}}}" in c["address"]}
        channels[cid] = {
            "address": c["address"],
            "description": c["description"],
            "parameters": params,
            "messages": channel_messages[cid],
        }

    # Inside AsyncAPI (whose schemas are draft-07 with extras) no $schema, and the shared
    # definitions once, beside the payloads; every keyword used means the same in both drafts.
    components_schemas = {f"hall.{name}": _in_components(s) for name, s in DEFS.items()}
    for name, s in all_schemas.items():
        components_schemas[name] = _in_components({k: v for k, v in s.items() if k not in ("$schema", "$defs")})

    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Hall suite MQTT protocol",
            "version": str(envelope.VERSION),
            "description": _INFO,
            "license": {"name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0"},
        },
        "defaultContentType": "application/json",
        "servers": {
            "hall": {
                "host": "{host}:{port}",
                "protocol": "mqtt",
                "protocolVersion": "3.1.1",
                "description": _SERVER,
                "variables": {
                    "host": {
                        "description": "the hall server's address (broker_listen in the hall file)",
                        "examples": ["hall-controller.local"],
                    },
                    "port": {"default": "1883"},
                },
                "security": [{"$ref": "#/components/securitySchemes/userPassword"}],
                "bindings": {"mqtt": {"cleanSession": True, "keepAlive": 15, "bindingVersion": "0.2.0"}},
            },
            "hall-tls": {
                "host": "{host}:{port}",
                "protocol": "secure-mqtt",
                "protocolVersion": "3.1.1",
                "description": "The same broker behind a TLS listener (TLS 1.2 or newer), for an untrusted "
                "network; it may also ask for a client certificate.",
                "variables": {
                    "host": {
                        "description": "the name on the broker's certificate",
                        "examples": ["hall-controller.local"],
                    },
                    "port": {"default": "8883"},
                },
                "security": [
                    {"$ref": "#/components/securitySchemes/userPassword"},
                    {"$ref": "#/components/securitySchemes/clientCertificate"},
                ],
                "bindings": {"mqtt": {"cleanSession": True, "keepAlive": 15, "bindingVersion": "0.2.0"}},
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": components_schemas,
            "messages": message_objects,
            "parameters": {
                "hall": {
                    "description": "the hall's id from its hall file (letters, digits, - or _, a letter or "
                    "digit first, at most 64)",
                    "examples": ["xinhua"],
                },
                "device": {
                    "description": "the device's id from the hall file, which is also its MQTT user name "
                    "and client id (letters, digits, - or _, at most 64)",
                    "examples": ["K1"],
                },
            },
            "securitySchemes": {
                "userPassword": {
                    "type": "userPassword",
                    "description": "One user per device (its device id) and one for the controller, "
                    "with passwords made by `hall provision`; anonymous clients are "
                    "refused. The ACL lets a device write only its own up and state "
                    "topics and read its own down topic, the board, the calls and the "
                    "controller's state.",
                },
                "clientCertificate": {
                    "type": "X509",
                    "description": "A client certificate, when the TLS listener requires one.",
                },
            },
        },
    }


_INFO = "\n\n".join(
    [
        "The topics and messages between the hall controller and the kiosks, counter keypads (callers), evaluators "
        "and displays of one public service hall, seen from the controller: it receives what devices send and "
        "sends replies, prompts, the board, calls and alerts.",
        "Every payload is one UTF-8 JSON object of at most 16 KiB with `v` (protocol version, 1), `type`, `id` and "
        "`ts`; the fields of the type sit beside them. Unknown fields are refused. A reply carries `re` (the "
        "request's id), `ok`, and when refused `error: {code, message}`. Integer fields take whole numbers written "
        "without a fraction (`5`, not `5.0`).",
        f"Generated from protocol/messages.py by `{REGENERATE}`; do not edit. Each payload schema is also a "
        "standalone JSON Schema (draft 2020-12) in docs/schemas/. The prose version is docs/protocol.md.\n",
    ]
)

_SERVER = (
    "The hall's MQTT broker (mosquitto, configured by `hall provision`). MQTT 3.1.1, clean sessions, "
    "keepalive 15 s; each client connects with its own user name as client id. Payloads over 16 KiB are "
    "refused by the controller; much larger ones never get past the broker."
)


def _in_components(node: Any) -> Any:
    """A schema with its `#/$defs/x` references pointing at `#/components/schemas/hall.x` instead."""
    if isinstance(node, dict):
        return {
            k: (v.replace("#/$defs/", "#/components/schemas/hall.") if k == "$ref" else _in_components(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_in_components(v) for v in node]
    return node


class _Dumper(yaml.SafeDumper):
    """Multi-line text as literal blocks, so the descriptions read as they were written."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _text)


# --- files -----------------------------------------------------------------------------------


def files() -> dict[str, str]:
    """Every generated file, by its path under docs/, with its text."""
    out = {f"schemas/{name}.json": json.dumps(s, ensure_ascii=False, indent=2) + "\n" for name, s in schemas().items()}
    out["asyncapi.yaml"] = (
        "# Generated from protocol/messages.py by `"
        + REGENERATE
        + "`; do not edit.\n"
        + yaml.dump(asyncapi(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    )
    return out


def write(docs: Path) -> list[Path]:
    """Write every file under `docs`, and delete schemas of types that no longer exist."""
    written = []
    generated = files()
    (docs / "schemas").mkdir(parents=True, exist_ok=True)
    for stale in (docs / "schemas").glob("*.json"):
        if f"schemas/{stale.name}" not in generated:
            stale.unlink()
    for rel, text in generated.items():
        path = docs / rel
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not Path(args[0]).is_dir():
        print(f"usage: {REGENERATE.replace('docs', 'DOCS_FOLDER')} (the project's docs/ folder)", file=sys.stderr)
        return 2
    written = write(Path(args[0]))
    print(f"wrote {len(written)} files under {args[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
