# Thanh Hóa Integration Hub — developer entry points. Every target sets up what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=



.PHONY: help setup browser helm-check run test soak lint typecheck imports test-unit test-integration kafka-start kafka-stop kafka-status clean

help:
	@echo "make run    - set up, start local Kafka and the hub"
	@echo "make test   - set up, start Kafka if needed, lint, typecheck, run every test"
	@echo "make soak   - a worker under steady traffic for MINUTES (10) at RATE (50) ev/s"
	@echo "make lint | typecheck | imports | test-unit | test-integration | kafka-start | kafka-stop"

# The virtual environment is rebuilt when pyproject.toml changes.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The citizen page is tested in headless Chromium (Debian's package).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "The citizen-page test needs Chromium: sudo apt-get install chromium"; exit 2; fi; }

# Chromium is only for a test: setup checks for it when the goal is test or test-integration
# (`make run` and the other targets do not need it).
setup: $(STAMP) $(if $(filter test test-integration,$(MAKECMDGOALS)),browser)
	@$(BIN)/python -c "from hub_api.localkafka import LocalKafka; from hub_settings import load_settings; LocalKafka(load_settings().local_kafka, progress=print).ensure_jars()"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

test-unit: $(STAMP)
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

# The pytest session starts the local broker if none runs, and stops it if it started it.
test-integration: setup
	$(BIN)/pytest tests/integration $(PYTEST_ARGS)

# The chart with the real helm (built once from source through the Go module proxy).
helm-check: $(STAMP)
	deploy/helm/check.sh

test: setup lint typecheck imports helm-check
	$(BIN)/pytest $(PYTEST_ARGS)

# Soak: a worker under steady traffic; memory and lag over time (issue 10; not in make test).
MINUTES ?= 10
RATE ?= 50
soak: setup
	$(BIN)/hub soak --minutes $(MINUTES) --rate $(RATE) --every 30

kafka-start: setup
	$(BIN)/hub kafka start

kafka-stop: $(STAMP)
	$(BIN)/hub kafka stop

kafka-status: $(STAMP)
	$(BIN)/hub kafka status

# Kafka (left running afterwards), schemas, catalog, the hub's key, a worker and the API.
run: setup
	$(BIN)/hub dev

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build *.egg-info
