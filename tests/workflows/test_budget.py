"""Scripts and conditions run under a budget: refused before a huge value is built, stopped
once they spend their operations or time, and never storing an oversized value."""

from __future__ import annotations

import pytest

from workflows.budget import Budget, BudgetExceeded, measure
from workflows.scripting import RestrictedCompileError, RestrictedEnvironment

ENV = RestrictedEnvironment()
# a generous clock and a small count: stops by operations, the same on any machine
COUNTED = RestrictedEnvironment(Budget(time_ms=60_000, operations=10_000))


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("x = 9**9**9", "value too large"),
        ("x = pow(9, 9**9)", "value too large"),
        ("x = math.factorial(10**7)", "value too large"),
        ("x = math.comb(10**7, 5000)", "value too large"),
        ("x = 'c'*100000000", "value too large"),
        ("x = [0] * 10**8", "value too large"),
        ("x = 1 << 10**9", "value too large"),
        ("x = 7\nx **= 10**9", "value too large"),
        ("x = 'c'\nx *= 10**9", "value too large"),
        ("x = '%0100000d' % 1", "value too large"),
        ("x = 'a'.ljust(10**9)", "value too large"),
        ("x = ('a' * 1000).replace('a', 'b' * 1000)", "value too large"),
        ("x = ''.join(['a' * 600000, 'b' * 600000])", "value too large"),
        ("s = 'ab'\nwhile True:\n    s = s + s", "value too large"),
        ("l = [1]\nwhile True:\n    l.extend(l)", "value too large"),
    ],
)
def test_what_would_build_a_huge_value_is_refused_before_it_runs(script: str, reason: str) -> None:
    with pytest.raises(BudgetExceeded, match=reason):
        ENV.execute(script, {})


@pytest.mark.parametrize(
    "script",
    [
        "while True: pass",
        "while True:\n    try:\n        while True: pass\n    except:\n        pass",
        "def f(n):\n    return f(n - 1) + f(n - 1) if n else 1\nx = f(60)",
        "f = lambda n: f(n - 1) + f(n - 1) if n else 1\nx = f(60)",
        "x = [i for i in range(999) for j in range(999)]",
        "for i in range(999):\n    for j in range(999):\n        pass",
    ],
)
def test_loops_and_calls_stop_at_the_operations_budget(script: str) -> None:
    with pytest.raises(BudgetExceeded, match="budget of 10000 operations"):
        COUNTED.execute(script, {})


def test_a_spinning_script_stops_at_its_time_budget() -> None:
    timed = RestrictedEnvironment(Budget(time_ms=50, operations=10**12))
    with pytest.raises(BudgetExceeded, match="time budget of 50 ms"):
        timed.execute("while True: pass", {})


@pytest.mark.parametrize(
    "condition",
    ["9**9**9 > 0", "math.factorial(10**7) > 0", "len('c' * 10**9) > 0"],
)
def test_conditions_are_guarded_too(condition: str) -> None:
    with pytest.raises(BudgetExceeded, match="value too large"):
        ENV.evaluate(condition, {})


def test_a_condition_spinning_a_generator_stops() -> None:
    with pytest.raises(BudgetExceeded, match="operations"):
        COUNTED.evaluate("sum(1 for i in range(999) for j in range(999)) > 0", {})


def test_a_value_stored_into_the_task_data_has_a_size_limit() -> None:
    small = RestrictedEnvironment(Budget(value_bytes=10_000))
    context = {"keep": "k" * 9_000}  # already there: not the script's to pay for
    with pytest.raises(BudgetExceeded, match="value too large: 'rows'"):
        small.execute("rows = []\nfor i in range(900):\n    rows.append('abcdefghij')", context)
    small.execute("rows = ['abcdefghij'] * 10", context)
    assert len(context["rows"]) == 10


def test_a_value_that_prints_endlessly_is_measured_without_printing_it() -> None:
    """A list holding itself twice, a thousand deep, is small in memory and 2**1000 to print."""
    with pytest.raises(BudgetExceeded, match="value too large"):
        ENV.execute("a = [1]\nfor i in range(999):\n    a = [a, a]\nb = f'{a}'", {})
    with pytest.raises(BudgetExceeded, match="value too large"):
        ENV.execute("a = [1]\nfor i in range(999):\n    a = [a, a]", {})


def test_a_caught_budget_still_fails_the_script() -> None:
    with pytest.raises(BudgetExceeded):
        COUNTED.execute("try:\n    while True: pass\nexcept:\n    pass\nx = 1", {})


@pytest.mark.parametrize("source", ["f'{1:>100000}'", "f'{1:>{n}}'"])
def test_wide_f_string_formats_are_refused_when_compiled(source: str) -> None:
    with pytest.raises(RestrictedCompileError, match="f-string"):
        ENV.evaluate(source, {"n": 5})


def test_ordinary_scripts_run_as_before() -> None:
    context = {"lines": [{"q": 2, "a": 15}, {"q": 3, "a": 10}], "decision": "approve"}
    ENV.execute(
        "total = 0\nfor line in lines:\n    total += line['q'] * line['a']\n"
        "label = '%05d' % total + f' {decision:>8}' + ' ' * 2\n"
        "big = 2 ** 64 * 3\nfloor = math.floor(2.5)\nfact = math.factorial(20)",
        context,
    )
    assert context["total"] == 60 and context["label"] == "00060  approve  "
    assert (context["big"], context["floor"]) == (3 * 2**64, 2)
    assert context["fact"] == 2432902008176640000
    assert ENV.evaluate("decision == 'approve' and 2 ** 10 > 1000", context) is True


def test_random_is_not_offered_since_replay_reruns_scripts() -> None:
    with pytest.raises(NameError):
        ENV.execute("x = random.random()", {})


def test_measure_counts_text_and_containers() -> None:
    assert measure({"a": ["xy", 1]}, 100) == 2 + 2 + 3 + 2 + 2 + 4 + 1
    with pytest.raises(BudgetExceeded):
        measure("x" * 200, 100)
