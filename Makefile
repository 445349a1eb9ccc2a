# eu-migration-kg — `make help` lists the targets.
SHELL := /bin/bash
PY := .venv/bin/python
VENV_STAMP := .venv/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help setup setup-browser setup-virtuoso build validate run serve test lint types unit bench load clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(VENV_STAMP): pyproject.toml
	python3 -m venv .venv
	.venv/bin/pip install -q --upgrade pip
	.venv/bin/pip install -q -e '.[dev]'
	touch $(VENV_STAMP)

node_modules/.installed: package.json
	npm install --no-audit --no-fund --silent
	touch node_modules/.installed

setup: $(VENV_STAMP) node_modules/.installed ## create .venv, install Python and npm dependencies

setup-browser: ## install Debian's chromium and chromedriver for the browser tests (needs root or sudo)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get update -qq && \
	    $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }

setup-virtuoso: ## install Debian's Virtuoso 7 server (virtuoso-t) for the external-store tests (needs root or sudo)
	@command -v virtuoso-t >/dev/null || \
	  { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get update -qq && \
	    $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq virtuoso-opensource-7-bin >/dev/null; }

build: setup ## build the graph from the letter into output/
	.venv/bin/emkg build

validate: setup ## SHACL report of the graph
	.venv/bin/emkg validate

run: setup ## set up, build and serve the API on the embedded store (http://$(HOST):$(PORT)/)
	.venv/bin/emkg serve --host $(HOST) --port $(PORT)

serve: run ## same as run

lint: setup ## ruff check and ruff format --check
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

types: setup ## mypy (strict)
	.venv/bin/mypy

unit: setup ## the tests without lint (builds the graph first, so servers started by tests share it)
	.venv/bin/emkg build > /dev/null
	.venv/bin/pytest -n 2 --dist loadgroup

test: setup setup-browser setup-virtuoso lint types unit ## set up, then lint, types and every test (unit, API, live server, browser)

bench: setup ## benchmark vs Oxigraph server and rdflib-endpoint, then at 1M triples (BENCH_ARGS="--duration 3 --no-scale")
	@command -v wrk >/dev/null || \
	  { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get update -qq && \
	    $$SUDO apt-get install -y -qq wrk >/dev/null; } || \
	  echo "wrk could not be installed: bench/ uses its slower asyncio+httpx load generator"
	$(PY) -m bench.run $(BENCH_ARGS)

load: setup ## bounded load test on loopback, 16 connections, 60 s (LOAD_ARGS="--duration 20")
	@command -v wrk >/dev/null || \
	  { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get update -qq && \
	    $$SUDO apt-get install -y -qq wrk >/dev/null; } || \
	  echo "wrk could not be installed: bench/ uses its slower asyncio+httpx load generator"
	$(PY) -m bench.load $(LOAD_ARGS)

clean: ## remove the built graph and caches
	rm -rf output .pytest_cache .mypy_cache .ruff_cache
