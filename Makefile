# Libro de Reclamaciones portal. `make help` lists the targets.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements.stamp
# Modules type-checked strictly by `make lint` (the same list as the strict override in pyproject.toml);
# only those that exist yet. --follow-imports=silent: errors in the (advisory) modules they import are not shown.
MYPY_STRICT := $(wildcard reclamaciones/access.py reclamaciones/handling/policy.py reclamaciones/deadlines/clock.py)

.DEFAULT_GOAL := help
.PHONY: help venv run test lint fmt check bench clean

help: #: list the targets
	@grep -E '^[a-z-]+:.*#:' $(MAKEFILE_LIST) | sed -E 's/:.*#: /\t/' | expand -t 12

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

venv: $(STAMP) #: create .venv and install the pinned requirements

run: venv #: migrate, load demo data and start web + Celery worker + beat on http://127.0.0.1:8000/
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py load_demo_data
	$(BIN)/python manage.py run_portal

test: venv #: run the whole test suite (PostgreSQL/Redis tests use DATABASE_URL / REDIS_URL)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv #: ruff, and mypy (strict modules fail the target; the rest of reclamaciones is advisory)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --follow-imports=silent $(MYPY_STRICT)
	@# Advisory: the rest of the package is not typed yet; print mypy's summary, never fail the target.
	-@$(BIN)/mypy reclamaciones | tail -n 1

fmt: venv #: format the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: venv #: Django system checks and missing migrations
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

bench: venv #: run the benchmarks under bench/ and write docs/benchmarks.md
	$(BIN)/python -m bench

clean: #: remove the local database, collected static files and run state
	rm -rf db.sqlite3 db.sqlite3-* staticfiles .run
