# make demo   run the service on its embedded defaults (SQLite, in-memory channel layer)
# make test   lint, then the suite twice: embedded defaults, then real MariaDB + Redis
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# pip runs only when the locks changed since the last install. The locks pin every package with
# its hashes (requirements*.txt say what we import and why; `make lock` regenerates the locks).
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: help test test-fast test-servers lint fmt demo demo-check serve bench clean system-packages lock

help:
	@echo "make demo        serve the agent on 127.0.0.1:$${AGENT_PORT:-8001} (SQLite, offline LLM unless a key is set)"
	@echo "make serve       production launcher: AGENT_WORKERS daphne workers on AGENT_BIND:AGENT_PORT (deploy/README.md)"
	@echo "make demo-check  start the demo on a free port, check /v1/health and /v1/readiness, stop"
	@echo "make test        ruff, fast suite on SQLite, then the full suite on real MariaDB + Redis"
	@echo "make lint | fmt | bench | lock | clean"

$(PY):
	@scripts/ensure_system_packages.sh python3-venv
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): requirements.lock | $(PY)
	$(PY) -m pip install -q --require-hashes -r requirements.lock
	touch $@

$(DEV_STAMP): requirements.lock requirements-dev.lock | $(PY)
	$(PY) -m pip install -q --require-hashes -r requirements-dev.lock
	touch $@ $(RUNTIME_STAMP)

# After editing requirements*.txt: resolve again and write both locks (pip-tools in a
# throwaway virtualenv, so it is no dependency of ours). Resolved with Debian's own Python
# (3.11.2), which production and CI run: a newer 3.11 drops async-timeout (redis needs it
# below 3.11.3), and pip's --require-hashes then refuses the lock on Debian.
LOCK_PYTHON ?= /usr/bin/python3
lock:
	$(LOCK_PYTHON) -m venv --clear var/lockenv
	var/lockenv/bin/pip install -q pip-tools==7.7.0
	var/lockenv/bin/pip-compile -q --generate-hashes --allow-unsafe --strip-extras --no-header \
		--no-emit-index-url --no-emit-find-links \
		-o requirements.lock requirements.txt
	var/lockenv/bin/pip-compile -q --generate-hashes --allow-unsafe --strip-extras --no-header \
		--no-emit-index-url --no-emit-find-links \
		-o requirements-dev.lock requirements-dev.txt

system-packages:
	@scripts/ensure_system_packages.sh

test: $(DEV_STAMP) system-packages
	$(VENV)/bin/ruff check .
	@$(MAKE) --no-print-directory test-fast
	@$(MAKE) --no-print-directory test-servers

# The two passes on their own (no installs); `make test` runs both.
test-fast:
	@echo
	@echo "=== pass 1/2: embedded defaults (SQLite, in-memory channel layer): not mariadb, not redis ==="
	@# REDIS_URL= (empty, not unset) also beats a REDIS_URL in a developer's .env.
	env -u DATABASE_URL -u AGENT_DATABASE_URL REDIS_URL= $(VENV)/bin/pytest -m "not mariadb and not redis"

test-servers:
	@echo
	@echo "=== pass 2/2: real servers (throwaway MariaDB + Redis on 127.0.0.1): all tests ==="
	$(PY) scripts/testservers.py run -- $(VENV)/bin/pytest

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: $(DEV_STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

demo: $(RUNTIME_STAMP)
	$(PY) scripts/demo.py serve

# What deploy/systemd/infrazen-agent.service runs (without make: see deploy/README.md).
serve: $(RUNTIME_STAMP)
	exec $(PY) scripts/serve.py

demo-check: $(RUNTIME_STAMP)
	$(PY) scripts/demo.py check

bench: $(DEV_STAMP)
	@if [ -f bench/run_all.py ]; then \
		$(PY) bench/run_all.py; \
	else \
		echo "bench/run_all.py does not exist yet: nothing to run"; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache var/staticfiles
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
