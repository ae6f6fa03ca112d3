# notion-pipeline: `make demo` indexes the bundled sample workspace; `make test` runs the tests.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: setup demo dev test test-all bench clean

setup: $(STAMP)

# torch is installed first and pinned to 2.13.0 (CPU build); a looser requirement pulls a
# multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

demo: setup $(DAGSTER_HOME)/dagster.yaml
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

dev: setup $(DAGSTER_HOME)/dagster.yaml
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/dev.sh

test: setup
	$(BIN)/python -m pytest

test-all: setup
	$(BIN)/python -m pytest -m ''

bench: setup
	$(BIN)/python benchmarks/bench_sync.py --pages 200

clean:
	rm -rf .data .dagster_home
