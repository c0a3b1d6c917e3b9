# sensorlab: `make demo` and `make test` each set up .venv on their own.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Every extra (pyproject.toml): the demo prints how to watch it live, and the tests cover all.
EXTRAS := live,ble,virtual,vendors,parquet,lsl,dev
DEMO_RECORDING := recordings/step_up_asymmetric.csv
DEMO_OUT := out/demo

.PHONY: demo test test-realtime test-busy ci lint bench venv clean help qt-libs

help:
	@echo "make demo   - set up .venv and analyse the bundled step-up recording into $(DEMO_OUT)/"
	@echo "make test   - set up .venv, lint (ruff, mypy) and run the test suite (without the real-time tests)"
	@echo "make test-realtime - the tests that run for seconds of wall-clock time (pytest -m realtime)"
	@echo "make ci     - what CI runs: make test, then make test-realtime"
	@echo "make test-busy - the whole suite while two CPU-bound processes occupy two cores"
	@echo "make bench  - run the benchmarks in benchmarks/ and print their figures"
	@echo "make clean  - remove .venv and out/"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "sensorlab needs Python 3.11 or newer; run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	@$(MAKE) --no-print-directory qt-libs
	@touch $(STAMP)

# The live view's Qt wheels bring Qt itself but load a few system libraries (OpenGL/EGL,
# fontconfig, xkbcommon, glib, dbus). Check that Qt starts; if not, install them with apt
# when we can (root or sudo), else say exactly what to install.
QT_DEBS := libegl1 libgl1 libfontconfig1 libxkbcommon0 libglib2.0-0 libdbus-1-3
QT_SMOKE := QT_QPA_PLATFORM=offscreen $(BIN)/python -c 'from PySide6 import QtWidgets; QtWidgets.QApplication([])'
qt-libs:
	@if $(QT_SMOKE) 2>/dev/null; then exit 0; fi; \
	echo "Qt needs system libraries: $(QT_DEBS)"; \
	if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		echo "installing them with apt-get"; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $(QT_DEBS); \
	elif command -v apt-get >/dev/null && command -v sudo >/dev/null; then \
		echo "installing them with sudo apt-get"; \
		sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends $(QT_DEBS); \
	else \
		echo "install them with your package manager, then run make again"; exit 1; \
	fi; \
	$(QT_SMOKE) || { echo "Qt still does not start: see the error above"; exit 1; }

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/sensorlab analyze $(DEMO_RECORDING) --out $(DEMO_OUT)
	@echo ""
	@echo "Open the report:   $(DEMO_OUT)/report.html"
	@echo "Watch it live:     $(BIN)/sensorlab live --source replay:$(DEMO_RECORDING)"
	@echo "   (on a desktop; headless: add --duration 20 --screenshot live.png)"

lint: $(STAMP)
	$(BIN)/ruff check sensorlab tests benchmarks
	$(BIN)/ruff format --check sensorlab tests benchmarks
	$(BIN)/mypy

test: $(STAMP) lint
	$(BIN)/python -m pytest -q -m "not realtime"

test-realtime: $(STAMP)
	$(BIN)/python -m pytest -q -m realtime

ci: test test-realtime

# The whole suite (real-time tests included) on a machine kept busy by two CPU-bound
# processes, which are killed however the run ends. No test may depend on idle cores.
HOGS ?= 2
test-busy: $(STAMP)
	@pids=""; trap 'kill $$pids 2>/dev/null' EXIT INT TERM; \
	for _ in $$(seq $(HOGS)); do $(BIN)/python -c 'while True: pass' & pids="$$pids $$!"; done; \
	echo "$(HOGS) CPU-bound processes running:$$pids"; \
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) out
