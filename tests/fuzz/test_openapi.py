"""schemathesis against our own /openapi.json, on a live server over the real graph: whatever
the generated input, no answer is a 5xx."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

PROJECT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "EMKG_QUERY_TIMEOUT": "3"}
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the API did not start")


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    process, url = _start()
    yield url
    process.terminate()
    process.wait(timeout=10)


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
