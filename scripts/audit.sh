#!/usr/bin/env bash
# Dependency audit: every package installed in .venv checked against PyPI's advisory database
# (pip-audit, from the `test` extra). Exit status: 0 no known vulnerability, 1 some found,
# other values when the audit could not run. Extra arguments go to pip-audit, e.g. --format json.
#
#   scripts/audit.sh                 # table of findings
#   scripts/audit.sh --format json   # what tests/test_security.py::test_dependency_audit reads
#
# The project itself (installed editable) is not on PyPI, so it is skipped. A package pip-audit
# cannot look up is listed with a skip_reason, not as a finding: the test fails on those too.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
if [ ! -x "$VENV/bin/pip-audit" ]; then
    echo "audit: pip-audit is not installed in $VENV; run: $VENV/bin/pip install -c constraints.txt -e '.[test]'" >&2
    exit 3
fi
# PIPAPI_PYTHON_LOCATION makes pip-audit list the packages of .venv's interpreter, whoever runs it.
export PIPAPI_PYTHON_LOCATION="$VENV/bin/python"
exec "$VENV/bin/pip-audit" --skip-editable --progress-spinner off --vulnerability-service pypi "$@"
