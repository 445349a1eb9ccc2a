"""An allowed SERVICE works: our graph's countries joined, through skos:exactMatch, with a local
Oxigraph server holding real entries of the EU country authority table."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from live_servers import free_port, stop, wait_until_up

from api.app import create_app
from api.settings import Settings
from graph.build import ensure_built

AUTHORITY = Path(__file__).resolve().parents[1] / "data" / "eu-country-authority.ttl"
OXIGRAPH = Path(sys.executable).parent / "oxigraph"
FEDERATED = """
PREFIX emk: <https://w3id.org/eu-migration-kg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?label ?fr WHERE {
  ?country a emk:PartnerCountry ; rdfs:label ?label ; skos:exactMatch ?authority .
  SERVICE <%s> { ?authority skos:prefLabel ?fr . FILTER(LANG(?fr) = "fr") }
} ORDER BY ?label
"""


@pytest.fixture(scope="module")
def authority_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    location = tmp_path_factory.mktemp("authority")
    subprocess.run(
        [OXIGRAPH, "load", "--location", location, "--file", AUTHORITY],
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = subprocess.Popen(
        [OXIGRAPH, "serve-read-only", "--location", location, "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/query"
    wait_until_up(url + "?query=ASK%7B%7D", server)
    yield url
    stop(server)


def test_federated_query_reads_the_authority_table(authority_endpoint: str) -> None:
    settings = Settings(
        graph_dir=ensure_built(),
        auto_build=False,
        pool_size=1,
        service_allowlist=(authority_endpoint,),
    )
    with TestClient(create_app(settings)) as client:
        answer = client.get("/sparql", params={"query": FEDERATED % authority_endpoint})
        assert answer.status_code == 200, answer.text
        rows = {b["label"]["value"]: b["fr"]["value"] for b in answer.json()["results"]["bindings"]}
    assert rows == {"Egypt": "Égypte", "Morocco": "Maroc", "Serbia": "Serbie", "Tunisia": "Tunisie"}


def test_the_same_query_is_refused_when_the_endpoint_is_not_allowed(
    authority_endpoint: str,
) -> None:
    settings = Settings(graph_dir=ensure_built(), auto_build=False, pool_size=1)
    with TestClient(create_app(settings)) as client:
        answer = client.get("/sparql", params={"query": FEDERATED % authority_endpoint})
    assert answer.status_code == 403
    assert "SERVICE" in answer.text or "service" in answer.text
