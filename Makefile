# glassfit: `make demo` runs the demo campaign, `make test` the whole test suite. Both set up .venv first.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.glassfit-installed
DEMO_CONFIG ?= config/demo.yaml

.PHONY: install demo test bench clean-demo

install: $(STAMP)

# torch is installed first, pinned, so that no CUDA build of several GB is pulled in as a dependency.
$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: install
	$(VENV)/bin/snakemake --profile profiles/local --configfile $(DEMO_CONFIG)
	$(VENV)/bin/glassfit report --configfile $(DEMO_CONFIG)

test: install
	$(VENV)/bin/pytest

clean-demo:
	rm -rf results/demo
