# Wirehouse developer commands. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Prefect keeps its database and settings inside the project for every make target
# (never ~/.prefect); no telemetry calls, since the machine may be offline.
export PREFECT_HOME := $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: setup demo test lint eval bench screenshots clean

$(STAMP): pyproject.toml tests/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -e '.[dev]' -c tests/constraints.txt
	touch $@

setup: $(STAMP)

demo: $(STAMP)  ## ingest seeds/ into ./data and show what landed
	$(BIN)/wirehouse ingest seeds --warehouse data

test: $(STAMP)  ## lint, then the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

eval: $(STAMP)  ## accuracy figures against ../shared/eval (skips when absent)
	$(BIN)/python -m bench.evaluate ../shared/eval

N ?= 10000
bench: $(STAMP)  ## throughput against the peers on N synthetic articles (make bench N=100000)
	$(BIN)/python -m bench.throughput $(N)

screenshots: $(STAMP)  ## re-take docs/ui-*.png from the UI test (needs chromium)
	WIREHOUSE_SCREENSHOT_DIR=docs $(BIN)/pytest -q tests/test_ui.py

clean:  ## stop the local Prefect server, delete what the targets made
	-$(BIN)/wirehouse server stop
	rm -rf data .prefect .pytest_cache .ruff_cache
