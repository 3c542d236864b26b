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

# Reproducible bytes and threads: no dates in saved figures, one seed for hashing.
export SOURCE_DATE_EPOCH := 0
export PYTHONHASHSEED := 0
export MPLBACKEND := Agg
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# Same bits on every x86-64 machine: OpenBLAS and NumPy pick their kernels by CPU
# (AVX-512 machines get other GEMM blocking and other exp/tanh code, so results differ in
# the last bits, and long training runs amplify that into different printed numbers).
# Pin both to the AVX2+FMA code paths that every x86-64-v3 CPU runs identically.
ifeq ($(shell uname -m),x86_64)
export OPENBLAS_CORETYPE := Haswell
export NPY_DISABLE_CPU_FEATURES := X86_V4 AVX512_ICL AVX512_SPR
endif

.PHONY: all venv figures test unit nbval data lab bench clean

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
	  $(PY) tests/normalize_notebook.py "$$nb" || exit 1; \
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
	$(PY) benchmarks/bench_mnist.py

clean:
	rm -rf $(VENV) .pytest_cache
