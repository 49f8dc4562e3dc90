# alignlab: `make demo` and `make test` work on a fresh machine with only python3 (venv + pip).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: demo test test-slow lint bench clean venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

# the package with the `fast` extra (nutpie + JAX), used by the demo's Bayesian models
$(VENV)/.demo-installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -e ".[fast]"
	touch $@

# irrCAC pins scipy==1.12 and pandas<3 in every release, which would break the environment; it is a
# reference implementation for tests only and runs fine without its pins.
$(VENV)/.dev-installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -e ".[dev,fast]"
	$(BIN)/python -m pip install --no-deps "irrCAC==0.4.4"
	touch $@

venv: $(VENV)/.dev-installed

demo: $(VENV)/.demo-installed
	$(BIN)/alignlab report --dataset pandalm --out alignlab-report/
	@echo "open alignlab-report/index.html"

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check alignlab tests benchmarks scripts

test: $(VENV)/.dev-installed
	$(BIN)/ruff check alignlab tests benchmarks scripts
	$(BIN)/python -m pytest -m "not slow" -n 2 $(PYTEST_ARGS)

test-slow: $(VENV)/.dev-installed
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

bench: $(VENV)/.dev-installed
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf alignlab-report .pytest_cache .ruff_cache build dist *.egg-info
