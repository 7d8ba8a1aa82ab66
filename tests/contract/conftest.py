"""What the contract tests share: the committed contract, read once per test session."""

import json
from pathlib import Path

import pytest
import yaml

DOCS = Path(__file__).parents[2] / "docs"


@pytest.fixture(scope="session")
def asyncapi_doc() -> dict:
    """docs/asyncapi.yaml as committed, read with PyYAML's safe loader."""
    return yaml.safe_load((DOCS / "asyncapi.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def committed_schemas() -> dict[str, dict]:
    """docs/schemas/<name>.json as committed, by name (`ticket.request`, `ticket.request.reply`)."""
    return {
        p.name.removesuffix(".json"): json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((DOCS / "schemas").glob("*.json"))
    }
