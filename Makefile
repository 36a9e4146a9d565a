# Two commands for a fresh clone: `make run` and `make test`. Both install what they need.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP    := $(BIN)/python -m pip install --disable-pip-version-check --progress-bar on

.PHONY: run test test-fast bench ingest lint clean

# torch first, pinned to the CPU build on the machine: an unpinned torch pulls gigabytes of CUDA.
# constraints.txt keeps every later resolution on that same torch.
$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON) on PATH (or: make PYTHON=/path/to/python3.11)"; exit 1; }
	@echo "installing into $(VENV): about 3 minutes and 2 GB the first time (CPU-only torch, the embedding model)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -c constraints.txt torch==2.13.0
	$(PIP) -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## the bot on its embedded default: local Chroma, offline embeddings, console
	$(BIN)/workshop-bot serve

test: $(STAMP)  ## the whole suite: both tiers
	$(BIN)/python -m pytest -m "slow or not slow"

test-fast: $(STAMP)  ## the fast tier (plain `pytest` runs it too)
	$(BIN)/python -m pytest

bench: $(STAMP)  ## speed and memory figures (see README)
	$(BIN)/python -m bench

ingest: $(STAMP)
	$(BIN)/workshop-bot ingest

lint: $(STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) data .pytest_cache
