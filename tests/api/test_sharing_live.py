"""Keep serving everyone (issue 13), against live servers over the built graph: a greedy client
gets 429s while a light one at another address is answered quickly; a memory-hungry query is
stopped at the memory limit with the whole server under 1.5 GB; query processes killed under
load cost no request an error, and a query that kills its process twice is told so.

Clients play distinct addresses by binding loopback source addresses (bench/limits.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from live_servers import start_emkg, stop

from bench.limits import (
    HEAVY,
    busy_query_process,
    client,
    greedy_client,
    killed_processes,
    memory_hungry,
)

pytestmark = [pytest.mark.live, pytest.mark.xdist_group("sharing")]

PROXY = "127.0.0.9"
QUICK = "ASK { ?s ?p 42 }"


class Live:
    def __init__(self, process: subprocess.Popen[bytes], url: str) -> None:
        self.process = process
        self.url = url
        self.pid = process.pid


@pytest.fixture(scope="module")
def strict_server() -> Iterator[Live]:
    """Small limits, to see them in seconds: 2 s per query, 2 queries at once and 3 s of query
    time a minute per client; 127.0.0.9 is a trusted proxy; no answer cache."""
    process, url = start_emkg(
        {
            "EMKG_POOL_SIZE": "2",
            "EMKG_QUERY_TIMEOUT": "2",
            "EMKG_CLIENT_QUERIES": "2",
            "EMKG_CLIENT_SECONDS_PER_MINUTE": "3",
            "EMKG_TRUSTED_PROXIES": PROXY,
            "EMKG_CACHE_BYTES": "0",
        }
    )
    try:
        yield Live(process, url)
    finally:
        stop(process)


@pytest.fixture(scope="module")
def default_server() -> Iterator[Live]:
    """The default limits (1 GiB of memory per query, 10 s per query)."""
    process, url = start_emkg({"EMKG_POOL_SIZE": "2"})
    try:
        yield Live(process, url)
    finally:
        stop(process)


def test_a_greedy_client_gets_429s_and_a_light_one_is_answered_quickly(strict_server: Live) -> None:
    result = greedy_client(strict_server.url, seconds=5.0)
    assert result.light_failures == 0, result.summary()
    assert result.light_p95 < 0.5, result.summary()
    assert result.greedy_statuses[429] > 0, result.summary()
    # both limits were met, each named with its setting, with a time to come back
    error, retry_after = result.refusals["EMKG_CLIENT_QUERIES"]
    assert "at once" in error and retry_after == "1"
    error, retry_after = result.refusals["EMKG_CLIENT_SECONDS_PER_MINUTE"]
    assert "query time used up" in error
    assert retry_after is not None and 1 <= int(retry_after) <= 60


def _hold_two_heavy_queries(url: str, address: str) -> list[threading.Thread]:
    def heavy() -> None:
        with client(address) as http:
            http.get(url + "/sparql", params={"query": HEAVY})

    threads = [threading.Thread(target=heavy, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # both are in the server
    return threads


def test_forwarded_for_counts_only_from_a_trusted_proxy(strict_server: Live) -> None:
    url = strict_server.url + "/sparql"
    busy = "127.0.0.20"  # has its two queries at once running
    threads = _hold_two_heavy_queries(strict_server.url, busy)
    try:
        # from an untrusted peer, a forged header is ignored: still the busy client
        with client(busy) as http:
            forged = http.get(url, params={"query": QUICK}, headers={"X-Forwarded-For": "10.1.1.1"})
        assert forged.status_code == 429
        with client(PROXY) as http:
            # the trusted proxy's hop names the busy client: counted as that client
            behind = http.get(
                url, params={"query": QUICK}, headers={"X-Forwarded-For": f"10.9.9.9, {busy}"}
            )
            assert behind.status_code == 429
            assert behind.json()["detail"]["setting"] == "EMKG_CLIENT_QUERIES"
            # what the client itself wrote left of the proxy's hop does not count
            other = http.get(
                url, params={"query": QUICK}, headers={"X-Forwarded-For": f"{busy}, 127.0.0.21"}
            )
            assert other.status_code == 200
    finally:
        for thread in threads:
            thread.join(10)


def test_a_memory_hungry_query_is_stopped_at_the_memory_limit(default_server: Live) -> None:
    result = memory_hungry(default_server.url, default_server.pid)
    assert result.status == 507, result.summary()
    assert "memory limit" in result.error and "time" not in result.error
    assert result.peak_mb < 1500, result.summary()
    # the query process was replaced: the server answers on
    answer = httpx.get(default_server.url + "/sparql", params={"query": QUICK}, timeout=10)
    assert answer.status_code == 200


def test_killed_query_processes_cost_no_request_an_error(default_server: Live) -> None:
    result = killed_processes(default_server.url, default_server.pid, seconds=6.0, every=1.5)
    assert result.kills >= 3, result.summary()
    assert result.requests > 50, result.summary()
    assert result.failures == 0, result.summary()


def test_a_query_that_stops_its_process_twice_is_told_so(default_server: Live) -> None:
    answers: list[httpx.Response] = []

    def ask() -> None:
        with client("127.0.0.30") as http:
            answers.append(http.get(default_server.url + "/sparql", params={"query": HEAVY}))

    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    for _ in range(2):  # its query process dies under it, and again when it runs once more
        os.kill(busy_query_process(default_server.pid), signal.SIGKILL)
    thread.join(30)
    assert answers and answers[0].status_code == 422
    assert "twice" in answers[0].json()["error"]
