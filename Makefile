# The two commands of the README: `make demo` and `make test`. Both create .venv and install into it: the
# demo only what it imports (the [agents] extra), the tests every extra; `make test` after `make demo` adds
# the rest to the same .venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Where pip finds torch: empty, pip's usual indexes. From PyPI, torch 2.13.0 for Linux x86-64 is the CUDA
# build (a 527 MB wheel, then NVIDIA's CUDA libraries); nothing here needs a GPU, and PyTorch's CPU-only
# wheels (192 MB) are chosen as PyTorch documents for pip, on a fresh venv (make clean):
#   make demo TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=
TORCH_STAMP := $(VENV)/.torch-stamp
DEMO_STAMP := $(VENV)/.demo-stamp
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint clean

# torch first and pinned, so that stable-baselines3 does not pull in another build. On the machine this
# project is developed on, pip's local wheels hold 2.13.0's CPU build.
$(TORCH_STAMP):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	touch $@

$(DEMO_STAMP): $(TORCH_STAMP) setup.cfg pyproject.toml
	$(PY) -m pip install --quiet -e ".[agents]"
	touch $@

$(STAMP): $(DEMO_STAMP) setup.cfg pyproject.toml
	$(PY) -m pip install --quiet -e ".[agents,zoo,eval,offline,live,ui,fast,build,tune,rllib,test]"
	touch $@

demo: $(DEMO_STAMP)
	OMP_WAIT_POLICY=PASSIVE $(PY) -m agents demo --out demo

test: $(STAMP)
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy && $(PY) -m ruff check .
	OMP_WAIT_POLICY=PASSIVE $(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check gym_launchpad agents benchmarks tests examples

clean:
	rm -rf $(VENV) demo build *.egg-info
