"""Every documented example validates against its schema, checked by an independent validator
(jsonschema), in both places it is documented: docs/protocol.md and docs/asyncapi.yaml."""

import json
import re
from pathlib import Path

import jsonschema

DOCS = Path(__file__).parents[2] / "docs"
EXAMPLES = 55  # 33 types, 21 replies, 1 refusal: a change here is a change in the docs


def schema_name(example: dict) -> str:
    return example["type"] + (".reply" if "re" in example else "")


def test_every_example_in_the_protocol_doc_validates_against_its_schema(committed_schemas):
    blocks = re.findall(r"```json\n(.*?)\n```", (DOCS / "protocol.md").read_text(encoding="utf-8"), re.S)
    examples = [json.loads(block) for block in blocks]
    assert len(examples) == EXAMPLES
    for example in examples:
        jsonschema.Draft202012Validator(committed_schemas[schema_name(example)]).validate(example)


def test_every_example_in_the_schemas_validates_against_its_schema(committed_schemas):
    for name, schema in committed_schemas.items():
        assert schema["examples"], name
        for example in schema["examples"]:
            assert schema_name(example) == name
            jsonschema.Draft202012Validator(schema).validate(example)


def test_every_message_example_in_the_asyncapi_document_validates_against_its_payload(asyncapi_doc):
    """AsyncAPI schemas are draft-07 JSON Schema with extras, their references point into the
    document: the whole document is the schema, with a root `$ref` to the payload (in draft-07 a
    `$ref` makes its siblings ignored, so only the payload's schema judges)."""
    count = 0
    for name, message in asyncapi_doc["components"]["messages"].items():
        validator = jsonschema.Draft7Validator({**asyncapi_doc, "$ref": message["payload"]["$ref"]})
        assert message["examples"], name
        for example in message["examples"]:
            validator.validate(example["payload"])
            count += 1
    assert count == EXAMPLES
