# Two commands: `make run` serves the site, `make test` runs the whole suite.
# Both set up what they need first (virtualenv, front-end build, database).

PORT ?= 8000
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The embedded default is chatsite/settings_dev.py: debug on, SQLite, in-memory channel layer,
# guest sign-in. Anything in .env (see .env.example) overrides it; the settings read .env
# themselves (chatsite/env.py), so make, manage.py and Daphne all read it the same way.

# The services the suite runs against (started by tests/support/ensure-services.sh if down).
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: run test setup frontend static migrate services test-python test-frontend lint clean

# The same Daphne flags as production (frame limits, pings, graceful stop): deploy/daphne/run.sh.
run: setup migrate
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-chatsite.settings_dev} \
	  DAPHNE_BIND=127.0.0.1 DAPHNE_PORT=$(PORT) PYTHON=$(BIN)/python deploy/daphne/run.sh

setup: $(VENV)/.installed frontend static

$(VENV)/.installed: requirements.txt requirements-dev.txt bench/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

frontend/node_modules/.installed: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

frontend: frontend/node_modules/.installed
	cd frontend && npm run build

static: $(VENV)/.installed frontend
	$(BIN)/python manage.py collectstatic --noinput -v0

migrate: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput -v0

services:
	REDIS_URL=$(TEST_REDIS_URL) PG_DATABASE_URL=$(TEST_POSTGRES_URL) tests/support/ensure-services.sh

test: setup services lint test-frontend test-python

test-frontend: frontend/node_modules/.installed
	cd frontend && npm test

# The whole Python suite twice: on SQLite, then on PostgreSQL; Redis-backed tests in both.
# The browser tests run in the first pass, the two-minute soak in the second.
test-python: $(VENV)/.installed
	REDIS_URL=$(TEST_REDIS_URL) DATABASE_URL= $(BIN)/pytest -m "not soak"
	REDIS_URL=$(TEST_REDIS_URL) DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest -m "not e2e"

# Style and types, both sides: ruff and mypy (strict on rooms/), ESLint with typescript-eslint
# and the React hooks rules, and the TypeScript compiler.
lint: $(VENV)/.installed frontend/node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_DEBUG=1 $(BIN)/mypy
	cd frontend && npm run lint && npm run typecheck

clean:
	rm -rf staticfiles frontend/dist
