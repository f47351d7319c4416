# Centrex: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: install run test test-deps lint typecheck pytest bench clean

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	# caldav pulls in niquests, whose urllib3-future replaces urllib3 itself at every interpreter
	# start (a .pth hook): requests, botocore and schemathesis then break. caldav falls back to
	# requests when niquests is absent, so we keep the real urllib3.
	$(BIN)/pip uninstall --quiet --yes niquests urllib3-future
	$(BIN)/pip install --quiet --force-reinstall --no-deps "urllib3>=2"
	touch $@

# The portal loads its browser libraries from node_modules, pinned by package-lock.json: SIP.js for
# the softphone, Drawflow for the call-flow builder.
node_modules/.installed: package.json package-lock.json
	command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: install
	$(BIN)/centrex demo

test-deps:
	scripts/install-test-deps.sh

lint: install
	$(BIN)/ruff check centrex tests bench
	$(BIN)/ruff format --check centrex tests bench

typecheck: install
	$(BIN)/mypy centrex

# Two xdist workers: one runs the tests with real peers in order, the other everything else.
PYTEST_WORKERS ?= 2

pytest: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

test: install test-deps lint typecheck pytest

# Benchmarks (numbers in docs/performance.md): the call benchmarks also need tshark.
bench: install test-deps
	command -v tshark >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tshark
	bench/calls/run.sh

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache .pytest_cache
