#!/usr/bin/env bash
# Create .venv (if needed) and install the project into it; sourced by run.sh and test.sh.
# Usage: source scripts/bootstrap.sh [EXTRAS]   e.g. "dev"
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "Python 3.11 or newer is needed (found: $("$python" --version))" >&2; exit 1; }
[ -x "$root/.venv/bin/python" ] || "$python" -m venv "$root/.venv"
spec="$root"
[ -n "${1:-}" ] && spec="$root[$1]"
"$root/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec"
"$root/.venv/bin/pybabel" compile -d "$root/service/translations" > /dev/null  # .mo: build artefacts
# bpmn-js (the process page's diagram viewer) from the npm registry, as package-lock.json pins
# it; npm ci runs only when the lock file is newer than node_modules. Its dist bundle is served
# by the app (no CDN) from a gitignored folder.
command -v npm > /dev/null || { echo "npm is needed (Debian: apt-get install npm)" >&2; exit 1; }
if [ ! "$root/node_modules/.package-lock.json" -nt "$root/package-lock.json" ]; then
  (cd "$root" && npm ci --silent --no-audit --no-fund --ignore-scripts)
fi
mkdir -p "$root/service/web/static/vendor"
cp -u "$root/node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js" \
  "$root/node_modules/bpmn-js/dist/assets/diagram-js.css" \
  "$root/node_modules/bpmn-js/dist/assets/bpmn-js.css" "$root/service/web/static/vendor/"
export PATH="$root/.venv/bin:$PATH"
