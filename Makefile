# The two commands of the README: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The install depends on what the two pyproject.toml files ask for, not on their version lines: a release bumps
# generated/pyproject.toml's version, and the editable install needs nothing new for that (no network either).
# So the stamp is named after a checksum of both files without their `version =` lines.
DEPENDENCIES := $(shell sed '/^version *=/d' pyproject.toml generated/pyproject.toml | cksum | cut -d ' ' -f 1)
STAMP := $(VENV)/.installed-$(DEPENDENCIES)

.PHONY: setup run test generate check coverage bench lint typecheck clean docs docs-serve

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]' -e './generated[emulator]'
	rm -f $(VENV)/.installed $(VENV)/.installed-*
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

# How much of the reference catalogue (../shared/reference) the schema covers; exit 1 on an unexplained gap.
coverage: setup
	$(PY) -m generator coverage

# Speed figures as ratios against baselines measured in the same run (not part of `make test`).
bench: setup
	$(PY) benchmarks/bench_codec.py
	$(PY) benchmarks/bench_client.py
	$(PY) benchmarks/bench_import.py
	$(PY) benchmarks/bench_regen.py
	$(PY) benchmarks/bench_cache_memory.py

lint: setup
	$(VENV)/bin/ruff check generator templates/runtime tests tools benchmarks generated/fleetfreedom

typecheck: setup
	$(VENV)/bin/mypy generator generated/fleetfreedom

# The published docs: generated/docs (regenerated with everything else) built into site/ (not committed).
DOCS_CONFIG := generated/docs/mkdocs.yml
export NO_MKDOCS_2_WARNING := 1

docs: setup
	$(VENV)/bin/mkdocs build --strict --clean -f $(DOCS_CONFIG) -d $(CURDIR)/site

docs-serve: setup
	$(VENV)/bin/mkdocs serve --strict -f $(DOCS_CONFIG) -a 127.0.0.1:8000

clean:
	rm -rf $(VENV) .cache .mypy_cache .ruff_cache .pytest_cache site test-artifacts
