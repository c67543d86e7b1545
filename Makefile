# mmm: set up a virtualenv with a Python >= 3.12 and run the tool or its tests.
#   make demo   create .venv, install, fit the bundled sample config
#   make test   create .venv with dev extras, lint (ruff, mypy), run the whole test suite
#   make data   regenerate the bundled sample data (mmmcli/samples/) with mmmsim
#   make bench  mmm vs pymc-marketing (own venv), refit compile, scaling: see docs/performance.md
#   make corpus the stress corpus fitted with default settings, scored against its truth
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The first interpreter >= 3.12 found: $(PYTHON) if given, then PATH, then pyenv's.
PYTHON ?= $(shell for p in python3.12 python3.13 python3 \
	  $$HOME/.pyenv/versions/3.12*/bin/python3 /root/.pyenv/versions/3.12*/bin/python3 \
	  $$HOME/.pyenv/versions/3.13*/bin/python3; do \
	  if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; \
	  then command -v $$p; break; fi; done)

.PHONY: demo test lint format data bench corpus clean

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
	  echo "error: mmm needs Python >= 3.12 (PyMC 6.4); none found on PATH or in pyenv. Install one, or run 'make PYTHON=/path/to/python3.12'." >&2; \
	  exit 2; fi
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/mmm fit configs/example.yaml

test: lint
	$(BIN)/python -m pytest -q --durations=15

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

data: $(STAMP)
	$(BIN)/python -m mmmsim.sample

# ROUNDS alternating rounds per tool (medians); pymc-marketing goes into bench/.venv-pmm.
ROUNDS ?= 3
bench: $(STAMP)
	$(BIN)/python bench/run.py compare --rounds $(ROUNDS)
	$(BIN)/python bench/run.py refit
	$(BIN)/python bench/run.py scaling
	$(BIN)/python bench/run.py optimize
	$(BIN)/python bench/run.py validate
	$(BIN)/python bench/run.py batch

# CASE=name for one case of mmmsim/corpus.py (default: all 14, about 7 minutes on 2 cores).
corpus: $(STAMP)
	$(BIN)/python bench/corpus.py $(if $(CASE),--case $(CASE),)

clean:
	rm -rf $(VENV) runs build *.egg-info bench/out
