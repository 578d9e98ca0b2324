#!/usr/bin/env bash
# Install whatever is missing, then open the dispatcher console on the demo city.
# Extra arguments go to `gridsight console` (e.g. --lang en).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install.sh
console=(.venv/bin/gridsight console --db demo/small.gpkg --feed demo "$@")
if [[ -z ${DISPLAY:-} && -z ${WAYLAND_DISPLAY:-} ]]; then
  echo "[start] no display: running the console under Xvfb; to see it, take a screenshot instead:" \
    ".venv/bin/gridsight screenshot --db demo/small.gpkg --view dispatch --out dispatch.png"
  exec xvfb-run -a -s "-screen 0 1920x1080x24" "${console[@]}"
fi
exec "${console[@]}"
