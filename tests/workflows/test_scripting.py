"""The restricted environment itself, beyond what deploy-time compilation catches."""

from __future__ import annotations

import pytest

from workflows.scripting import RestrictedCompileError, RestrictedEnvironment

ENV = RestrictedEnvironment()


def test_conditions_see_task_data() -> None:
    assert ENV.evaluate('"finance" in roles', {"roles": ["finance"]}) is True
    assert ENV.evaluate('decision == "return"', {"decision": "approve"}) is False


def test_scripts_write_task_data_and_leave_no_guards_behind() -> None:
    context = {"lines": [{"q": 2, "a": 15}]}
    ENV.execute("total = 0\nfor line in lines:\n    total += line['q'] * line['a']", context)
    assert context["total"] == 30
    assert not any(name.startswith("_") for name in context)


@pytest.mark.parametrize(
    "source",
    [
        "().__class__.__base__.__subclasses__()",
        "getattr((), '__class__')",
        "__import__('os')",
        "open('/etc/passwd').read()",
    ],
)
def test_escapes_are_refused(source: str) -> None:
    with pytest.raises((RestrictedCompileError, NameError)):
        ENV.evaluate(source, {})


def test_format_string_cannot_reach_dunders() -> None:
    """`str.format` is a known way round attribute guards."""
    with pytest.raises(Exception, match="format"):
        ENV.evaluate("'{0.__class__}'.format(1)", {})
