# agentload — the two commands that matter: `make demo` and `make test`.
# Everything is installed from scratch into .venv; Debian packages via apt-get when missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Some shells and CI images export PYTHONDONTWRITEBYTECODE=1. Every agentload
# process the tests and the demo start would then compile its ~200 modules again
# (~0.4 s of CPU each); the bytecode caches this writes are gitignored.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install test-deps demo test bench lint clean

install: $(STAMP)

# The modules mypyc compiles (pyproject.toml [tool.agentload] compiled; setup.py,
# docs/decisions.md D23): an edit to one of them reinstalls, which recompiles.
COMPILED := $(shell sed -n '/^compiled = \[/,/^\]/p' pyproject.toml | grep -o 'src/[^"]*\.py')

$(STAMP): pyproject.toml setup.py $(COMPILED)
	@# Debian ships venv/ensurepip separately: install it when missing.
	@$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || { \
	  echo "installing python3-venv (Debian)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv python3-pip; }
	@# Compiling the hot path needs a C compiler and Python's headers (without
	@# them setup.py installs pure Python, slower; tests/unit/test_native_build.py fails).
	@{ command -v cc >/dev/null 2>&1 && $(PYTHON) -c "import os, sys, sysconfig; \
	  sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))"; } || { \
	  echo "installing gcc and python3-dev (Debian) to compile the hot path"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq gcc python3-dev >/dev/null; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

demo: install
	$(BIN)/agentload demo examples/demo.yaml

# The report's browser check renders report.html in Debian's headless Chromium;
# the InfluxDB output test starts Debian's influxd (1.x).
test-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium (Debian) for the report browser check"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	@command -v influxd >/dev/null 2>&1 || { \
	  echo "installing influxdb (Debian) for the InfluxDB output test"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq influxdb >/dev/null; }
	@command -v openssl >/dev/null 2>&1 || { \
	  echo "installing openssl (Debian) for the wss:// test certificate"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq openssl >/dev/null; }

# pytest exits 5 when it collected no test: that is not a failure of the suite.
test: install test-deps
	$(BIN)/python -m pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: install
	$(MAKE) -C bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache results build
	find src -name "*.so" -delete
