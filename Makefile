# Espace Famille: `make run` serves the portal, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench lint format install db-stop

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m portal.devserver

# Two workers: each creates its own test database and tenant schemas once per session.
# The embedded PostgreSQL is stopped afterwards unless it was already running.
test: $(STAMP)
	@was_running=$$($(PY) -m portal.embedded_db status >/dev/null 2>&1 && echo yes); \
	$(PY) -m pytest -n 2 $(PYTEST_ARGS); status=$$?; \
	if [ -z "$$DATABASE_URL" ] && [ -z "$$was_running" ]; then $(PY) -m portal.embedded_db stop; fi; \
	exit $$status

bench: $(STAMP)
	$(PY) bench/run.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

db-stop: $(STAMP)
	$(PY) -m portal.embedded_db stop
