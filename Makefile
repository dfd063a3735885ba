# The two commands of the README: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The install depends on what the two pyproject.toml files ask for, not on their version lines: a release bumps
# generated/pyproject.toml's version, and the editable install needs nothing new for that (no network either).
# So the stamp is named after a checksum of both files without their `version =` lines, and of INSTALL_STEPS,
# which names how the install is done (change it when the recipe below changes, so old .venvs are redone).
INSTALL_STEPS := generated-package-editable-compat
DEPENDENCIES := $(shell { sed '/^version *=/d' pyproject.toml generated/pyproject.toml; echo $(INSTALL_STEPS); } \
	| cksum | cut -d ' ' -f 1)
STAMP := $(VENV)/.installed-$(DEPENDENCIES)

.PHONY: setup run test generate check coverage wire bench soak mutation lint typecheck clean docs docs-serve

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	# compat mode: a plain path .pth instead of an import hook, so mypy in this .venv finds `fleetfreedom`
	$(PY) -m pip install --quiet -e './generated[emulator]' --config-settings editable_mode=compat
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

# The whole suite runs over the default transport (picows when installed: the dev extra installs it); then the
# client tests again over websockets, and once with `import picows` blocked, proving the fallback without it.
CLIENT_TESTS := tests/test_transport.py tests/test_client_behaviour.py tests/test_client_surface.py \
	tests/test_reconnect_policy.py tests/test_reliability_client_address.py tests/test_reliability_proxy.py \
	tests/test_machine_auth.py tests/test_cache.py tests/test_cache_streams.py tests/test_wire_receipt.py
# Branch coverage of the generator and the package is measured on the main run and its total printed after it
# (`.venv/bin/python -m coverage report` lists the files); pytest's own exit status decides.
test: setup
	$(PY) -m coverage run -m pytest
	@echo "branch coverage (generator/, runtime/, the generated package): $$($(PY) -m coverage report --format=total) %"
	@if $(PY) -c 'import picows' 2>/dev/null; then $(PY) -m pytest -q $(CLIENT_TESTS) --transport=websockets; fi
	$(PY) -m pytest -q $(CLIENT_TESTS) --without-picows

# How much of the reference catalogue (../shared/reference) the schema covers; exit 1 on an unexplained gap.
coverage: setup
	$(PY) -m generator coverage

# The schema against the vendor's own clients, key by key (needs ../shared/reference/vendor-wire).
wire: setup
	$(PY) -m generator wire

# Speed figures as ratios against baselines measured in the same run (not part of `make test`).
bench: setup
	$(PY) benchmarks/bench_codec.py
	$(PY) benchmarks/bench_client.py
	$(PY) benchmarks/bench_import.py
	$(PY) benchmarks/bench_regen.py
	$(PY) benchmarks/bench_cache_memory.py

# Caches and writers through fault proxies, then a checker: staleness, offline gaps, lost writes (not part of
# `make test`, which runs a one-minute version). Harsher: make soak SOAK_ARGS="--duration 600 --faults-every 3-5"
SOAK_ARGS ?= --duration 180 --faults-every 6-8
soak: setup
	$(PY) tests/soak.py $(SOAK_ARGS)

# Mutation testing (mutmut) of the modules where a silent bug costs users most; slow, so not part of `make test`.
# One module: make mutation MODULE=codec (protocol, codec, cache, emulator, generator); MUTATION_ARGS=--show adds
# the diff of every surviving mutant. README, "Mutation testing", says what the figures mean.
MODULE ?=
MUTATION_ARGS ?=
mutation: setup
	$(PY) tools/mutation.py $(MUTATION_ARGS) $(MODULE)

lint: setup
	$(VENV)/bin/ruff check generator runtime tests benchmarks tools generated/fleetfreedom

# tests, benchmarks, tools and examples too: they call the package as a user's code would.
typecheck: setup
	$(VENV)/bin/mypy generator generated/fleetfreedom tests benchmarks tools examples

# The published docs: generated/docs (regenerated with everything else) built into site/ (not committed).
DOCS_CONFIG := generated/docs/mkdocs.yml
export NO_MKDOCS_2_WARNING := 1

docs: setup
	$(VENV)/bin/mkdocs build --strict --clean -f $(DOCS_CONFIG) -d $(CURDIR)/site

docs-serve: setup
	$(VENV)/bin/mkdocs serve --strict -f $(DOCS_CONFIG) -a 127.0.0.1:8000

clean:
	rm -rf $(VENV) .cache .mypy_cache .ruff_cache .pytest_cache site test-artifacts .coverage
