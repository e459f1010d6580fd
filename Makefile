# Pulso's entry points. `make run` and `make test` need only Python 3.11 and git.
PYTHON ?= python3.11
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
PULSO_BIND ?= 127.0.0.1:8000
# bench_lists.py seeds a scratch database of this size unless told another (tests/bench/README.md)
LISTS_BENCH_ARGS ?= --sizes 100000
export PULSO_BIND

.PHONY: install run setup test lint format bench bench-peer messages clean

# Every step says what it is doing (the first run installs for about half a minute).
SAY := @printf 'pulso: %s\n'

$(UV):
	$(SAY) "creating the tools environment (.tools) with uv $(UV_VERSION)..."
	@$(PYTHON) -m venv .tools
	@.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(SAY) "installing the locked dependencies (uv.lock) into .venv..."
	@UV_PYTHON=$(PYTHON) $(UV) sync --frozen --quiet
	@touch $@

install: $(VENV)/.synced  ## Create .venv with the locked dependencies

setup: install  ## Migrate, collect static files, load demo data in the embedded mode
	$(SAY) "migrating the database..."
	@$(PY) manage.py migrate --no-input
	$(SAY) "collecting static files..."
	@$(PY) manage.py collectstatic --no-input --verbosity 0
	$(SAY) "loading the demo support desk (embedded mode, first run only)..."
	@$(PY) manage.py load_demo --if-embedded
	$(SAY) "training the text models on the desk's history (first run only; then nightly)..."
	@$(PY) manage.py train_models --if-missing

run: setup  ## Start web + Celery worker + beat (each restarted if it dies) on the embedded default
	$(SAY) "starting web, worker and beat (config/runner.py; Ctrl+C stops them)..."
	@$(PY) manage.py welcome
	@exec $(PY) -m config.runner

# Test files are spread over this many processes (pytest-xdist; each has its own database,
# VAR_DIR and Redis database: config/settings_test.py), then the tests marked `serial` run in
# one process. PYTEST_WORKERS=0 runs the first pass in one process too. A pass that selects
# no test (PYTEST_ARGS="-k …", exit status 5) is not a failure.
PYTEST_WORKERS ?= auto

test: install  ## The whole test suite (SQLite by default; PostgreSQL/Redis if DATABASE_URL/REDIS_URL are set)
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadfile -m "not serial" $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(VENV)/bin/pytest -m serial $(PYTEST_ARGS) || [ $$? -eq 5 ]

bench: install  ## Survey delivery figures (tests/bench/README.md): embedded, then PostgreSQL + Redis if DATABASE_URL and REDIS_URL are set; KPI engine, explanation (why it moved), list page and history import figures if DATABASE_URL is PostgreSQL; inbound e-mail figures: embedded, then PostgreSQL if DATABASE_URL is PostgreSQL
	env -u DATABASE_URL -u REDIS_URL $(PY) tests/bench/bench_surveys.py $(BENCH_ARGS)
	@if [ -n "$$DATABASE_URL" ] && [ -n "$$REDIS_URL" ]; then \
		echo "$(PY) tests/bench/bench_surveys.py $(BENCH_ARGS)  # PostgreSQL + Redis"; \
		$(PY) tests/bench/bench_surveys.py $(BENCH_ARGS); \
	fi
	@case "$$DATABASE_URL" in postgres://*|postgresql://*) \
		echo "$(PY) tests/bench/bench_kpis.py $(KPI_BENCH_ARGS)  # PostgreSQL"; \
		$(PY) tests/bench/bench_kpis.py $(KPI_BENCH_ARGS);; \
	esac
	@case "$$DATABASE_URL" in postgres://*|postgresql://*) \
		echo "$(PY) tests/bench/bench_explain.py $(EXPLAIN_BENCH_ARGS)  # PostgreSQL"; \
		$(PY) tests/bench/bench_explain.py $(EXPLAIN_BENCH_ARGS);; \
	esac
	@case "$$DATABASE_URL" in postgres://*|postgresql://*) \
		echo "$(PY) tests/bench/bench_lists.py $(LISTS_BENCH_ARGS)  # PostgreSQL"; \
		$(PY) tests/bench/bench_lists.py $(LISTS_BENCH_ARGS);; \
	esac
	@case "$$DATABASE_URL" in postgres://*|postgresql://*) \
		echo "$(PY) tests/bench/bench_import.py $(IMPORT_BENCH_ARGS)  # PostgreSQL"; \
		$(PY) tests/bench/bench_import.py $(IMPORT_BENCH_ARGS);; \
	esac
	env -u DATABASE_URL -u REDIS_URL $(PY) tests/bench/bench_inbound.py $(INBOUND_BENCH_ARGS)
	@case "$$DATABASE_URL" in postgres://*|postgresql://*) \
		echo "$(PY) tests/bench/bench_inbound.py $(INBOUND_BENCH_ARGS)  # PostgreSQL"; \
		$(PY) tests/bench/bench_inbound.py $(INBOUND_BENCH_ARGS);; \
	esac
	env -u DATABASE_URL -u REDIS_URL $(PY) tests/bench/bench_insights.py --only sqlite $(INSIGHTS_BENCH_ARGS)
	@case "$$DATABASE_URL" in postgres://*|postgresql://*) \
		echo "$(PY) tests/bench/bench_insights.py --only postgres $(INSIGHTS_BENCH_ARGS)  # PostgreSQL"; \
		$(PY) tests/bench/bench_insights.py --only postgres $(INSIGHTS_BENCH_ARGS);; \
	esac

.PHONY: bench-peer
bench-peer: install  ## Pulso beside django-helpdesk over HTTP (tests/bench/README.md): installs the peer from PyPI into a scratch virtualenv (kept); PostgreSQL on 127.0.0.1:5432
	$(PY) tests/bench/bench_peer.py $(PEER_BENCH_ARGS)

lint: install  ## ruff, the dependency direction (import-linter), types (mypy), migrations
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	VAR_DIR=$${VAR_DIR:-var} $(VENV)/bin/mypy config cases surveys metrics knowledge quality insights tests manage.py
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: install  ## Refresh the translation catalogues (needs GNU gettext)
	$(PY) manage.py makemessages -l es -l en --ignore '.venv/*' --ignore '.tools/*' --ignore 'var/*'
	$(PY) manage.py makemessages -d djangojs -l es -l en --ignore '.venv/*' --ignore 'static/vendor/*' --ignore 'var/*'
	$(PY) manage.py compilemessages --ignore '.venv/*' --ignore '.tools/*'

clean:
	rm -rf $(VENV) .tools var
