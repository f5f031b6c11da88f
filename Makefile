# Kỷ cương — two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export DJANGO_SETTINGS_MODULE ?= config.settings.local

.PHONY: run test install install-dev lint typecheck e2e messages lock bench clean glossary openapi

$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c requirements.lock -e ".[dev]"
	touch $@

install: $(VENV)/.installed

## make run: set up everything (venv, SQLite under var/, demo city) and start web + worker + scheduler.
run: install
	mkdir -p var
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py demo --if-empty
	$(PY) manage.py up

## make test: lint (ruff, mypy), migrations check, the whole pytest suite (DATABASE_URL selects PostgreSQL).
test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy kycuong config
	$(VENV)/bin/lint-imports --no-cache
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run -v0
	DJANGO_SETTINGS_MODULE=config.settings.test $(VENV)/bin/pytest -q -n 2 --dist loadfile

## make e2e: browser tests (Debian chromium + Playwright).
e2e: install
	DJANGO_SETTINGS_MODULE=config.settings.test DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest -q -m e2e

typecheck: install
	$(VENV)/bin/mypy kycuong config
	$(VENV)/bin/lint-imports --no-cache

messages:
	$(PY) manage.py makemessages -l en --ignore='.venv/*' --ignore='bench/*' --ignore='*/tests/*' --no-obsolete
	$(PY) manage.py compilemessages -l en --ignore=.venv

lock:
	$(PIP) freeze --exclude-editable | grep -v '^-e' > requirements.lock

openapi:
	$(PY) scripts/openapi_snapshot.py

glossary:
	$(PY) scripts/collect_glossary.py

clean:
	rm -rf var
