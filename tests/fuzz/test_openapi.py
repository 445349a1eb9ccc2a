"""schemathesis against our own /openapi.json, on a live server over the real graph: whatever
the generated input, no answer is a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from live_servers import start_emkg, stop

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    process, url = start_emkg({"EMKG_QUERY_TIMEOUT": "3"})
    yield url
    stop(process)


def test_no_generated_request_gets_a_server_error(live_url: str) -> None:
    schema = schemathesis.openapi.from_url(live_url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5, "the OpenAPI document lists too few operations"
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            response = case.call(timeout=15)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.path} {case.query!r} -> {response.status_code}: "
                    f"{response.text[:200]}"
                )

        check()
    assert not failures, "\n".join(failures[:10])
