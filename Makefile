# Two commands matter: `make run` (the whole site, embedded mode, demo data) and `make test`.
# Everything runs from .venv, created on first use with $(PYTHON) (3.11 or newer).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="tests/core -x"`.
PYTEST_ARGS ?=
# Two pytest-xdist workers by default (the machines have 2 cores); `make test XDIST=` runs serially.
# loadfile keeps each test module on one worker, so module-scoped fixtures (a running
# `make prod`, a seeded demo estate) are set up once.
XDIST ?= -n 2 --dist loadfile

.PHONY: run test lint bench demo prod install install-test messages clean lock backup restore pitr-drill

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installs exactly the versions in the lock files (what CI tested), then the project itself
# without resolving again. `make lock` regenerates them from pyproject.toml.
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml requirements-test.lock | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-test.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.installed

# Pin every dependency (and theirs) for Python 3.11, with uv; run after changing pyproject.toml
# dependencies, and on the monthly update (docs/operations.md "Dependency updates").
# LOCK_ARGS=--upgrade moves every pin to the newest allowed version.
LOCK_ARGS ?=
lock: | $(BIN)/python
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --quiet $(LOCK_ARGS) --output-file requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 --quiet $(LOCK_ARGS) --output-file requirements-test.lock

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# The embedded default: SQLite under var/, eager Celery, in-memory channels, one ASGI process
# (daphne) serving HTTP, websockets and static files (whitenoise, straight from static/).
run: $(VENV)/.installed
	@# Translations: compiled here when the catalogues are newer than the .mo files (needs gettext).
	@if [ -d locale ] && command -v msgfmt >/dev/null; then $(BIN)/python manage.py compilemessages --ignore=.venv -v 0; fi
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed_demo
	@echo ""
	@echo "  Portal (residents, phone-sized)   http://$(HOST):$(PORT)/portal/"
	@echo "  Admin (property staff)            http://$(HOST):$(PORT)/admin/"
	@echo "  Worker pages                      http://$(HOST):$(PORT)/worker/"
	@echo "  Staff pages                       http://$(HOST):$(PORT)/staff/tickets/  /staff/access/  /staff/billing/  /staff/parking/  /staff/affairs/"
	@echo "  API docs / schema                 http://$(HOST):$(PORT)/api/docs/  http://$(HOST):$(PORT)/api/schema/"
	@echo "  Health                            http://$(HOST):$(PORT)/healthz"
	@echo ""
	DEBUG=$${DEBUG:-true} $(BIN)/daphne -b $(HOST) -p $(PORT) community.asgi:application

demo: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo

# The database line comes first, before anything is installed: the choice is made with the
# system Python (scripts/test_database.py needs only the standard library).
# Two pytest runs: browser tests last and on their own, because Playwright's sync API keeps an
# event loop running in the worker, after which async_to_sync (websocket tests) refuses to run.
# Exit 5 ("no tests collected") of one half is fine when PYTEST_ARGS selects only the other.
# scripts/system_packages.sh brings Chromium, CJK fonts, nginx and gettext (or fails in one line).
test:
	@DB=$$($(PYTHON) scripts/test_database.py) && \
	scripts/system_packages.sh && \
	$(MAKE) --no-print-directory -s install-test && \
	{ DATABASE_URL=$$DB $(BIN)/python -m pytest $(XDIST) -m "not e2e" $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -ne 0 ] && [ $$rc -ne 5 ]; then exit $$rc; fi; \
	  DATABASE_URL=$$DB $(BIN)/python -m pytest $(XDIST) -m e2e $(PYTEST_ARGS); rc2=$$?; \
	  if [ $$rc -eq 5 ] && [ $$rc2 -eq 5 ]; then echo "make test: no tests collected" >&2; exit 5; fi; \
	  if [ $$rc2 -ne 0 ] && [ $$rc2 -ne 5 ]; then exit $$rc2; fi; }

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/lint-imports

# Benchmarks print figures; files starting with "_" are helpers, not benchmarks.
bench: $(VENV)/.installed-test
	@for b in bench/[!_]*.py; do [ -e "$$b" ] || continue; echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Production topology on one machine (see README): nginx -> gunicorn (HTTP) + daphne (/ws/),
# Celery worker and beat, against DATABASE_URL (PostgreSQL) and REDIS_URL.
# NODES=2 runs two web nodes (each gunicorn + daphne) behind one nginx upstream.
prod: $(VENV)/.installed
	$(BIN)/python scripts/prod.py

# pg_dump of DATABASE_URL to BACKUP (default var/backups/<database>-<time>.dump), and
# pg_restore of BACKUP into DATABASE_URL (created when missing; an existing database that
# holds tables is refused unless RESTORE_CLEAN=true). See docs/operations.md "Backups".
backup: $(VENV)/.installed
	$(BIN)/python scripts/backup.py backup $(if $(BACKUP),--file $(BACKUP))

restore: $(VENV)/.installed
	$(BIN)/python scripts/backup.py restore --file "$(BACKUP)"

# Point-in-time recovery exercised on a throwaway cluster of its own (initdb, WAL archive to a
# directory, pg_basebackup, writes, a noted time, more writes, restore to that time, check,
# promote). The recipe it follows is docs/operations.md "Backups"; exit 0 only when the rows
# written before the time come back and none after.
pitr-drill: $(VENV)/.installed
	$(BIN)/python scripts/pitr_drill.py

# Extract the English source strings into locale/zh_Hans and compile every catalogue.
messages: $(VENV)/.installed
	mkdir -p locale
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=var --ignore=tests --ignore=bench
	$(BIN)/python manage.py makemessages -d djangojs -l zh_Hans --no-obsolete --ignore=.venv --ignore=var --ignore=tests --ignore=bench
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf var/community.sqlite3* var/static var/test-media var/prod
