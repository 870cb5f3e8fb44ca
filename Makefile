# Relay: `make run` serves the embedded setup on 127.0.0.1:8000, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATA_DIR ?= var/test
# `make run DEMO_DATA=0` starts without the demo datasets of labelled synthetic speech.
DEMO_DATA ?= 1

.PHONY: install run serve migrate test lint format screenshots schema client-types bench bench-quick bench-quality bench-client bench-ui clean stack stack-stop stack-status test-stack bench-stack

$(INSTALLED): pyproject.toml client/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]" -e ./client
	touch $@

install: $(INSTALLED)

migrate: install
	$(BIN)/python manage.py migrate --noinput

# The demo data is made on the first run (a few seconds) and processed by serve's own workers.
run: migrate
	$(BIN)/python manage.py bootstrap_demo --base-url http://$(HOST):$(PORT) \
		$(if $(filter 1 yes true,$(DEMO_DATA)),--with-data --background --if-new)
	$(BIN)/python manage.py serve --host $(HOST) --port $(PORT)

# The production shape on 127.0.0.1 (PostgreSQL, Redis, moto's S3, gunicorn, a worker per queue);
# ports from RELAY_STACK_PG_PORT, RELAY_STACK_REDIS_PORT, RELAY_STACK_S3_PORT, RELAY_STACK_WEB_PORT.
# `make stack STACK_DEMO_DATA=1` also makes the demo datasets. `make stack-stop` ends it by pid.
STACK_DEMO_DATA ?= 0
stack: install
	$(BIN)/python scripts/stack.py start $(if $(filter 1 yes true,$(STACK_DEMO_DATA)),--demo-data)

stack-stop:
	$(BIN)/python scripts/stack.py stop

stack-status:
	$(BIN)/python scripts/stack.py status

# 50 clients for 60 s of Relay's 4-way mix, then of a bare JSON view, on a stack of its own.
bench-stack: install
	RELAY_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/python -m tests.bench.bench_stack $(BENCH_ARGS)

# Fault and load tests on a stack of their own (free ports): tests/stack/. CI runs this once.
test-stack: install
	RELAY_STACK_TESTS=1 RELAY_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/python -m pytest tests/stack $(PYTEST_ARGS)

test: install
	RELAY_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The annotation benchmark runs on the database DATABASE_URL names (its targets are for PostgreSQL).
bench: install
	RELAY_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/python -m tests.bench.bench_processing
	RELAY_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/python -m tests.bench.bench_inference
	RELAY_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/python -m tests.bench.bench_annotations

bench-quick: install
	RELAY_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/python -m tests.bench.bench_processing --quick
	RELAY_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/python -m tests.bench.bench_inference --quick
	RELAY_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/python -m tests.bench.bench_annotations --rows 100000

# `relay upload` throughput: 200 short files at --parallel 1/4/8, and one 500 MB file.
bench-client: install
	RELAY_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/python -m tests.bench.bench_client_upload --json var/bench-client/results.json

# The labeling page in Chromium: a 60-minute file with 2 000 regions (open, zoom, drag, server times).
bench-ui: install
	RELAY_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/python -m tests.bench.bench_ui --json var/bench-ui/results.json

# Trains on the bench kit's public + hard corpora through the REST API and scores their test splits
# and the corpora it never trains on (generalisation, held-out voices, conditions and engines).
bench-quality: install
	RELAY_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/python -m tests.bench.bench_quality --json var/bench-quality/results.json

# Rewrites the README's pictures in docs/screenshots/ from the browser tests.
screenshots: install
	RELAY_DATA_DIR=$(TEST_DATA_DIR) RELAY_UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser -q

schema: install
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml

# The client's TypedDicts from the schema (tests/client/test_schema_agreement.py checks them).
client-types: install
	$(BIN)/python client/tools/generate_types.py docs/openapi.yaml client/src/relay_client/schema.py
	$(BIN)/ruff format --quiet client/src/relay_client/schema.py

clean:
	rm -rf $(VENV) var .pytest_cache
