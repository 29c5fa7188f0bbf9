# WhatsApp Gateway — developer commands. `make run` and `make test` are the two that matter.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
# Development commands: DEBUG on (demo secrets, the admin/admin login) unless the caller sets it.
# The settings default to DEBUG off, so production never runs on those by accident.
export DEBUG ?= 1

.PHONY: run test lint install install-dev migrate clean bruno

# A failed venv (Debian/Ubuntu without python3-venv, pip unreachable) must not leave a .venv/bin/python
# behind, or the next run would skip this step and fail later on a half-made .venv.
$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "Could not create $(VENV) with $(PYTHON); on Debian/Ubuntu: apt install python3-venv" >&2; exit 1; }
	$(BIN)/pip install --quiet --upgrade pip || { rm -rf $(VENV); exit 1; }

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	@mkdir -p var
	$(MANAGE) migrate --noinput

# Where `make run` listens: the web server and the Meta simulator (e.g. make run WEB=127.0.0.1:8100 SIM=127.0.0.1:8101).
WEB ?= 127.0.0.1:8000
SIM ?= 127.0.0.1:8001

## run: the zero-setup gateway (SQLite, filesystem broker, Meta simulator) on $(WEB), the simulator on $(SIM)
run: migrate
	SIMULATOR_URL=http://$(SIM) $(MANAGE) bootstrap_demo
	$(MANAGE) run_stack --web $(WEB) --simulator $(SIM)

## manage: any manage.py command on the development setup (DEBUG=1), e.g. make manage ARGS="create_app shop"
.PHONY: manage
manage: install
	$(MANAGE) $(ARGS)

# pytest-xdist processes for `make test` (the live tests, which mostly wait on workers and servers, overlap).
TEST_WORKERS ?= 4

## test: the whole suite, in parallel (on DATABASE_URL / CELERY_BROKER_URL when they are set); prints its time
test: install-dev lint
	@mkdir -p var
	@started=$$(date +%s); rc=0; \
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS) || rc=$$?; \
	seconds=$$(( $$(date +%s) - started )); \
	printf '%s\t%ss\t%s\t%s\texit %s\n' "$$(date -u +%FT%TZ)" "$$seconds" "$${DATABASE_URL:-sqlite}" \
		"$${CELERY_BROKER_URL:-filesystem://}" "$$rc" | sed 's#://[^@/]*@#://#g' >> var/test-times.tsv; \
	echo "make test: $$((seconds / 60))m $$((seconds % 60))s with $(TEST_WORKERS) workers (exit $$rc; history in var/test-times.tsv)"; \
	exit $$rc

lint: install-dev
	$(BIN)/ruff check .

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

## bruno: the Bruno collection (bruno/) against the live stack: PostgreSQL, RabbitMQ, worker, simulator
bruno: install node_modules/.installed
	scripts/bruno_stack.sh

clean:
	rm -rf var/broker var/test.sqlite3* var/test-runs .pytest_cache

## bench: the throughput benchmark (issue #9) on PostgreSQL + RabbitMQ; writes bench/results/ and docs/benchmark.md
.PHONY: bench
bench: install-dev
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## bench-profile: the round trip again under py-spy (needs ptrace: root or kernel.yama.ptrace_scope=0); writes bench/results/profile.json
.PHONY: bench-profile
bench-profile: install-dev
	$(BIN)/python -m bench.pyprofile $(BENCH_ARGS)

$(VENV)/.installed-docs: requirements.txt requirements-docs.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-docs.txt
	touch $@

## docs: the documentation site (MkDocs + Material) built strictly into site/; reference pages generated from code
.PHONY: docs screenshots
docs: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

## screenshots: re-take docs/img/*.png from a throwaway stack in headless Chromium (needs /usr/bin/chromium)
screenshots: $(VENV)/.installed-docs
	$(BIN)/python scripts/screenshots.py
