"""Fixtures for the external-store tests: the project's built graph, real stores it is
published into — `oxigraph serve` and Debian's Virtuoso 7 — and two apps over the same graph,
one on the embedded store and one on that store's query endpoint (`serve --endpoint`).

Every test that uses `published` or `remote_client` runs once per store. Each store runs as a
subprocess on free loopback ports, started once per session (pytest stops one store before it
starts the next) and stopped by its own process id.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from live_servers import start_oxigraph, stop

from api.app import create_app
from api.settings import Settings

from . import virtuoso

VENV_BIN = Path(sys.executable).parent
DATASET = "https://w3id.org/eu-migration-kg/dataset"
ONTOLOGY = Path(__file__).resolve().parents[2] / "ontology" / "emk.ttl"


STORES = ["oxigraph", "virtuoso"]


@dataclass(frozen=True)
class ExternalStore:
    name: str
    url: str
    store: str  # the Graph Store Protocol service (with credentials where it needs them)
    query: str  # the SPARQL query endpoint
    process: subprocess.Popen[bytes]
    #: a query without a dataset reads a default graph of its own (Oxigraph), not the union of
    #: all graphs (Virtuoso)
    separate_default_graph: bool = True

    def count(self, graph: str | None = DATASET) -> int:
        """Triples in a named graph (or the default graph with None), asked of the server."""
        pattern = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
        response = httpx.post(
            self.query,
            data={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=10,
        )
        response.raise_for_status()
        return int(response.json()["results"]["bindings"][0]["n"]["value"])


@pytest.fixture(scope="session")
def graph_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the project's built graph (built first if missing or stale), so that
    a rebuild elsewhere during the session cannot change it under the tests."""
    from graph.build import DEFAULT_OUT, ensure_built

    built = ensure_built(DEFAULT_OUT)
    copy = tmp_path_factory.mktemp("external-graph") / "output"
    shutil.copytree(built, copy)
    return copy


@pytest.fixture(scope="session")
def expected_triples(graph_dir: Path) -> int:
    """Data plus ontology, as the embedded store holds them."""
    store = ox.Store()
    store.bulk_load(path=str(graph_dir / "emkg.nt"), format=ox.RdfFormat.N_TRIPLES)
    manifest = json.loads((graph_dir / "manifest.json").read_text(encoding="utf-8"))
    assert len(store) == manifest["triples"]
    store.extend(ox.parse(path=str(ONTOLOGY), rename_blank_nodes=True))
    return len(store)


@pytest.fixture(scope="session", params=STORES)
def external_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ExternalStore]:
    """A real store, empty, up when its query endpoint answers: each of `STORES` in turn."""
    if request.param == "virtuoso":
        yield from _virtuoso(tmp_path_factory)
    else:
        yield from _oxigraph(tmp_path_factory)


def _virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExternalStore]:
    if not virtuoso.available():
        pytest.fail("virtuoso-t is not installed: run `make setup-virtuoso` (Debian package)")
    folder = tmp_path_factory.mktemp("virtuoso")
    process, url, password, _ = virtuoso.start(folder)
    host = url.removeprefix("http://")
    try:
        yield ExternalStore(
            "virtuoso",
            url,
            f"http://{virtuoso.USER}:{password}@{host}/sparql-graph-crud-auth",
            url + "/sparql",
            process,
            separate_default_graph=False,
        )
    finally:
        stop(process)


def _oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExternalStore]:
    """`oxigraph serve` on an empty store."""
    location = tmp_path_factory.mktemp("oxigraph-store")
    log = tmp_path_factory.mktemp("oxigraph-log") / "server.log"
    process, url = start_oxigraph(location, log)
    server = ExternalStore("oxigraph", url, url + "/store", url + "/query", process)
    try:
        yield server
    finally:
        stop(process)


@pytest.fixture(scope="session")
def published(external_store: ExternalStore, graph_dir: Path) -> ExternalStore:
    """The store after `publish` put the graph into the dataset's named graph."""
    from api.publish import publish

    publish(external_store.store, None, graph_dir)
    return external_store


def _settings(graph_dir: Path, **changes: object) -> Settings:
    values: dict[str, object] = {
        "graph_dir": graph_dir,
        "ontology_file": ONTOLOGY,
        "auto_build": False,
        "query_timeout": 10.0,
        "pool_size": 2,
        "endpoint": None,
        "graph_iri": DATASET,
    }
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def embedded_client(graph_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(graph_dir))) as client:
        yield client


@pytest.fixture(scope="session")
def remote_client(published: ExternalStore, graph_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(graph_dir, endpoint=published.query))) as client:
        yield client
