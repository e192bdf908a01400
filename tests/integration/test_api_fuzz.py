"""Property-based fuzzing of the hub API from its own OpenAPI document (schemathesis).

Every operation of the API (the Confluent-compatible ``/schema-registry`` excepted: it
keeps Confluent's own error format and has its own tests) gets generated requests, valid
and invalid, over real HTTP against the real broker. Checks: no 5xx, responses match the
documented status codes, media types, headers and schemas. Bounded to about a minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from schemathesis import GenerationMode, checks
from schemathesis.core.result import Ok
from schemathesis.specs.openapi import checks as openapi_checks

from hub_settings import HubSettings
from tests.integration.api_support import RunningApi, running_api

pytestmark = pytest.mark.integration

_CHECKS = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzz_api(
    settings: HubSettings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApi]:
    # A generous rate limit: the fuzzer is one client sending thousands of requests.
    with running_api(
        settings, tmp_path_factory.mktemp("fuzz"), rate_per_s=10_000, rate_burst=10_000
    ) as api:
        yield api


_EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 8}


def _fuzz(operation: Any, mode: GenerationMode, examples: int, api: RunningApi) -> None:
    """Run ``examples`` generated requests of one operation; raises on the first failure."""
    who = "agency" if operation.path.startswith("/v1/events") else "admin"

    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        headers = {**(case.headers or {}), **api.headers(who)}
        case.call_and_validate(base_url=api.url, headers=headers, checks=_CHECKS, timeout=30)

    run()


def test_api_conforms_to_its_openapi(fuzz_api: RunningApi) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzz_api.url}/openapi.json").exclude(
        path_regex="^/schema-registry"
    )
    failures: list[str] = []
    tested = 0
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            failures.append(f"operation not understood: {result.err()}")
            continue
        operation = result.ok()
        for mode, examples in _EXAMPLES.items():
            try:
                _fuzz(operation, mode, examples, fuzz_api)
            except hypothesis.errors.Unsatisfiable:
                continue  # no invalid request exists (e.g. GET /healthz has no inputs)
            except (Exception, BaseExceptionGroup) as exc:  # collect all, then report
                failures.append(f"{operation.label} ({mode}): {exc}")
            tested += 1
    assert tested >= 30, f"only {tested} operation runs: is the OpenAPI document complete?"
    assert not failures, "\n\n".join(failures)
