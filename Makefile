# Quickstart: `make run` (build the seed KG and serve it), `make test` (the whole suite).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STORE  ?= kg-data
PORT   ?= 5000

.PHONY: install install-test run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,cluster]'

run: install
	$(BIN)/kg build seeds/ --store $(STORE)
	$(BIN)/kg serve --store $(STORE) --port $(PORT)

test: install-test
	$(BIN)/ruff check kg server tests bench
	$(BIN)/mypy --strict kg/records.py server/
	$(BIN)/mypy kg/store/
	$(BIN)/python -m pytest -q

bench: install-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(STORE) build *.egg-info
