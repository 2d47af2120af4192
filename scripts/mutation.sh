#!/usr/bin/env bash
# Mutation testing of the audit core (workflows/audit.py) against tests/workflows/test_audit.py,
# as [tool.mutmut] in pyproject.toml configures it. By hand, not in CI: a few minutes per core.
#   scripts/mutation.sh            run, then print the survivors and the survival rate
# Needs the `mutation` extra: .venv/bin/pip install -e '.[dev,mutation]'
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mutmut="$root/.venv/bin/mutmut"
[ -x "$mutmut" ] || { echo "mutmut is missing: .venv/bin/pip install -e '.[dev,mutation]'" >&2; exit 1; }
rm -rf mutants  # its copy of the sources, made again from the current ones
"$mutmut" run --max-children "${MUTATION_JOBS:-2}" > /dev/null || true
results="$("$mutmut" results --all true)"
total=$(grep -c ': ' <<< "$results" || true)
survived=$(grep -c ': survived' <<< "$results" || true)
grep ': survived\|: timeout\|: suspicious' <<< "$results" || true
echo "survived: $survived of $total mutants ($(( total ? 100 * survived / total : 0 ))%)"
