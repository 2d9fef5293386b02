# Command 1: `make dev`  — set up .venv, migrate, run API + worker on the embedded default.
# Command 2: `make test` — set up .venv and run the whole suite (PostgreSQL + Redis when
#            KELOLA_TEST_DATABASE_URL / KELOLA_TEST_REDIS_URL are set, embedded otherwise).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: dev test setup lint schema clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Kelola needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

setup: $(VENV)/.installed

dev: setup
	$(BIN)/kelola dev

test: setup
	$(BIN)/pytest -q -p no:cacheprovider

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

schema: setup
	$(BIN)/kelola export-schema

clean:
	rm -rf $(VENV) .kelola
