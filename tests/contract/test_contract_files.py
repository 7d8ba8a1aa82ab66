"""The generated contract is committed as generated, and describes the topics protocol/ builds."""

from pathlib import Path

import jsonschema
import pytest

from protocol import contract, messages, topics

DOCS = Path(__file__).parents[2] / "docs"
STALE = f"the contract is stale: regenerate with `{contract.REGENERATE}` and commit docs/asyncapi.yaml, docs/schemas/"


def test_the_committed_contract_is_what_the_catalogue_generates():
    generated = contract.files()
    committed = {f"schemas/{p.name}" for p in (DOCS / "schemas").iterdir()} | {"asyncapi.yaml"}
    assert committed == set(generated), STALE
    for rel, text in generated.items():
        assert (DOCS / rel).read_text(encoding="utf-8") == text, f"{rel}: {STALE}"


def test_generating_twice_gives_the_same_bytes():
    assert contract.files() == contract.files()


def test_every_type_has_a_schema_and_every_answered_type_a_reply_schema(committed_schemas):
    expected = set(messages.CATALOGUE) | {f"{t.name}.reply" for t in messages.CATALOGUE.values() if t.replied}
    assert set(committed_schemas) == expected


def test_every_schema_is_a_valid_2020_12_schema(committed_schemas):
    for name, schema in committed_schemas.items():
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", name
        jsonschema.Draft202012Validator.check_schema(schema)


def test_the_command_writes_the_files_and_removes_schemas_of_types_that_are_gone(tmp_path, capsys):
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "ticket.vanished.json").write_text("{}")
    assert contract.main([str(tmp_path)]) == 0
    written = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    assert written == set(contract.files())
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [[], ["no-such-folder"], ["docs", "extra"]])
def test_the_command_without_a_docs_folder_says_how_to_use_it(argv, capsys):
    assert contract.main(argv) == 2
    assert "usage: python -m protocol.contract" in capsys.readouterr().err


def test_every_topic_kind_has_a_channel_whose_address_protocol_parses_back():
    assert {c["kind"] for c in contract.CHANNELS.values()} == {k.value for k in topics.Kind}
    for channel in contract.CHANNELS.values():
        topic = channel["address"].replace("{hall}", "xinhua").replace("{device}", "K1")
        route = topics.parse(topic, hall="xinhua")
        assert route.kind == channel["kind"]
        assert route.device == ("K1" if "{device}" in channel["address"] else None)
