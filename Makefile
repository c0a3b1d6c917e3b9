# sensorlab: `make demo` and `make test` each set up .venv on their own.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_RECORDING := recordings/step_up_asymmetric.csv
DEMO_OUT := out/demo

.PHONY: demo test lint bench venv clean help

help:
	@echo "make demo   - set up .venv and analyse the bundled step-up recording into $(DEMO_OUT)/"
	@echo "make test   - set up .venv, lint (ruff) and run the test suite"
	@echo "make bench  - run the benchmarks in benchmarks/ and print their figures"
	@echo "make clean  - remove .venv and out/"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "sensorlab needs Python 3.11 or newer; run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/sensorlab analyze $(DEMO_RECORDING) --out $(DEMO_OUT)
	@echo ""
	@echo "Open the report:   $(DEMO_OUT)/report.html"

lint: $(STAMP)
	$(BIN)/ruff check sensorlab tests benchmarks
	$(BIN)/ruff format --check sensorlab tests benchmarks

test: $(STAMP) lint
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) out
