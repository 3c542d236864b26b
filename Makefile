# Two commands do everything on a fresh machine:
#   make figures   re-execute every notebook in order, writing figures/
#   make test      unit tests, then nbval re-running the notebooks as regression tests
# Both create .venv from requirements.txt first when it is missing.

PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
# `make figures PY=python` (e.g. inside the conda environment) uses that interpreter as it is
# and creates no .venv; otherwise every target first makes sure .venv is installed.
ENV_DEP := $(if $(filter command line,$(origin PY)),,$(STAMP))
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.ipynb))

# Reproducible bits, bytes and threads: reproducible.env is the one definition (conftest.py
# applies the same file when pytest is run directly). MACHINE:NAME=VALUE lines apply on
# that machine type only.
MACHINE := $(shell uname -m)
REPRO_ENV := $(shell sed -n -e 's/[[:space:]]*\#.*//' -e 's/^$(MACHINE)://' -e '/^[A-Za-z_][A-Za-z0-9_]*=/p' reproducible.env)
$(foreach setting,$(REPRO_ENV),$(eval export $(setting)))
# Notebook kernels (and their joblib workers) import ffnn_core from the repository root.
export PYTHONPATH := $(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))

.PHONY: all venv figures test unit nbval data lab bench select-mnist mnist-runs clean print-env

all: test

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

venv: $(STAMP)

data: $(ENV_DEP)
	$(PY) data/make_runge_data.py

figures: $(ENV_DEP) data
	@for nb in $(NOTEBOOKS); do \
	  echo "executing $$nb"; start=$$(date +%s); \
	  $(PY) -m jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=1200 --ExecutePreprocessor.kernel_name=python3 \
	    --ExecutePreprocessor.record_timing=False "$$nb" || exit 1; \
	  $(PY) notebooks/normalize_notebook.py "$$nb" || exit 1; \
	  echo "$$nb: $$(( $$(date +%s) - start )) s"; \
	done

unit: $(ENV_DEP)
	$(PY) -m pytest tests

nbval: $(ENV_DEP)
	$(PY) -m pytest --nbval $(NOTEBOOKS) --nbval-sanitize-with tests/nbval_sanitize.cfg \
	  --nbval-kernel-name python3 -p no:cacheprovider

test: unit nbval

lab: $(ENV_DEP)
	$(PY) -m jupyter lab notebooks/

bench: $(ENV_DEP)
	env -u OPENBLAS_NUM_THREADS -u OMP_NUM_THREADS -u MKL_NUM_THREADS $(PY) benchmarks/bench_mnist.py  # it sets its own --threads
	env -u OPENBLAS_NUM_THREADS -u OMP_NUM_THREADS -u MKL_NUM_THREADS $(PY) benchmarks/bench_population.py  # one BLAS thread, set inside
	$(PY) benchmarks/bench_search.py  # one BLAS thread, n_jobs=1

select-mnist: $(ENV_DEP)  # re-runs the choice of notebook 04's best network on validation data (about 15 CPU minutes)
	$(PY) notebooks/select_mnist_best.py --epochs 20 30 --input-dropout 0 0.2

mnist-runs: $(ENV_DEP)  # re-makes data/mnist_runs.npz, the long runs notebook 04 reads (79 CPU minutes on the machine that made it)
	$(PY) notebooks/mnist_runs.py --jobs 2

print-env:  # the reproducible settings as make exports them (tests/test_environment.py checks them)
	@$(foreach setting,$(REPRO_ENV),echo '$(setting)';)

clean:
	rm -rf $(VENV) .pytest_cache
