# The two commands of the README: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test generate check lint typecheck clean docs docs-serve

$(STAMP): pyproject.toml generated/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]' -e ./generated
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(PY) -m generator generate

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

# The published docs: generated/docs (regenerated with everything else) built into site/ (not committed).
DOCS_CONFIG := generated/docs/mkdocs.yml
export NO_MKDOCS_2_WARNING := 1

docs: setup
	$(VENV)/bin/mkdocs build --strict --clean -f $(DOCS_CONFIG) -d $(CURDIR)/site

docs-serve: setup
	$(VENV)/bin/mkdocs serve --strict -f $(DOCS_CONFIG) -a 127.0.0.1:8000

clean:
	rm -rf $(VENV) .cache .mypy_cache .ruff_cache .pytest_cache site test-artifacts
