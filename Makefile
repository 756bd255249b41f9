# `make run` serves the demo plant; `make test` runs the whole suite; `make bench` measures the
# service beside its ceilings (QUICK=1: a tiny plant and short loads; S1=1: also at 10x the scale);
# `make test-faults` runs the fault checker on private PostgreSQL and RabbitMQ servers.
# All set everything up.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
SCALE ?= 1

API_ARGS ?=

.PHONY: install services run test test-api test-faults test-cluster bench lint

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

# Checks PostgreSQL and RabbitMQ at DATABASE_URL / AMQP_URL. Where they don't answer and a
# Docker engine works, starts them with docker compose; otherwise says so and stops.
services: install
	@$(PY) -m shared.preflight --quiet || { \
	  if docker info >/dev/null 2>&1; then \
	    echo "starting postgres and rabbitmq with docker compose"; \
	    docker compose up -d --wait postgres rabbitmq; \
	  else \
	    $(PY) -m shared.preflight; exit 1; \
	  fi; }

run: services
	@$(PY) -m shared.preflight --create-database
	$(VENV)/bin/mantenimiento migrate
	$(VENV)/bin/mantenimiento demo-data
	$(VENV)/bin/mantenimiento run

test: services
	$(PY) -m pytest $(PYTEST_ARGS)

# schemathesis against a live gateway and worker on a fresh demo database (tests/api_fuzz.py).
test-api: services
	$(PY) -m tests.api_fuzz $(API_ARGS)

# Needs root (it runs the private servers as the postgres and rabbitmq users), PostgreSQL 15's
# binaries and rabbitmq-server; it never touches the stock servers.
test-faults: install
	$(PY) -m tests.faults

# Needs root like test-faults: a PostgreSQL primary and its streaming replica of their own.
test-cluster: services
	$(PY) -m pytest -m cluster -rP tests/cluster $(PYTEST_ARGS)

bench: services
	$(PY) -m bench $(if $(QUICK),--quick,--scale $(SCALE)) $(if $(S1),--s1)

lint: install
	$(PY) -m pip install -q -e '.[lint]'
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check gateway workers shared tests bench
	$(VENV)/bin/mypy
