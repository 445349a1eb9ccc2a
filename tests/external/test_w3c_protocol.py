"""The W3C SPARQL 1.1 Protocol tests (tests/data/w3c-sparql11-protocol, see its NOTICE), every
one, against our /sparql on each store: the embedded store, and `serve --endpoint` in front of
Oxigraph server and of Virtuoso. Each store holds the tests' graphs (`ut:graphData`) under
their names beside our own graph; update tests expect a refusal (the endpoint is read-only).
Then the service-description tests on the same endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF

from api.app import create_app
from api.publish import put_graph
from api.stores import embedded

from .conftest import ExternalStore, _settings
from .w3c_manifest import check, protocol_tests, service_description_tests

pytestmark = [pytest.mark.external, pytest.mark.xdist_group("external")]

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
TESTS = {test.name: test for test in protocol_tests()}
GRAPHS = {iri: path for test in TESTS.values() for iri, path in test.graphs.items()}


@pytest.fixture(scope="session")
def w3c_embedded(graph_dir: Path) -> Iterator[TestClient]:
    """The app on the embedded store, with the tests' graphs loaded beside our own (into the
    on-disk store: the graph is not held in memory here, so that they can be added to it)."""
    load = embedded.load_store

    def with_test_graphs(path: Path, data: Path, ontology: Path | None, graph: str | None) -> int:
        count = load(path, data, ontology, graph)
        store = ox.Store(str(path))
        for iri, file in GRAPHS.items():
            store.bulk_load(
                path=str(file), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(iri)
            )
        store.flush()
        del store
        return count

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(embedded, "load_store", with_test_graphs)
        settings = _settings(graph_dir).model_copy(update={"memory_store_bytes": 0})
        client = TestClient(create_app(settings))
        client.__enter__()
    try:
        yield client
    finally:
        client.__exit__(None, None, None)


@pytest.fixture(scope="session")
def w3c_remote(published: ExternalStore, remote_client: TestClient) -> TestClient:
    """The app in front of a real store that holds the tests' graphs beside our own."""
    for iri, file in GRAPHS.items():
        put_graph(published.store, iri, file, None)
    return remote_client


def _run(client: TestClient, name: str) -> list[str]:
    problems: list[str] = []
    for number, request in enumerate(TESTS[name].requests, 1):
        response = client.request(
            request.method, request.path, headers=request.headers, content=request.body or None
        )
        for problem in check(
            request,
            response.status_code,
            response.headers.get("content-type", ""),
            response.content,
        ):
            problems.append(f"request {number}: {problem} ({response.text[:200]})")
        if request.is_update:
            break  # what follows checks the update's effect
    return problems


@pytest.mark.parametrize("name", sorted(TESTS))
def test_protocol_on_the_embedded_store(w3c_embedded: TestClient, name: str) -> None:
    assert _run(w3c_embedded, name) == []


@pytest.mark.parametrize("name", sorted(TESTS))
def test_protocol_through_an_external_store(w3c_remote: TestClient, name: str) -> None:
    assert _run(w3c_remote, name) == []


def _service_description(client: TestClient, name: str) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    if name == "returns-rdf":
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/turtle")
    description = Graph().parse(data=response.text, format="turtle")
    endpoint = URIRef(str(client.base_url) + "/sparql")
    if name == "has-endpoint-triple":
        assert (None, SD.endpoint, endpoint) in description
    if name == "conforms-to-schema":
        service = description.value(None, SD.endpoint, endpoint)
        assert (service, RDF.type, SD.Service) in description
        assert (service, SD.supportedLanguage, SD.SPARQL11Query) in description
        assert set(description.objects(service, SD.resultFormat))


@pytest.mark.parametrize("name", service_description_tests())
def test_service_description(w3c_embedded: TestClient, w3c_remote: TestClient, name: str) -> None:
    _service_description(w3c_embedded, name)
    _service_description(w3c_remote, name)
