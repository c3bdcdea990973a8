# glassfit: `make install` sets up .venv and the short profile names (`snakemake --profile local|slurm`), `make demo`
# runs the demo campaign, `make test` the whole test suite (both set up .venv first), `make report` writes a
# campaign's HTML report to results/<campaign>/report.zip (CONFIG=config/demo.yaml for the demo's).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.glassfit-installed
DEMO_CONFIG ?= config/demo.yaml
CONFIG ?= config/config.yaml
WORKDIR ?= .

.PHONY: install profiles link-profiles demo test lint report bench clean-demo

install: $(STAMP) profiles

# Links profiles/local and profiles/slurm into Snakemake's user profile folder (~/.config/snakemake), so that
# `snakemake --profile slurm` works as typed; refuses, and changes nothing, if a different profile of that name exists.
profiles: $(STAMP)
	$(PY) -m glassfit.profiles

# The same for `make demo` and `make test`, which go on (with the reason printed) if a different profile of that name exists.
link-profiles: $(STAMP)
	-@$(PY) -m glassfit.profiles

# torch is installed first, pinned, so that no CUDA build of several GB is pulled in as a dependency.
$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[test]"
	$(PY) -m glassfit.mpihook
	touch $(STAMP)

demo: $(STAMP) link-profiles
	$(VENV)/bin/snakemake --profile profiles/local --configfile $(DEMO_CONFIG)
	$(VENV)/bin/glassfit report --configfile $(DEMO_CONFIG)

test: $(STAMP) link-profiles
	$(VENV)/bin/pytest

# The import graph: no cycle, and each layer imports only those below it (the contracts in pyproject.toml).
lint: $(STAMP)
	$(VENV)/bin/lint-imports

# The Snakemake HTML report of a campaign (every figure and table of final/, with captions and provenance), for the
# campaign of CONFIG run in WORKDIR; run it after the campaign has finished.
report: $(STAMP)
	cd $(WORKDIR) && results=$$($(abspath $(PY)) -c 'import sys; from glassfit import config; print(config.load(sys.argv[1]).results)' $(abspath $(CONFIG))) && \
	$(abspath $(VENV))/bin/snakemake --snakefile $(CURDIR)/Snakefile --profile $(CURDIR)/profiles/local --configfile $(abspath $(CONFIG)) \
		--report $$results/report.zip && echo "report: $(WORKDIR)/$$results/report.zip"

clean-demo:
	rm -rf results/demo
