# The two commands a newcomer types: `make demo` and `make test` (`make district-demo`: a district of 12 halls).
# Both create .venv on first use, install the project into it, and are safe to run again.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DURATION ?=

.PHONY: demo district-demo test check bench venv clean pi-check

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "hall needs Python 3.11 or newer; this is " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hall demo $(if $(DURATION),--duration $(DURATION))

district-demo: $(STAMP)
	$(BIN)/hall demo --district $(or $(HALLS),12) $(if $(DURATION),--duration $(DURATION))

test: $(STAMP)
	$(BIN)/python -m pytest

# The gates CI runs before the tests: lint and format (ruff), types (mypy, strict on the protocol,
# the engine and the devices' machines; see pyproject.toml).
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/hall bench

# Does every pinned dependency install on a Raspberry Pi (aarch64, Python 3.11)? Needs the package index.
pi-check: $(STAMP)
	$(BIN)/python deploy/pi_wheels.py

clean:
	rm -rf $(VENV) var build *.egg-info
