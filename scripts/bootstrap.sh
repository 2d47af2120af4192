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
export PATH="$root/.venv/bin:$PATH"
