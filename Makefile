# shipyard: two commands to know — `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=
PYTEST_ARGS ?=

.PHONY: demo test check bench install install-dev services lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Reinstall only when the dependency list changes.
# constraints.txt pins what was tested, so pip does not spend minutes backtracking.
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e '.[all]'
	@touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## demo: set up, train the demo models as tracked runs, then serve the UI (ARGS=--no-serve to skip)
demo: $(VENV)/.installed
	$(BIN)/shipyard demo $(ARGS)

## test: set up everything the tests need (Chromium, services) and run them
test: $(VENV)/.installed-dev services
	$(BIN)/pytest $(PYTEST_ARGS)

services:
	@bash scripts/test-services.sh

## check: lint, format check, strict typing, and the layer contract of DESIGN.md
check: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/mypy
	$(BIN)/lint-imports

## bench: side-by-side benchmarks against the peers (see benchmarks/README.md)
bench: $(VENV)/.installed-dev
	bash benchmarks/run.sh

## lock: re-pin constraints.txt to what the dev venv has now (after changing dependencies)
lock: $(VENV)/.installed-dev
	@{ head -n 2 constraints.txt; $(BIN)/pip freeze --exclude-editable | grep -v '^-e'; } > constraints.txt.new
	@mv constraints.txt.new constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
