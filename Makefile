# The two commands of the README: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test generate check lint typecheck clean

$(STAMP): pyproject.toml generated/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]' -e './generated[emulator]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(PY) -m generator generate
	$(PY) examples/with_emulator.py examples/quickstart.py

generate: setup
	$(PY) -m generator generate

check: setup
	$(PY) -m generator check

test: setup
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check generator templates/runtime tests generated/fleetfreedom

typecheck: setup
	$(VENV)/bin/mypy generator templates/runtime/fleetfreedom generated/fleetfreedom

clean:
	rm -rf $(VENV) .cache .mypy_cache .ruff_cache .pytest_cache
