"""An allowed SERVICE works: our graph's countries joined, through skos:exactMatch, with a local
Oxigraph server holding real entries of the EU country authority table."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def authority_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    location = tmp_path_factory.mktemp("authority")
    subprocess.run(
        [OXIGRAPH, "load", "--location", location, "--file", AUTHORITY],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    server = subprocess.Popen(
        [OXIGRAPH, "serve-read-only", "--location", location, "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/query"
    for _ in range(100):
        try:
            httpx.get(url, params={"query": "ASK {}"}, timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield url
    server.terminate()
    server.wait(timeout=10)


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
