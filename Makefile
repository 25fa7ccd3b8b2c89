# The two commands of the README: `make demo` and `make test`. Both create .venv and install into it.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first and pinned: 2.13.0 is the CPU wheel on this machine's disk; letting
	# stable-baselines3 pull torch in would download a CUDA build of several GB.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[agents,live,ui,fast,build,tune,rllib,test]"
	touch $(STAMP)

demo: $(STAMP)
	OMP_WAIT_POLICY=PASSIVE $(PY) -m agents demo --out demo

test: $(STAMP)
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy && $(PY) -m ruff check .
	OMP_WAIT_POLICY=PASSIVE $(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check gym_launchpad agents benchmarks tests examples

clean:
	rm -rf $(VENV) demo build *.egg-info
