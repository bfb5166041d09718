# Every target creates or refreshes .venv from requirements.lock first; all are safe to re-run.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test lint typecheck pytest ui screenshots lock clean simulator simulator-pospal webhook bench-webhook bench chaos

venv: $(STAMP)

# Re-installs only when the lock, the project metadata or the native flattener's C changed
# (the editable install compiles it into etl/flatten/).
NATIVE_SOURCES := setup.py $(wildcard etl/flatten/native/*.c etl/flatten/native/*.h)

$(STAMP): requirements.lock pyproject.toml $(NATIVE_SOURCES)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pos-warehouse demo

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy etl

pytest: $(STAMP)
	$(BIN)/pytest

ui: $(STAMP)
	$(BIN)/pos-warehouse ui

# Refreshes the README's screenshots (make test saves them into a temp folder instead).
screenshots: $(STAMP)
	POS_WAREHOUSE_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots $(BIN)/pytest tests/ui -q

simulator: $(STAMP)
	$(BIN)/python -m etl.simulator qianhub --port 8765

bench-webhook: $(STAMP)
	$(BIN)/python -m etl.bench.webhook

# Fault matrix and kill -9 trials against the simulators; writes docs/reliability.md.
chaos: $(STAMP)
	$(BIN)/python -m etl.chaos

# The loader benchmark, in its own venv: dlt, pandas and orjson never reach .venv.
# Size and options: make bench BENCH_ARGS="--bills 200000 --tickets 200000"
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed
BENCH_ARGS ?=

$(BENCH_STAMP): requirements-bench.lock pyproject.toml $(NATIVE_SOURCES)
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade "pip>=24"
	$(BENCH_VENV)/bin/python -m pip install --quiet -r requirements-bench.lock
	$(BENCH_VENV)/bin/python -m pip install --quiet --no-deps -e .
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BENCH_VENV)/bin/python -m etl.bench $(BENCH_ARGS)

webhook: $(STAMP)
	$(BIN)/pos-warehouse webhook --host 127.0.0.1 --port 8780

simulator-pospal: $(STAMP)
	$(BIN)/python -m etl.simulator pospal --port 8766

# Maintainers only: needs network access to PyPI and uv (pip install uv).
lock:
	uv pip compile requirements.in --python-version 3.11 --no-emit-package pos-warehouse -o requirements.lock

clean:
	rm -rf $(VENV) $(BENCH_VENV) .mypy_cache .ruff_cache .pytest_cache
