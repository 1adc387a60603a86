# The two commands of the README:
#   make demo   set everything up, then write the complete demo map set into outputs/demo/
#   make test   set everything up, then run the whole test suite
# Set-up is idempotent: a virtual environment in .venv with the pinned packages, and (for the tests)
# Debian's chromium and a Japanese font for the browser checks, PostgreSQL + PostGIS for the database round trip.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Where pinned sources are read from instead of the network (see README "Data"). Next to this
# checkout, the shared open-data folder stands in for the network.
GEO_DATA_MIRROR ?= $(if $(wildcard ../shared/data),$(abspath ../shared/data),)
export GEO_DATA_MIRROR

.PHONY: demo test lint setup system-deps clean

demo: setup
	$(BIN)/geo demo

# The 15 slowest tests are listed before pytest's closing line, which gives the suite's duration
# ("N passed in S s"); set-up time is printed by .ci/run.
test: setup system-deps
	$(BIN)/python -m pytest --durations=15 $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check geo tests scripts

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# Browser and database for the tests; Debian packages, installed once.
system-deps:
	@sh scripts/install_system_deps.sh

clean:
	rm -rf $(VENV) outputs/demo .pytest_cache
