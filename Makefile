# spinemets -- the front door.  Every target sets up what it needs itself.
#   make reports   set up, then regenerate reports/ from reports/runs.yaml
#   make test      set up, then lint + format check + all tests (unit, R parity, nbval, pipeline)
#   make lab       set up, then open JupyterLab on lab/ (git-ignored working copies of notebooks/)
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RUNS   ?= reports/runs.yaml
JOBS   ?= 2
KERNEL := spinemets
LAB    := lab

.PHONY: help setup bytecode reports test lint lab notebooks lock bench clean

help:
	@echo "make reports [RUNS=file] [JOBS=n]  regenerate reports (default: the paper on the bundled synthetic cohort)"
	@echo "make test                          lint, format check and every test"
	@echo "make lab                           JupyterLab on lab/: git-ignored working copies of notebooks/"
	@echo "make notebooks                     re-execute the committed notebooks in place (maintainers)"
	@echo "make bench                         run the benchmarks; results in benchmarks/results/"

# Set-up runs only when the pins change (or the venv is missing). pip installs the pinned
# uv (its pin is in requirements.lock), and uv installs the locked environment: the same
# versions as pip would, in about a fifth of the time.
$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "spinemets needs Python 3.11, found " + sys.version.split()[0]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "$$(grep -E '^uv==' requirements.lock)"
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (spinemets)" > /dev/null
	touch $(STAMP)

setup: $(STAMP)

# Compiled modules of the package, written once here: where PYTHONDONTWRITEBYTECODE is set,
# every kernel would otherwise compile lib/spinemets again (the installed libraries are
# compiled at set-up).
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q lib

reports: bytecode
	$(BIN)/spinemets report $(RUNS) --jobs $(JOBS)

lint: $(STAMP)
	$(BIN)/ruff check lib tests notebooks benchmarks
	$(BIN)/ruff format --check lib tests notebooks benchmarks

# One pytest session for the tests and the notebooks (nbval): the notebooks fill the
# workers' gaps instead of running after the tests. Notebooks under tests/ are fixtures of
# the runner's tests, not collected (tests/conftest.py). JOBS test processes share the
# cores: one BLAS thread each (idle BLAS threads spin; the numbers do not depend on it),
# unless you set the variables yourself; the report runner does the same for its kernels.
test: export OPENBLAS_NUM_THREADS ?= 1
test: export OMP_NUM_THREADS ?= 1
test: lint bytecode
	$(BIN)/python -m pytest -p no:randomly -n $(JOBS) --dist loadfile --nbval --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg tests notebooks

# Interactive work happens on copies in lab/ (git-ignored), so that running a notebook on
# a private cohort never writes its outputs into the committed notebooks/. A copy is made
# only when lab/ lacks it: your edits are kept; delete a file in lab/ to get a fresh copy.
lab: $(STAMP)
	mkdir -p $(LAB)/solutions
	for f in notebooks/*.ipynb notebooks/solutions/*; do \
	  t=$(LAB)/$${f#notebooks/}; test -e "$$t" || cp "$$f" "$$t"; done
	@echo "lab/ holds your working copies (git-ignored); notebooks/ is left untouched"
	$(BIN)/jupyter lab $(LAB)

notebooks: $(STAMP)
	$(BIN)/spinemets refresh-notebooks

bench: $(STAMP)
	for f in benchmarks/*.py; do $(BIN)/python $$f || exit 1; done

# Regenerate requirements.lock from a throw-away venv built from pyproject.toml's pins.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet "setuptools==80.9.0" wheel -e ".[dev]"
	{ echo "# Full, transitive pins for a fresh machine (Python 3.11, Linux x86_64)."; \
	  echo "# Regenerate with: make lock   (after changing pins in pyproject.toml)"; \
	  .venv-lock/bin/pip freeze --all --exclude-editable | grep -viE '^(spinemets|pip)=='; } > requirements.lock
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
