# sensorlab: `make demo` and `make test` each set up .venv on their own.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Every extra (pyproject.toml): the demo prints how to watch it live, and the tests cover all.
EXTRAS := live,ble,virtual,vendors,parquet,lsl,dask,dev
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
	@echo "make qt-libs - check that Qt starts offscreen and on X11 (xcb); install what it lacks"
	@echo "make clean  - remove .venv and out/"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "sensorlab needs Python 3.11 or newer; run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	@$(MAKE) --no-print-directory qt-libs
	@touch $(STAMP)

# The live view's Qt wheels bring Qt itself but load system libraries. Two checks, each
# with the platform plugin it concerns:
# - offscreen (headless runs, the tests): OpenGL/EGL, fontconfig, xkbcommon, glib, dbus;
# - xcb, the plugin an X11 desktop uses: the xcb libraries below (found with
#   QT_DEBUG_PLUGINS=1 and ldd on PySide6's plugins/platforms/libqxcb.so). Without them
#   `live` aborts on a desktop while offscreen works. It is tried for real under Xvfb,
#   the virtual X server (Debian's system package `xvfb`, also used by the tests).
# If a check fails, install the packages with apt-get when we can (root or sudo), else
# name exactly what to install (and which libraries the plugin cannot find).
QT_DEBS := libegl1 libgl1 libfontconfig1 libxkbcommon0 libglib2.0-0 libdbus-1-3
QT_XCB_DEBS := libx11-6 libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 \
	libxcb-keysyms1 libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0 \
	libxcb-shm0 libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1 libxkbcommon-x11-0
XVFB_DEB := xvfb
QT_APP := $(BIN)/python -c 'from PySide6 import QtWidgets; QtWidgets.QApplication([])'
QT_OFFSCREEN_SMOKE := QT_QPA_PLATFORM=offscreen $(QT_APP)
QT_XCB_SMOKE := xvfb-run --auto-servernum env QT_QPA_PLATFORM=xcb $(QT_APP)
QT_XCB_PLUGIN := $(BIN)/python -c 'import pathlib, PySide6; print(next(pathlib.Path(PySide6.__file__).parent.glob("Qt/plugins/platforms/libqxcb.so"), ""))'
# Linux only: macOS and Windows use their own platform plugins.
QT_CHECK := $(QT_OFFSCREEN_SMOKE) 2>/dev/null && \
	{ [ "$$(uname -s)" != Linux ] || { command -v xvfb-run >/dev/null && $(QT_XCB_SMOKE) 2>/dev/null; }; }
qt-libs:
	@if $(QT_CHECK); then echo "Qt starts offscreen and on X11 (xcb, tried under Xvfb)"; exit 0; fi; \
	plugin=$$($(QT_XCB_PLUGIN)); \
	if [ -n "$$plugin" ]; then \
		missing=$$(ldd "$$plugin" 2>/dev/null | awk '/not found/ {print $$1}' | sort -u | tr '\n' ' '); \
		[ -z "$$missing" ] || echo "Qt's X11 plugin (xcb) cannot find: $$missing"; \
	fi; \
	packages="$(QT_DEBS) $(QT_XCB_DEBS) $(XVFB_DEB)"; \
	echo "Qt needs system packages (Debian/Ubuntu names): $$packages"; \
	if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		echo "installing them with apt-get"; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$packages; \
	elif command -v apt-get >/dev/null && command -v sudo >/dev/null; then \
		echo "installing them with sudo apt-get"; \
		sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends $$packages; \
	else \
		echo "install them with your package manager"; \
	fi; \
	if $(QT_CHECK); then echo "Qt starts offscreen and on X11 (xcb, tried under Xvfb)"; \
	elif $(QT_OFFSCREEN_SMOKE) 2>/dev/null; then \
		echo "Qt starts offscreen (headless runs, most tests) but not on X11: 'sensorlab live'"; \
		echo "opens no window on this desktop, and the X11 tests fail (or skip without Xvfb),"; \
		echo "until the packages above are installed"; \
		command -v xvfb-run >/dev/null && QT_DEBUG_PLUGINS=1 $(QT_XCB_SMOKE) 2>&1 | tail -4; true; \
	else \
		echo "Qt does not start; the plugin loader says:"; \
		QT_DEBUG_PLUGINS=1 $(QT_OFFSCREEN_SMOKE) 2>&1 | tail -5; exit 1; \
	fi

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
