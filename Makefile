# Two commands for a fresh clone: `make run` and `make test`. Both install what they need, at the versions
# in uv.lock (every package pinned, with its hashes), with uv, which `make` installs into .tools/ first.
PYTHON        ?= python3.11
OTHER_PYTHONS ?= 3.12 3.13
UV_VERSION    := 0.13.9
TOOLS         := .tools
UV            := $(TOOLS)/bin/uv
VENV          := .venv
BIN           := $(VENV)/bin
# --compile-bytecode: every process imports from bytecode, even where it may not write any (a read-only
# install, PYTHONDONTWRITEBYTECODE): a cold `ask` took 6.0 s compiling what it imported, and 3.1 s without.
SYNC          := $(UV) sync --locked --compile-bytecode --python $(PYTHON)
COMPILE_BOT   := $(BIN)/python -m compileall -q bot
# One test process per core (at most 4): the tests that wait on the clock overlap the ones that compute.
PYTEST        := -m pytest -n auto --maxprocesses 4 --dist worksteal

# The machine's Python, never one fetched by uv; the environment in .venv.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install install-dev run test test-fast test-pythons bench ingest lint lock upgrade clean

$(UV):
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON) on PATH (or: make PYTHON=/path/to/python3)"; exit 1; }
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --disable-pip-version-check --quiet uv==$(UV_VERSION)

install: $(UV)  ## the bot alone (no test tools; what is already in .venv stays)
	$(SYNC) --no-dev --inexact
	$(COMPILE_BOT)

install-dev: $(UV)  ## the bot and what the tests, the linters and the benchmarks use, exactly as locked
	$(SYNC)
	$(COMPILE_BOT)

run: install  ## the bot on its embedded default: local Chroma, offline embeddings, console
	$(BIN)/workshop-bot serve

test: install-dev  ## the whole suite: both tiers
	$(BIN)/python $(PYTEST) -m "slow or not slow"

test-fast: install-dev  ## the fast tier (plain `pytest` runs it too, in one process)
	$(BIN)/python $(PYTEST)

# The fast tier on each of OTHER_PYTHONS the machine has: python3.X on PATH, or pyenv's. Each gets .venv-3.X.
test-pythons: $(UV)
	@set -e; for v in $(OTHER_PYTHONS); do \
	  py=$$(pyenv prefix $$v 2>/dev/null)/bin/python$$v; \
	  [ -x "$$py" ] || py=$$(command -v python$$v || true); \
	  if [ -z "$$py" ] || ! "$$py" -c '' 2>/dev/null; then echo "== Python $$v: not on this machine, skipped"; continue; fi; \
	  echo "== Python $$v: $$py"; \
	  UV_PROJECT_ENVIRONMENT=.venv-$$v $(UV) sync --frozen --quiet --python "$$py"; \
	  .venv-$$v/bin/python $(PYTEST) -q -p no:cacheprovider; \
	done

bench: install-dev  ## speed, memory and accuracy figures (docs/benchmarks.md)
	$(BIN)/python -m bench

ingest: install
	$(BIN)/workshop-bot ingest

lint: install-dev  ## ruff, mypy, and the documentation site built strictly (a broken link fails)
	$(BIN)/ruff check bot tests bench tools docs
	$(BIN)/mypy
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

lock: $(UV)  ## uv.lock again from pyproject.toml, keeping every version that still satisfies it
	$(UV) lock

upgrade: $(UV)  ## uv.lock at the newest versions pyproject.toml allows; run `make test` before committing it
	$(UV) lock --upgrade

clean:
	rm -rf $(VENV) .venv-3.* $(TOOLS) data .pytest_cache site
