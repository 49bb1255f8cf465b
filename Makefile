# The two commands of the README's quick start: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR ?= var/demo
DEMO_DB := $(DEMO_DIR)/surveillance.duckdb
DEMO_SNAPSHOT := $(DEMO_DIR)/surveillance.snapshot.duckdb
SYSTEM_PACKAGES ?= chromium chromium-driver fonts-noto-cjk openssl
REPORT_PACKAGES ?= chromium fonts-noto-cjk  # the weekly report's PDF: headless Chromium and a Chinese font
HOST ?= 127.0.0.1
PORT ?= 8050
JUPYTER_FLAGS ?=  # e.g. --allow-root in a container that runs as root

.PHONY: run test test-fast notebooks venv dev-venv system-packages report-packages bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The stamp files re-install when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-notebooks: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[notebooks]'
	touch $@ $(VENV)/.installed

venv: $(VENV)/.installed
dev-venv: $(VENV)/.installed-dev

$(DEMO_DB): | $(VENV)/.installed
	$(BIN)/surveillance demo --db $(DEMO_DB)

run: $(VENV)/.installed report-packages $(DEMO_DB)
	$(BIN)/surveillance cycle --config $(DEMO_DIR)/surveillance.toml
	$(BIN)/surveillance serve --config $(DEMO_DIR)/surveillance.toml --host $(HOST) --port $(PORT)

# The notebooks read the snapshot the cycle leaves (made here once if `make run` has not yet).
$(DEMO_SNAPSHOT): | $(DEMO_DB)
	$(BIN)/surveillance cycle --config $(DEMO_DIR)/surveillance.toml

notebooks: $(VENV)/.installed-notebooks $(DEMO_SNAPSHOT)
	SURVEILLANCE_CONFIG=$(abspath $(DEMO_DIR))/surveillance.toml $(BIN)/jupyter lab --no-browser --ip $(HOST) $(JUPYTER_FLAGS) notebooks/

# Debian packages the weekly report's PDF needs; without them the service still runs and reports are HTML.
report-packages:
	@bash scripts/install-system-packages.sh $(REPORT_PACKAGES) || \
		echo "weekly reports will be HTML only: could not install $(REPORT_PACKAGES)" >&2

# Debian packages the test suite needs (headless Chromium for the dashboard tests).
system-packages:
	@bash scripts/install-system-packages.sh $(SYSTEM_PACKAGES)

test: dev-venv system-packages
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

# The lane for development: everything but the browser and notebook tests.
test-fast: dev-venv
	$(BIN)/python -m pytest -n 2 --dist loadfile -q -m "not slow"

bench: venv
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) var
