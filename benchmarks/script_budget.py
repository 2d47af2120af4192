"""What the script budget costs an ordinary script and condition: budgeted against plain
RestrictedPython (the same guards, no ticks, no operator checks, no size measurement).

    .venv/bin/python -m benchmarks.script_budget [--runs 20000]

Prints the median µs per run; asserts nothing (figures, not tests).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from RestrictedPython.compile import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getiter

from workflows.scripting import _BUILTINS, _GUARDS, RestrictedEnvironment

SCRIPT = """total = 0
for line in lines:
    total += line['quantity'] * line['unit_amount']
share = total * 100 // budget if budget else 0
label = 'KH-' + str(total)
"""
CONDITION = '"finance" in roles and decision == "approve"'
DATA = {
    "lines": [{"quantity": q, "unit_amount": 400_000} for q in range(1, 21)],
    "budget": 165_000_000,
    "roles": ["standing_body", "finance", "home_affairs", "chairman"],
    "decision": "approve",
}
PLAIN = {**_GUARDS, "__builtins__": _BUILTINS, "_getiter_": default_guarded_getiter}
PLAIN["_getattr_"] = getattr
PLAIN["_inplacevar_"] = lambda op, a, b: a + b if op == "+=" else a * b


def _median_us(run: Callable[[], Any], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20_000)
    runs = parser.parse_args().runs
    env = RestrictedEnvironment()
    plain_script = compile_restricted_exec(SCRIPT).code
    plain_condition = compile_restricted_eval(CONDITION).code
    assert plain_script is not None and plain_condition is not None  # both compile
    figures = {
        "script, plain": _median_us(lambda: exec(plain_script, {**PLAIN, **DATA}), runs),  # noqa: S102
        "script, budgeted": _median_us(lambda: env.execute(SCRIPT, dict(DATA)), runs),
        "condition, plain": _median_us(lambda: eval(plain_condition, {**PLAIN, **DATA}), runs),  # noqa: S307
        "condition, budgeted": _median_us(lambda: env.evaluate(CONDITION, DATA), runs),
    }
    for name, us in figures.items():
        print(f"{name:22} {us:8.1f} µs")


if __name__ == "__main__":
    main()
