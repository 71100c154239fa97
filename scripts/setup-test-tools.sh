#!/usr/bin/env bash
# Installs what only the tests need, from Debian's packages, npm and PyPI.
# Called by `make test`; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "test tools: nothing beyond the Python packages yet"
