"""A client that gives up stops costing the server: its query leaves the queue or its query
process is stopped, so the next client is not kept waiting for the time limit."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest
from live_servers import start_emkg, stop

PROJECT = Path(__file__).resolve().parents[2]
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
QUICK = "ASK { ?s ?p ?o }"


@pytest.mark.live
def test_an_abandoned_runaway_query_frees_the_only_worker() -> None:
    server, url = start_emkg(
        {**os.environ, "EMKG_POOL_SIZE": "1", "EMKG_QUERY_TIMEOUT": "20", "EMKG_CACHE_BYTES": "0"}
    )
    try:
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(url + "/sparql", params={"query": RUNAWAY}, timeout=1.0)
        began = time.monotonic()
        answer = httpx.get(url + "/sparql", params={"query": QUICK}, timeout=30)
        waited = time.monotonic() - began
        assert answer.status_code == 200
        assert waited < 5, f"the next query waited {waited:.1f} s behind an abandoned one"
    finally:
        stop(server)
