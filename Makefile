# make run   sets up (system packages, virtual environment) and opens the app on the embedded SQLite store
# make test  sets up for the tests too, then runs lint and the whole test suite (it starts its own MariaDB)
# make bench sets up for the benchmark too (espeak-ng), then runs the full evaluation on a throwaway MariaDB
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test setup setup-test setup-bench lint bench clean

run: setup
	$(PY) main.py

test: setup-test lint
	REQUIRE_MYSQL=1 REQUIRE_DISPLAY=1 REQUIRE_AUDIO=1 QT_QPA_PLATFORM=offscreen $(PY) -m pytest

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

setup:
	sh scripts/system-packages.sh run
	$(MAKE) $(VENV)/.installed

setup-test:
	sh scripts/system-packages.sh test
	$(MAKE) $(VENV)/.installed-dev

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $(VENV)/.installed $@

setup-bench:
	sh scripts/system-packages.sh bench
	$(MAKE) $(VENV)/.installed

bench: setup-bench
	$(PY) bench/evaluate.py --backend mysql

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
