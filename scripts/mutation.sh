#!/usr/bin/env bash
# Mutation testing by hand, not in CI: mutmut mutates MODULE and runs the tests that
# [tool.mutation.targets] in pyproject.toml gives it (fast ones, SQLite only), in a scratch copy
# of the tree (.mutation/), so several modules can run side by side.
#   scripts/mutation.sh [MODULE] [SAMPLE]
#     MODULE  default workflows/audit.py; any key of [tool.mutation.targets]
#     SAMPLE  check only this many mutants, the same ones every run (seeded); default: all
# Prints the survivors and "checked / survived / survival rate". MUTATION_JOBS: parallel tests.
# Needs the `mutation` extra: .venv/bin/pip install -e '.[dev,mutation]'
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
module="${1:-workflows/audit.py}"
sample="${2:-0}"
mutmut="$root/.venv/bin/mutmut"
python="$root/.venv/bin/python"
[ -x "$mutmut" ] || { echo "mutmut is missing: .venv/bin/pip install -e '.[dev,mutation]'" >&2; exit 1; }
cd "$root"
work="$root/.mutation/$(basename "${module%.py}")"
rm -rf "$work" && mkdir -p "$work"
git ls-files -z | xargs -0 cp --parents -t "$work"  # the working tree's files, as they are now
# [tool.mutmut] for MODULE, from its row of [tool.mutation.targets]
"$python" - "$module" "$work/pyproject.toml" <<'PY'
import json, sys, tomllib
module, path = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
tests = tomllib.loads(text)["tool"]["mutation"]["targets"][module]
head, _, rest = text.partition("[tool.mutmut]\n")
rest = rest[rest.index("\n\n"):]  # the table's own lines go; the targets stay
table = (
    "[tool.mutmut]\n"
    f'source_paths = ["{module.split("/")[0]}/"]\n'
    f"only_mutate = {json.dumps([module])}\n"
    f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
    'pytest_add_cli_args = ["-p", "no:cacheprovider", "-m", "not postgresql"]\n'
    'also_copy = ["bpmn/", "service/", "workflows/"]\n'
)
open(path, "w", encoding="utf-8").write(head + table + rest)
PY
cd "$work"
# the tests' database templates: built by the first run, copied by every mutant's (tests/conftest)
export TEST_SQLITE_TEMPLATES="$work/templates"
jobs="${MUTATION_JOBS:-2}"
if [ "$sample" -gt 0 ]; then
  "$mutmut" run --max-children "$jobs" "no-such-mutant" > /dev/null 2>&1 || true  # mutants, stats
  mapfile -t chosen < <("$mutmut" results --all true | sed 's/:.*//; s/^ *//' | "$python" -c "
import random, sys
names = sorted(n for n in sys.stdin.read().split() if n)
print('\n'.join(sorted(random.Random(16).sample(names, min($sample, len(names))))))")
  "$mutmut" run --max-children "$jobs" "${chosen[@]}" > /dev/null 2>&1 || true
else
  "$mutmut" run --max-children "$jobs" > /dev/null 2>&1 || true
fi
results="$("$mutmut" results --all true)"
if [ "$sample" -gt 0 ]; then
  results="$(grep -F -f <(printf '%s:\n' "${chosen[@]}") <<< "$results" || true)"
fi
# a mutant no selected test runs survives too: "no tests", or "not checked" when mutmut stopped
# early because the tests run none of the mutated functions
checked=$(grep -c ': ' <<< "$results" || true)
survived=$(grep -c ': survived\|: no tests\|: not checked' <<< "$results" || true)
total=$(grep -c ': ' <<< "$results" || true)
grep ': survived\|: no tests\|: timeout\|: suspicious\|: not checked' <<< "$results" || true
echo "$module: checked $checked of $total mutants, survived $survived ($(( checked ? 100 * survived / checked : 0 ))%)"
