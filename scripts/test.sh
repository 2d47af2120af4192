#!/usr/bin/env bash
# Run every check: lint, types, import contracts, module sizes (at most 800 lines), then the
# tests on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian packages: Pango and fonts for the documents, Chromium for the browser tests
source scripts/system-packages.sh chromium softhsm2  # SoftHSM2: a PKCS#11 token for the signing tests
source scripts/bootstrap.sh dev
ruff check .
ruff format --check .
mypy
lint-imports
scripts/check-module-size.sh
# CI must exercise PostgreSQL; on a developer machine without it those tests are skipped.
[ "${CI:-}" = "true" ] && export REQUIRE_POSTGRESQL=1
if [ $# -gt 0 ]; then
  exec scripts/with-postgres.sh pytest "$@"  # as asked (add -n auto for every core)
fi
# Most tests on every core (pytest-xdist; each worker has its own databases); then, one at a
# time, those that restart PostgreSQL or load the machine (fault) and those driving Chromium.
# Each phase prints its slowest tests: where the suite's time goes.
exec scripts/with-postgres.sh bash -c 'rc=0
  pytest -n auto --dist worksteal -m "not fault" --durations=20 || rc=$?
  pytest -m fault --durations=10 || rc=$?
  exit "$rc"'
