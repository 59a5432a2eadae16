# Two commands on a fresh machine:
#   make demo   sets up .venv and regenerates the related lists of the sample corpus in data/ (into out/)
#   make test   sets up .venv and runs the tests (what .ci/run calls)
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup demo test test-fast bench

$(BIN)/relate: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q torch==2.13.0      # the CPU build, before sentence-transformers
	$(BIN)/pip install -q -e '.[dev]'
	touch $(BIN)/relate

setup: $(BIN)/relate

demo: setup
	$(BIN)/relate regenerate data --out out/data --workspace out/workspace
	@echo; echo "== one regenerated list (out/data/$$(ls data | grep -m1 '\.md$$')) =="
	@sed -n '/^related:/,/^secured:/p' "out/data/$$(ls data | grep -m1 '\.md$$')" | head -40

test: setup
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

bench: setup
	$(BIN)/python benchmarks/run_all.py
