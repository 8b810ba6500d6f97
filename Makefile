# Kelisim: `make run` serves the demo, `make test` runs every test, `make bench` the benchmarks.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 5000
WORKERS ?= 2
export FLASK_APP := app:create_app

.PHONY: run test test-sqlite test-postgres bench lint catalogs deps-pdf deps-browser deps-postgres clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

deps-pdf:
	@bash scripts/system-deps.sh pdf

deps-browser:
	@bash scripts/system-deps.sh browser

# pg_dump for the backup test, of a version that can dump the server the tests use (asked through the venv).
deps-postgres: $(VENV)/.runtime
	@KELISIM_PYTHON=$(PY) bash scripts/system-deps.sh postgres

catalogs: $(VENV)/.runtime
	@$(PY) -m babel.messages.frontend -q compile -d translations

run: deps-pdf $(VENV)/.runtime catalogs
	$(VENV)/bin/flask db upgrade
	$(VENV)/bin/flask demo-data --if-empty
	@echo "Kelisim on http://127.0.0.1:$(PORT)  (accounts: admin, monitor, district, school, school2; password kelisim-demo)"
	$(VENV)/bin/gunicorn --workers $(WORKERS) --bind 127.0.0.1:$(PORT) --max-requests 1000 \
	  --max-requests-jitter 100 --access-logfile - 'app:create_app()'

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .

test: deps-pdf deps-browser deps-postgres $(VENV)/.dev catalogs lint test-sqlite test-postgres

test-sqlite: $(VENV)/.dev catalogs
	KELISIM_TEST_ENGINE=sqlite $(PY) -m pytest

test-postgres: $(VENV)/.dev catalogs
	KELISIM_TEST_ENGINE=postgres $(PY) -m pytest

bench: deps-pdf $(VENV)/.dev catalogs
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
