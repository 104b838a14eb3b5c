# Two commands do all the set-up: `make demo` and `make test`. Both build .venv themselves.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean migration

$(STAMP): pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,webhooks]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m duban.demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/planner.py

# A new Alembic revision for what the models changed (released revisions are never rewritten):
# make migration MESSAGE="what changed"
migration: $(STAMP)
	$(BIN)/python -m db.regen_migration "$(MESSAGE)"

clean:
	rm -rf $(VENV) demo-output .pytest_cache
