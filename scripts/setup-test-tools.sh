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

# PDF export tests (tests/test_exports_pdf.py): Debian's poppler-utils renders the sheet to PNG
# (pdftoppm) and reads its text back (pdftotext).
if ! command -v pdftoppm >/dev/null || ! command -v pdftotext >/dev/null; then
    SUDO=$([ "$(id -u)" -eq 0 ] && echo "" || echo "sudo")
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq poppler-utils
fi
echo "test tools: $(pdftoppm -v 2>&1 | head -n 1)"
