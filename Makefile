# Two commands for a fresh clone: `make run` and `make test`. Both install what they need.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV    := $(VENV)/.installed-dev
PIP    := $(BIN)/python -m pip install --disable-pip-version-check --progress-bar on

.PHONY: run test test-fast bench ingest lint clean

# The bot alone: no PyTorch (the embedding model runs on ONNX Runtime). constraints.txt holds the pins
# every install shares, the sentence-transformers extra's CPU-only torch among them.
$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON) on PATH (or: make PYTHON=/path/to/python3.11)"; exit 1; }
	@echo "installing the bot into $(VENV): about a minute and 600 MB the first time"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --no-compile -c constraints.txt -e .  # bytecode is written on first import, for what is used
	touch $(STAMP)

# ... and what the tests, the linters and the benchmarks use.
$(DEV): $(STAMP)
	$(PIP) -c constraints.txt -e '.[dev]'
	touch $(DEV)

run: $(STAMP)  ## the bot on its embedded default: local Chroma, offline embeddings, console
	$(BIN)/workshop-bot serve

test: $(DEV)  ## the whole suite: both tiers
	$(BIN)/python -m pytest -m "slow or not slow"

test-fast: $(DEV)  ## the fast tier (plain `pytest` runs it too)
	$(BIN)/python -m pytest

bench: $(DEV)  ## speed and memory figures (see README)
	$(BIN)/python -m bench

ingest: $(STAMP)
	$(BIN)/workshop-bot ingest

lint: $(DEV)
	$(BIN)/ruff check bot tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) data .pytest_cache
