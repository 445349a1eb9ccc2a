"""The short path for /sparql answers exactly as the framework's route does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.lean_sparql import LeanSparql
from api.settings import Settings
from api.terminal import LocalStore

EMK = "https://w3id.org/eu-migration-kg/ontology#"
SELECT = f"PREFIX emk: <{EMK}>\nSELECT ?s WHERE {{ ?s a emk:Agency }} ORDER BY ?s"
FORM = "application/x-www-form-urlencoded"
COMPARED_HEADERS = (
    "content-type",
    "etag",
    "vary",
    "x-result-truncated",
    "access-control-allow-origin",
    "access-control-expose-headers",
    "retry-after",
)

REQUESTS: list[tuple[str, str, dict[str, str], bytes | None]] = [
    ("GET", "/sparql", {"Accept": "application/sparql-results+json"}, None),
    ("GET", "/sparql?query=" + "ASK%7B%7D", {}, None),
    ("GET", "/sparql?query=SELECT%20*%20%7B%3Fs%20%3Fp%20%3Fo%7D", {"Accept": "text/csv"}, None),
    ("GET", "/sparql?query=SELECT%20*%20%7B%3Fs%20%3Fp%20%3Fo%7D&format=tsv", {}, None),
    ("GET", "/sparql?query=CONSTRUCT%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D", {}, None),
    ("GET", "/sparql?query=ASK%7B%7D", {"Accept": "image/png"}, None),
    ("GET", "/sparql?query=ASK%ZZ", {}, None),
    ("GET", "/sparql?query=CLEAR%20ALL", {"Accept": "text/plain"}, None),
    ("GET", "/sparql?query=SELECT%20*%20%7B", {}, None),
    ("GET", "/sparql?query=ASK%7B%7D&default-graph-uri=relative", {}, None),
    ("GET", "/sparql?query=ASK%7B%7D", {"Origin": "https://example.org"}, None),
    ("GET", "/sparql", {"Accept": "text/turtle"}, None),
    ("POST", "/sparql", {"Content-Type": FORM}, b"query=" + SELECT.encode().replace(b" ", b"+")),
    ("POST", "/sparql", {"Content-Type": "application/sparql-query"}, SELECT.encode()),
    ("POST", "/sparql", {"Content-Type": FORM}, b"default-graph-uri=http%3A%2F%2Fa"),
    ("POST", "/sparql", {"Content-Type": "text/plain"}, b"ASK {}"),
    ("POST", "/sparql", {"Content-Type": FORM}, b"update=CLEAR+ALL"),
    ("PUT", "/sparql?query=ASK%7B%7D", {}, None),
]


@pytest.fixture(scope="module")
def clients(graph_dir: Path) -> Iterator[tuple[TestClient, TestClient]]:
    loaded = LocalStore.load(graph_dir, graph_dir / "emk.ttl")
    store = LocalStore(loaded.store, loaded.version, row_cap=5)
    settings = Settings(graph_dir=graph_dir, auto_build=False, row_cap=5)
    lean = create_app(settings, store=store)  # type: ignore[arg-type]
    framework = create_app(settings, store=store)  # type: ignore[arg-type]
    framework.user_middleware = [m for m in framework.user_middleware if m.cls is not LeanSparql]
    assert len(framework.user_middleware) == len(lean.user_middleware) - 1
    with TestClient(lean) as one, TestClient(framework) as other:
        yield one, other


@pytest.mark.parametrize(("method", "url", "headers", "body"), REQUESTS)
def test_same_answer_with_and_without_the_short_path(
    clients: tuple[TestClient, TestClient],
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
) -> None:
    lean, framework = (
        client.request(method, url, headers=headers, content=body) for client in clients
    )
    assert lean.status_code == framework.status_code
    assert lean.content == framework.content
    for name in COMPARED_HEADERS:
        assert lean.headers.get(name) == framework.headers.get(name), name


def test_the_short_path_answers_queries(clients: tuple[TestClient, TestClient]) -> None:
    lean, _ = clients
    answer = lean.post(
        "/sparql",
        content=b"SELECT ?s ?p ?o WHERE { ?s ?p ?o }",
        headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"},
    )
    assert answer.status_code == 200
    assert answer.text.splitlines()[0] == "s,p,o"
    assert len(answer.text.splitlines()) == 1 + 5
    assert answer.headers["x-result-truncated"] == "true"  # more triples than the cap of 5
