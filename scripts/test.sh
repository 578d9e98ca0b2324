#!/usr/bin/env bash
# Install whatever is missing, then run the whole test suite headless. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install.sh
status=0
QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest "$@" || status=$?
if [[ $status -eq 5 ]]; then
  echo "[test] ERROR: pytest collected no tests" >&2
fi
exit "$status"
