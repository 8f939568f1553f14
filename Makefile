# Every target creates .venv and installs what it needs: `make demo` and
# `make test` work on a fresh clone with nothing but python3 (>=3.10).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --disable-pip-version-check -c requirements/constraints.txt
# Threads per pytest worker: 2 workers x 1 torch thread fill 2 cores
# without oversubscription.
TEST_WORKERS ?= 2

.PHONY: install demo test lint bench docs clean

$(VENV)/.installed: pyproject.toml requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e ".[dev]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(PY) examples/demo.py

lint: install
	$(PY) -m ruff check sklearn_rnn tests examples benchmarks

test: install lint
	OMP_NUM_THREADS=1 $(PY) -m pytest -n $(TEST_WORKERS) -q

clean:
	rm -rf $(VENV) demo_output docs/_build docs/auto_examples docs/gen_modules
