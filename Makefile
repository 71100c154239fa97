# Two commands set up everything on a fresh machine:
#   make run   - create .venv, install, open the app on the embedded demo data
#   make test  - create .venv, install the app and every test tool, run the whole test suite
# Both are safe to run again; they only redo what is missing.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TOOLS  := $(VENV)/.test-tools
PORT   ?= 8501

.PHONY: run test setup test-tools bench demo clean

run: $(STAMP)
	$(PY) serve.py --server.address 127.0.0.1 --server.port $(PORT)

test: $(STAMP) $(TOOLS)
	$(VENV)/bin/pytest

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

# Tools only the tests need (browser, FHIR server); see scripts/setup-test-tools.sh.
$(TOOLS): scripts/setup-test-tools.sh $(STAMP)
	bash scripts/setup-test-tools.sh
	touch $(TOOLS)

# The performance benchmark (bench/README.md): about 10-18 minutes on 2 cores; its last line is the
# figures as one JSON object. Not part of `make test`.
bench: $(STAMP) $(TOOLS)
	$(PY) bench/run.py

demo: $(STAMP)
	$(PY) data/demo/make_demo.py

clean:
	rm -rf $(VENV) .tools node_modules .pytest_cache .hypothesis
