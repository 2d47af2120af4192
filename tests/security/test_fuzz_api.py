"""The JSON API fuzzed from its own OpenAPI spec by schemathesis, in process (no network),
with a signed-in caller: never a 5xx, and every answer as the spec describes it."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis.strategies import one_of
from schemathesis import GenerationMode
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from tests.conftest import ApiClient

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 40))  # per operation and database
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"  # CI runs the same examples every time
# Who calls each operation: someone allowed past the access check where one exists.
CALLER = {
    "/api/v1/definitions": "admin",
    "/api/v1/audit": "admin",
    "/api/v1/registers": "admin",
    "/api/v1/security-log": "admin",
    "/api/v1/users": "admin",
    "/api/v1/agencies": "admin",
}
DEFAULT_CALLER = "thanhhoa.congan"
# Guesses about 2xx or 4xx, not faults: a well-formed request may be refused for what the spec
# cannot say (an unknown process name), and a repeated `?step=` counts its first value.
HEURISTICS = [positive_data_acceptance, negative_data_rejection]


def _fuzz(operation: Any, headers: dict[str, str], requests: Counter[str]) -> None:
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)  # well-formed, and not

    @given(case=one_of(*(operation.as_strategy(generation_mode=m) for m in modes)))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not RANDOM,
        database=None,  # no example files in the tree
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        requests[operation.label] += 1
        case.call_and_validate(headers=headers, excluded_checks=HEURISTICS)

    fuzz()


# The operations in shards, each on a database of its own: the longest test of the suite in
# four, so that both cores share it instead of one working alone at the end.
SHARDS = 4


@pytest.mark.parametrize("shard", range(SHARDS))
def test_the_api_never_fails_on_generated_input(
    app: Flask, api: ApiClient, capsys: pytest.CaptureFixture[str], shard: int
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # every caller signs in first: the token request's own fuzzing fails logins from this
    # address, and past the address's limit (20 in 10 minutes) a later sign-in would be a 429
    for user in {*CALLER.values(), DEFAULT_CALLER}:
        api.login(user)
    requests: Counter[str] = Counter()
    failures: list[str] = []
    for index, result in enumerate(schema.get_all_operations()):
        if index % SHARDS != shard:
            continue
        operation = result.ok()
        path = operation.path
        user = next((u for p, u in CALLER.items() if path.startswith(p)), DEFAULT_CALLER)
        try:
            _fuzz(operation, {"Authorization": f"Bearer {api.login(user)}"}, requests)
        except (Exception, BaseExceptionGroup) as err:  # each operation gets its run
            failures.append(f"{operation.label}: {err}")
    with capsys.disabled():
        print(f"\nfuzzed: {sum(requests.values())} requests over {len(requests)} operations")
    assert failures == [], "\n\n".join(failures)
