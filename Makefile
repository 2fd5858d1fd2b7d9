# SDMFormer co-design flow. Every target bootstraps ./.venv on first use.
#   make test   — install (CPU torch pinned by constraints.txt) and run the test suite
#   make sim    — the main job (see README)
#   make lint   — ruff
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SDMF := $(VENV)/bin/sdmf
STAMP := $(VENV)/.installed
PIP_FLAGS ?= --disable-pip-version-check -q
PYTEST_ARGS ?= -n 2

.PHONY: venv test lint sim help clean

help:
	@echo "make test | make sim | make lint | make venv | make clean"

$(STAMP): pyproject.toml setup.py constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(PIP_FLAGS) --upgrade pip
	$(PY) -m pip install $(PIP_FLAGS) -c constraints.txt torch
	$(PY) -m pip install $(PIP_FLAGS) -c constraints.txt -e '.[dev]'
	@touch $@

venv: $(STAMP)

test: $(STAMP)
	@set +e; $(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests (exit 5), treated as success"; rc=0; fi; \
	exit $$rc

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
