"""Every route that runs a query keeps the per-client limits (issue 13): once a client's query
time is spent, /sparql (on its short path, GET and POST), a canned query, /involving and /ask
all answer 429 naming the limit, while answers that need no query process still come."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FRONTEX, make_settings
from fastapi.testclient import TestClient

from api.app import create_app

SPENT = "EMKG_CLIENT_SECONDS_PER_MINUTE"


@pytest.fixture(scope="module")
def thrifty(graph_dir: Path) -> Iterator[TestClient]:
    """An app whose clients may spend a microsecond of query time a minute; no answer cache."""
    settings = make_settings(graph_dir, client_seconds_per_minute=1e-6, cache_bytes=0)
    with TestClient(create_app(settings)) as client:
        first = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
        assert first.status_code == 200  # the budget is spent after, not before, a query
        yield client


@pytest.mark.parametrize(
    ("method", "path", "params", "body"),
    [
        ("GET", "/sparql", {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"}, None),
        ("POST", "/sparql", None, "SELECT * WHERE { ?s ?p ?o } LIMIT 2"),
        ("GET", "/queries/commitments", {}, None),
        ("GET", "/queries/actor-profile", {"actor": FRONTEX}, None),
        ("GET", "/involving", {"entity": FRONTEX}, None),
        ("GET", "/ask", {"q": "What involves Frontex?"}, None),
    ],
)
def test_a_client_past_its_query_time_gets_429_on_every_query_route(
    thrifty: TestClient, method: str, path: str, params: dict[str, str] | None, body: str | None
) -> None:
    headers = {"Content-Type": "application/sparql-query"} if body else {}
    answer = thrifty.request(method, path, params=params, content=body, headers=headers)
    assert answer.status_code == 429, answer.text
    assert answer.json()["detail"]["setting"] == SPENT
    assert 1 <= int(answer.headers["Retry-After"]) <= 60


def test_what_needs_no_query_process_is_still_served(thrifty: TestClient) -> None:
    assert thrifty.get("/health").status_code == 200
