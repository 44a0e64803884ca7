# shipyard: two commands to know — `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=
PYTEST_ARGS ?=
# llama-cpp-python ships no binary wheel: it is built from source once per machine
# (about 5 minutes on 2 cores) and kept here, outside the repository, for every later install.
WHEELHOUSE ?= $(HOME)/.cache/shipyard/wheels
LLAMA_CPP_VERSION := 0.3.36
LLAMA_CPP_WHEEL := $(WHEELHOUSE)/.llama-cpp-python-$(LLAMA_CPP_VERSION)
PIP_INSTALL = $(BIN)/pip install -q -c constraints.txt --find-links $(WHEELHOUSE)

.PHONY: demo test check bench install install-dev services lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Reinstall only when the dependency list changes.
# constraints.txt pins what was tested, so pip does not spend minutes backtracking.
$(VENV)/.installed: pyproject.toml constraints.txt $(LLAMA_CPP_WHEEL) | $(BIN)/python
	$(PIP_INSTALL) -e '.[all]'
	@touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt $(LLAMA_CPP_WHEEL) | $(BIN)/python
	$(PIP_INSTALL) -e '.[dev]'
	@touch $@ $(VENV)/.installed

$(LLAMA_CPP_WHEEL): | $(BIN)/python
	@mkdir -p $(WHEELHOUSE)
	@echo "Building llama-cpp-python $(LLAMA_CPP_VERSION) once for this machine (about 5 minutes on 2 cores)..."
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/pip wheel -q --no-deps llama-cpp-python==$(LLAMA_CPP_VERSION) -w $(WHEELHOUSE)
	@touch $@

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
	@{ head -n 2 constraints.txt; $(BIN)/pip freeze --exclude-editable | grep -v '^-e' \
	  | sed -e 's|^llama_cpp_python @ .*|llama-cpp-python==$(LLAMA_CPP_VERSION)|' -e 's|^torch==\([0-9.]*\)+cpu|torch==\1|'; } > constraints.txt.new
	@mv constraints.txt.new constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
