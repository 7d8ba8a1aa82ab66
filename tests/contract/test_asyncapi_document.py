"""docs/asyncapi.yaml is a valid AsyncAPI 3.0.0 document, checked against the specification's own
JSON Schema (kept beside this file, see README.md), and its references all lead somewhere."""

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from protocol import messages

SPEC = Path(__file__).parent / "asyncapi-3.0.0.json"


@pytest.fixture(scope="module")
def spec_validator():
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(spec)
    return jsonschema.Draft7Validator(spec)


def problems(validator, doc) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(doc)]


def test_the_document_is_valid_asyncapi_3_0_0(spec_validator, asyncapi_doc):
    assert asyncapi_doc["asyncapi"] == "3.0.0"
    assert problems(spec_validator, asyncapi_doc) == []


@pytest.mark.parametrize(
    "spoil",
    [
        lambda d: d["operations"]["receive.ticket.request"].update(action="publish"),  # AsyncAPI 2's word
        lambda d: d["servers"]["hall"].pop("protocol"),
        lambda d: d["channels"]["deviceUp"].update(subscribe={}),
        lambda d: d["components"]["securitySchemes"]["userPassword"].update(type="password"),
    ],
)
def test_the_specification_schema_does_catch_a_spoilt_document(spec_validator, asyncapi_doc, spoil):
    doc = copy.deepcopy(asyncapi_doc)
    spoil(doc)
    assert problems(spec_validator, doc)


def resolve(doc, ref: str):
    assert ref.startswith("#/"), f"{ref}: only references inside the document are expected"
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{ref} leads nowhere"
        node = node[part]
    return node


def refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def test_every_reference_leads_somewhere(asyncapi_doc):
    found = list(refs(asyncapi_doc))
    assert len(found) > 100
    for ref in found:
        resolve(asyncapi_doc, ref)


def test_an_operations_messages_are_messages_of_its_channel_and_so_are_its_replies(asyncapi_doc):
    for name, op in asyncapi_doc["operations"].items():
        parts = [(op["channel"], op["messages"])]
        if "reply" in op:
            parts.append((op["reply"]["channel"], op["reply"]["messages"]))
        for channel, listed in parts:
            for message in listed:
                assert message["$ref"].startswith(channel["$ref"] + "/messages/"), name


def test_the_controller_receives_what_devices_send_and_sends_the_rest(asyncapi_doc):
    operations = asyncapi_doc["operations"]
    assert len(operations) == len(messages.CATALOGUE)
    for t in messages.CATALOGUE.values():
        action = "send" if t.sender == "controller" else "receive"
        op = operations[f"{action}.{t.name}"]
        assert op["messages"] == [{"$ref": f"{op['channel']['$ref']}/messages/{t.name}"}]
        assert ("reply" in op) == t.replied


def test_each_channel_declares_the_parameters_of_its_address(asyncapi_doc):
    for cid, channel in asyncapi_doc["channels"].items():
        named = {p for p in ("hall", "device") if f"{{{p}}}" in channel["address"]}
        assert set(channel["parameters"]) == named, cid


def test_the_broker_asks_for_a_user_and_password(asyncapi_doc):
    for server in asyncapi_doc["servers"].values():
        schemes = [resolve(asyncapi_doc, s["$ref"])["type"] for s in server["security"]]
        assert "userPassword" in schemes
