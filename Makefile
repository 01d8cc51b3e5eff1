# The series' commands. `make lab` to learn, `make test` to check everything; see README.md.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# the python3 kernel that nbval/nbconvert start must be this environment's python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PYTHONHASHSEED := 0
# torch's OpenMP threads sleep instead of spinning while they wait: on 2 shared cores spinning threads
# slowed training notebooks from seconds to minutes
export OMP_WAIT_POLICY := PASSIVE
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
NB ?= $(NOTEBOOKS)
# the notebooks that train a network: their stored numbers depend on the CPU's floating-point kernels
TRAINING_NOTEBOOKS := notebooks/06_full_cnn.ipynb notebooks/08_backprop_through_conv.ipynb \
  notebooks/09_beyond_classification.ipynb notebooks/10_why_convolution_wins.ipynb \
  notebooks/11_batchnorm_and_residuals.ipynb

# Strict nbval: every stored output compared, this environment's kernel, the sanitizer for addresses and timings.
# Every test has a time limit (pytest-timeout, `timeout` in pyproject.toml); a notebook cell may take nbval's
# kernel start-up (60 s) and cell limit and a minute more, so that nbval's message, which names the cell, comes
# first. tests/conftest.py gives cells that limit when tests run too; runs of notebooks alone pass it here.
CELL_TIMEOUT := 600
NBVAL_FLAGS := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
  --nbval-cell-timeout=$(CELL_TIMEOUT)
NOTEBOOKS_ALONE := $(NBVAL_FLAGS) --timeout=$(shell echo $$((60 + $(CELL_TIMEOUT) + 60))) \
  -o addopts="-p no:cacheprovider"

.PHONY: lab test unit checks nbval execute lint student slides html bench clean browser-deps hub hub-deps nbgrader

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[torch,test]'
	touch $@

$(VENV): $(VENV)/.installed

lab: $(VENV)/.installed
	$(VENV)/bin/jupyter lab notebooks/

# Under CI the browser tests must run, so Debian's chromium (and npm for the offline slides) is installed
# here; elsewhere the browser tests skip with a message when /usr/bin/chromium is missing.
browser-deps:
	@if [ -n "$$CI" ] && [ ! -x /usr/bin/chromium ]; then \
	  echo "CI: installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || { echo "could not install chromium"; exit 1; }; \
	fi
	@if [ -n "$$CI" ] && ! command -v npm >/dev/null; then \
	  echo "CI: installing Debian's nodejs and npm for the offline slides"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null) \
	  || { echo "could not install npm"; exit 1; }; \
	fi

# Everything, then the training notebooks a second time on another CPU, simulated: ATEN_CPU_CAPABILITY=default
# makes torch use its generic kernels instead of the AVX2/AVX-512 ones it picks here, as on a student's older
# or different laptop; trained numbers change in their last digits. A notebook that passes strict nbval both
# ways stores outputs that hold on other CPUs. Both runs always run; the target fails if either failed.
test: $(VENV)/.installed browser-deps hub-deps
	@status=0; \
	set -x; \
	$(PY) -m pytest tests helpers notebooks $(NBVAL_FLAGS) || status=1; \
	ATEN_CPU_CAPABILITY=default $(PY) -m pytest $(NOTEBOOKS_ALONE) $(TRAINING_NOTEBOOKS) || status=1; \
	exit $$status

# the inner loop: the helpers' tests and doctests; no notebook run or built, no server, no browser
unit: $(VENV)/.installed
	$(PY) -m pytest tests helpers -m "not browser and not notebooks"

# every exercise's check against its catalogue of wrong answers (tests/catalogues/), then the table per notebook
checks: $(VENV)/.installed
	rm -f build/checks_report.json
	$(PY) -m pytest tests/test_catalogues.py -q; status=$$?; $(PY) tools/checks_report.py; exit $$status

nbval: $(VENV)/.installed
	$(PY) -m pytest $(NOTEBOOKS_ALONE) $(NB)

execute: $(VENV)/.installed
	@for nb in $(NB); do \
	  echo "executing $$nb"; \
	  $(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.kernel_name=python3 "$$nb" || exit 1; \
	done

# --- classroom builds (tools/classroom.py) --------------------------------------------------------------
# NB defaults to every notebook: `make slides NB=notebooks/03_padding_stride_dilation.ipynb` builds one.
# slides and html fetch reveal.js, require.js, jQuery, MathJax 2, Font Awesome 4 and the widget renderer
# once from the npm registry (`npm pack`, versions and sha512 checksums pinned in tools/classroom.py) into
# build/vendor/, and copy what the pages load into build/slides/vendor/ and build/html/vendor/, so the
# pages work opened from disk with no network. Add `ARGS=--cdn` to link nbconvert's CDNs instead.

# build/student/: solutions removed, outputs cleared; a notebook a student edited is never overwritten
# (the new version is written beside it as NN_name.new.ipynb, and the command says so)
student: $(VENV)/.installed
	$(PY) tools/classroom.py student $(NB)

# build/slides/: one reveal.js deck per executed notebook (cells' slideshow metadata), plus index.html
slides: $(VENV)/.installed
	$(PY) tools/classroom.py slides $(ARGS) $(NB)

# build/html/: static HTML of every executed notebook, stored widget state embedded (widgets frozen)
html: $(VENV)/.installed
	$(PY) tools/classroom.py html $(ARGS) $(NB)

bench: $(VENV)/.installed   # torch timed with OpenMP's default wait policy (the series run inside sets PASSIVE)
	env -u OMP_WAIT_POLICY $(PY) benchmarks/bench.py $(ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check helpers tests notebooks benchmarks tools

# build/nbgrader/: an nbgrader course, one assignment per notebook (source/NN_name/NN_name.ipynb), with the
# nbgrader_config.py the series needs (README.md: grading with nbgrader). NB=… adds or rebuilds one assignment.
nbgrader: $(VENV)/.installed
	$(PY) tools/nbgrader_course.py $(NB)

# --- the classroom hub (tools/hub/, docs/classroom.md) ---------------------------------------------------
# configurable-http-proxy 5.3.0 from the npm registry; tools/hub/package-lock.json pins its dependencies
# and their checksums
HUB_PROXY := build/hub/node/node_modules/.bin/configurable-http-proxy

$(HUB_PROXY): tools/hub/package.json tools/hub/package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: apt-get install nodejs npm"; exit 1; }
	mkdir -p build/hub/node
	cp tools/hub/package.json tools/hub/package-lock.json build/hub/node/
	npm ci --prefix build/hub/node --no-audit --no-fund --loglevel=error
	touch $@

# a local JupyterHub to try the series as a class would: builds the student version, commits it into
# build/hub/upstream/, prints the nbgitpuller link; any name and password log in; Ctrl-C stops everything.
# `make hub NB="notebooks/01_conv1d_by_hand.ipynb"` serves just that one, `ARGS="--port 0"` any free port.
hub: $(VENV)/.installed $(HUB_PROXY)
	$(PY) tools/hub/run_hub.py $(ARGS) $(NB)

# Under CI the hub test must run, so the proxy is installed here (npm comes from browser-deps); elsewhere it
# is installed when npm is there, and tests/test_hub.py skips with a message when it is not.
hub-deps: browser-deps
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) $(HUB_PROXY); \
	elif [ -n "$$CI" ]; then echo "CI: npm is missing, so the hub test cannot run"; exit 1; \
	else echo "npm is missing: tests/test_hub.py will skip (apt-get install nodejs npm to run it)"; fi

clean:
	rm -rf build
