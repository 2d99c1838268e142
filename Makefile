# Still Here: `make run` installs and starts the bot, `make test` installs and checks everything.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= settings.toml

.PHONY: run test lint typecheck unit bench demo clean constraints

# Each stamp records that its install ran after the last change to pyproject.toml.
# Runtime dependencies are pinned by constraints.txt (make constraints renews it).
$(VENV)/.runtime: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

run: $(VENV)/.runtime
	$(BIN)/python -m bot --config $(CONFIG)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev
	$(BIN)/mypy

unit: $(VENV)/.dev
	$(BIN)/python -m pytest

test: lint typecheck unit

# Pin the runtime dependencies as this (tested) environment has them.
constraints: $(VENV)/.dev
	$(BIN)/python -m tools.constraints > constraints.txt

# Benchmarks: print figures against issue 9's targets (sizes: BENCH_WATCHES, BENCH_RUNS, ...).
# The fake Telegram they run against lives in tests/, so they need the dev install too.
bench: $(VENV)/.dev
	$(BIN)/python -m bench

# The core story without a token, against the fake Telegram (in tests/, hence the
# dev install): DEMO_LANGUAGE=en|ru|tk.
DEMO_LANGUAGE ?= en
demo: $(VENV)/.dev
	$(BIN)/python -m demo --language $(DEMO_LANGUAGE)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
