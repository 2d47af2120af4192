#!/usr/bin/env bash
# Run every check: lint, types, import contracts, module sizes (at most 800 lines), then the
# tests on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh dev
ruff check .
ruff format --check .
mypy
lint-imports
scripts/check-module-size.sh
# CI must exercise PostgreSQL; on a developer machine without it those tests are skipped.
[ "${CI:-}" = "true" ] && export REQUIRE_POSTGRESQL=1
exec scripts/with-postgres.sh pytest "$@"
