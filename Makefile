# Two commands matter: `make run` (the whole site, embedded mode, demo data) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint bench demo prod install install-test messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# The embedded default: SQLite under var/, eager Celery, in-memory channels, one ASGI process.
run: $(VENV)/.installed
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed_demo
	DEBUG=$${DEBUG:-true} $(BIN)/daphne -b 127.0.0.1 -p $(PORT) community.asgi:application

demo: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo

test: $(VENV)/.installed-test
	@DB=$$($(BIN)/python scripts/test_database.py) && \
	DATABASE_URL=$$DB $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run

bench: $(VENV)/.installed-test
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Production topology on one machine (see README): gunicorn + ASGI (websockets) + nginx + celery.
prod: $(VENV)/.installed
	$(BIN)/python scripts/prod.py

messages: $(VENV)/.installed
	cd community && ../$(BIN)/django-admin makemessages -l zh_Hans --no-obsolete
	$(BIN)/django-admin compilemessages --ignore=.venv

clean:
	rm -rf var/community.sqlite3* var/static var/test-media
