#!/usr/bin/env bash
# Installs what only the tests need, from Debian's packages, npm and PyPI.
# Called by `make test`; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

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
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils
fi
echo "test tools: $(pdftoppm -v 2>&1 | head -n 1)"

# Browser tests (tests/browser/): the Python route. Playwright comes from PyPI with the `test` extra
# (its wheel carries its own driver) and drives Debian's chromium at /usr/bin/chromium, never a
# browser of its own (`playwright install` is not used). axe-core from npm, pinned, is injected into
# each page to check WCAG 2 A and AA. The emoji font is for the README screenshots the test takes:
# without it the app's emoji icons show as empty boxes.
if [ ! -x /usr/bin/chromium ] || [ ! -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]; then
    SUDO=$([ "$(id -u)" -eq 0 ] && echo "" || echo "sudo")
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-color-emoji
fi
echo "test tools: $(/usr/bin/chromium --version 2>/dev/null)"
AXE_VERSION=4.14.1
AXE_DIR=.tools/axe
if [ "$(node -p "require('./$AXE_DIR/node_modules/axe-core/package.json').version" 2>/dev/null)" != "$AXE_VERSION" ]; then
    mkdir -p "$AXE_DIR"
    npm install --prefix "$AXE_DIR" --save-exact --no-audit --no-fund --loglevel=error "axe-core@$AXE_VERSION"
fi
echo "test tools: axe-core $AXE_VERSION in $AXE_DIR"

# SMART sign-in tests (tests/servers/oidc.py): a real OpenID Connect authorization server, the npm
# package oidc-provider (OpenID-certified), pinned exactly with its whole tree in the committed
# tests/servers/oidc-server/package-lock.json; `npm ci` installs exactly that lock into .tools/oidc, and
# runs again only when the lock changes.
OIDC_SRC=tests/servers/oidc-server
OIDC_DIR=.tools/oidc
if ! cmp -s "$OIDC_SRC/package-lock.json" "$OIDC_DIR/package-lock.json" || [ ! -d "$OIDC_DIR/node_modules/oidc-provider" ]; then
    mkdir -p "$OIDC_DIR"
    cp "$OIDC_SRC/package.json" "$OIDC_SRC/package-lock.json" "$OIDC_DIR/"
    (cd "$OIDC_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "test tools: oidc-provider $(node -p "require('./$OIDC_DIR/node_modules/oidc-provider/package.json').version") in $OIDC_DIR"
