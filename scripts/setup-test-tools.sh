#!/usr/bin/env bash
# Installs what only the tests need, from Debian's packages, npm and PyPI.
# Called by `make test`; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "test tools: nothing beyond the Python packages yet"

# FHIR server for the sync tests (tests/servers/sekmet.py): sekmet-fhir in its own venv, because its
# dependencies (FastAPI, fhir.resources ...) may clash with the app's. Pinned: its quirks are tested.
SEKMET_VERSION=0.1.1
SEKMET_VENV=.tools/sekmet-venv
if ! "$SEKMET_VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('sekmet-fhir') != '$SEKMET_VERSION')" 2>/dev/null; then
    mkdir -p .tools
    python3 -m venv "$SEKMET_VENV"
    "$SEKMET_VENV/bin/python" -m pip install --quiet --upgrade pip
    "$SEKMET_VENV/bin/python" -m pip install --quiet "sekmet-fhir==$SEKMET_VERSION"
fi
"$SEKMET_VENV/bin/sekmet" --version >/dev/null
echo "test tools: sekmet-fhir $SEKMET_VERSION in $SEKMET_VENV"
