# The two set-up commands of the README are `make run` and `make test`; both create
# .venv/ and install requirements.txt when needed, so a fresh clone needs only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_JOBS ?= 2000

WORKER_CONCURRENCY ?= 1

.PHONY: venv run worker test test-browser fuzz lint lint-schema client migrate stop-db bench bench-cancel bench-workers bench-status soak

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

venv: $(VENV)/.installed

migrate: venv
	$(BIN)/python manage.py migrate --noinput

run: migrate
	@if [ -z "$$DATABASE_URL" ]; then \
		$(BIN)/python manage.py generate_demo_data --jobs $(DEMO_JOBS) --if-empty --runnable; \
	fi
	@echo "Scale Job Services: http://$(HOST):$(PORT)/jobs/  (admin: http://$(HOST):$(PORT)/admin/)"
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python -m scale.serve

# One more job worker (manage.py scale_worker) on the service's database: here, or on
# another host with the same DATABASE_URL. make run already runs one beside the API.
worker: migrate
	$(BIN)/python manage.py scale_worker --concurrency $(WORKER_CONCURRENCY)

test: venv
	$(BIN)/python -m pytest

# The admin driven by a real headless Chromium (the tests marked `browser`). Debian's
# chromium is installed when /usr/bin/chromium is missing (apt-get: run as root); Playwright
# only drives it, so `playwright install` is never needed.
test-browser: venv
	@if [ ! -x /usr/bin/chromium ]; then \
		apt-get update && apt-get install -y chromium; \
	fi
	$(BIN)/python -m pytest -m browser

# Schema-driven fuzzing (schemathesis) of gunicorn on 127.0.0.1 with a throwaway database
# scale_fuzz and demo data: fails on any 5xx or any answer the OpenAPI schema does not
# describe. FUZZ_MAX_EXAMPLES bounds the test cases per operation; reports in var/fuzz/.
fuzz: venv
	$(BIN)/python tests/fuzz/run_fuzz.py

# Latency of every read against its PostgreSQL floor; BENCH_JOBS=1000000 by default
# (loaded once into scale_bench_<jobs>, then reused). Writes bench/out/latest-<jobs>.md.
bench: venv
	$(BIN)/python bench/run.py

# How long a cancel takes to kill a RUNNING job's process group (BENCH_CANCEL_TRIALS=50),
# with one worker, on the service's database.
bench-cancel: migrate
	$(BIN)/python bench/cancel_latency.py

# Jobs/s of BENCH_WORKERS=8 workers (concurrency 1 each) on BENCH_WORKER_JOBS=10000 jobs
# whose command is `true`, queued through POST /queue/new-job/ by BENCH_CLIENTS=4 clients,
# with queue-to-start p50/p99, and on BENCH_DRAIN_JOBS=1000 queued before they start,
# beside Procrastinate's rate for BENCH_ENGINE_TASKS empty tasks on the same workers; on a
# throwaway database scale_bench_workers, made again each run.
bench-workers: venv
	$(BIN)/python bench/workers.py

# Status changes per second from BENCH_WRITERS=8 concurrent writers of one job type, each
# transaction held BENCH_HOLD_MS=5 ms as a worker's is (the counter triggers' contention).
bench-status: migrate
	$(BIN)/python bench/status_changes.py

# A long mixed read/cancel load (SOAK_CLIENTS=20 clients for SOAK_SECONDS=1800) against
# the service as make run serves it, printing errors, p50/p99 and memory every minute.
soak: migrate
	@if [ -z "$$DATABASE_URL" ]; then \
		$(BIN)/python manage.py generate_demo_data --jobs $(DEMO_JOBS) --if-empty; \
	fi
	$(BIN)/python bench/soak.py

# A Python client generated from the OpenAPI schema by openapi-python-client: a package
# to pip install, in CLIENT_DIR. The schema is read from a running service when SCHEMA_URL
# is given (SCHEMA_URL=http://127.0.0.1:8000/api/schema/), else made from the code by the
# same generator (manage.py spectacular). tests/test_generated_client.py runs this target.
CLIENT_DIR ?= var/client/scale-job-services-client
client: venv
	@mkdir -p var
	@if [ -n "$(SCHEMA_URL)" ]; then \
		source="--url $(SCHEMA_URL)"; \
	else \
		$(BIN)/python manage.py spectacular --format openapi-json --file var/schema.json && \
		source="--path var/schema.json"; \
	fi; \
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/openapi-python-client generate $$source \
		--meta pdm --overwrite --fail-on-warning --output-path "$(CLIENT_DIR)"

# Redocly CLI's lint (its recommended rules, redocly.yaml says which are off and why) of
# the schema; npm installs the pinned CLI under var/redocly the first time.
REDOCLY_CLI := var/redocly/node_modules/.bin/redocly
$(REDOCLY_CLI):
	npm install --silent --no-audit --no-fund --no-save --prefix var/redocly @redocly/cli@2.77.0

lint-schema: venv $(REDOCLY_CLI)
	@mkdir -p var
	$(BIN)/python manage.py spectacular --format openapi-json --file var/schema.json
	$(REDOCLY_CLI) lint --config redocly.yaml --format summary var/schema.json

lint: venv
	$(BIN)/ruff check .

# The embedded PostgreSQL keeps running between commands; this stops it.
stop-db: venv
	$(BIN)/python -c "from pathlib import Path; from scale.embedded_pg import stop_server; print(stop_server(pgdata=Path('var/pgdata')))"
