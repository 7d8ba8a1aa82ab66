"""Shared pieces for the `hall simulate` tests: the example hall and scenario, read fresh."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest

from hall import config

REPO = Path(__file__).resolve().parents[2]
HALL_TOML = REPO / "examples" / "hall.toml"
SCENARIO_TOML = REPO / "examples" / "scenario.toml"


@pytest.fixture(scope="session")
def hall():
    return config.load(HALL_TOML)


@pytest.fixture
def scenario_raw():
    """The example scenario as a dict, to change one field at a time."""
    return copy.deepcopy(tomllib.loads(SCENARIO_TOML.read_text(encoding="utf-8")))
