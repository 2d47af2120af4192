#!/usr/bin/env bash
# Fail when a Python module is over 800 lines: past that, split it by what it does.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=800
long="$(find service workflows tests benchmarks tools -name '*.py' -print0 |
  xargs -0 -r awk -v limit="$limit" '
    FNR == 1 && n > limit { print prev ": " n " lines" }
    FNR == 1 { n = 0 }
    { prev = FILENAME; n = FNR }
    END { if (n > limit) print prev ": " n " lines" }')"
if [ -n "$long" ]; then
  printf 'modules over %s lines:\n%s\n' "$limit" "$long" >&2
  exit 1
fi
