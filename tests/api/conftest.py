"""Fixtures for the API tests: a small graph directory, apps over it, and real servers.

The fixture graph is written by `write_fixture_graph` in the contract's IRIs: one agency, one
country, a funding instrument, fifteen commitments and sixty actions (enough for a runaway
four-way cartesian product). Live servers (uvicorn, `oxigraph serve`) run as subprocesses on
free loopback ports and are stopped by their own process ids.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from live_servers import free_port, start_oxigraph, stop, wait_until_up

from api.app import create_app
from api.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
BASE = "https://w3id.org/eu-migration-kg/"
ID = BASE + "id/"
EMK = BASE + "ontology#"
DATASET = BASE + "dataset"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD = "http://www.w3.org/2001/XMLSchema#"

FRONTEX = ID + "agency/frontex"
SERBIA = ID + "country/serbia"
FUNDING = ID + "funding/eu-600-million"
ACTIONS = 60
RUNAWAY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def fixture_ntriples() -> str:
    """The fixture graph's N-Triples."""
    lines = [
        f"<{FRONTEX}> <{RDF_TYPE}> <{EMK}Agency> .",
        f'<{FRONTEX}> <{RDFS_LABEL}> "Frontex"@en .',
        f"<{FRONTEX}> <http://www.w3.org/2004/02/skos/core#altLabel> "
        '"European Border and Coast Guard Agency"@en .',
        f"<{SERBIA}> <{RDF_TYPE}> <{EMK}PartnerCountry> .",
        f'<{SERBIA}> <{RDFS_LABEL}> "Serbia"@en .',
        f"<{FUNDING}> <{RDF_TYPE}> <{EMK}FundingInstrument> .",
        f'<{FUNDING}> <{EMK}amountEUR> "600000000"^^<{XSD}decimal> .',
        f'<{FUNDING}> <http://schema.org/startDate> "2023-03-20"^^<{XSD}date> .',
        f"<{FUNDING}> <{EMK}location> <{SERBIA}> .",
    ]
    for number in range(1, 16):
        commitment = f"{ID}commitment/{number}"
        lines.append(f"<{commitment}> <{RDF_TYPE}> <{EMK}Commitment> .")
        lines.append(f'<{commitment}> <http://www.w3.org/2004/02/skos/core#notation> "{number}" .')
    for number in range(1, ACTIONS + 1):
        action = f"{ID}action/a{number}"
        lines.append(f"<{action}> <{RDF_TYPE}> <{EMK}Action> .")
        lines.append(f'<{action}> <{RDFS_LABEL}> "Action {number}"@en .')
        lines.append(f"<{action}> <{EMK}implements> <{ID}commitment/{number % 15 + 1}> .")
        if number % 2 == 0:
            lines.append(f"<{action}> <{EMK}involves> <{FRONTEX}> .")
    return "\n".join(lines) + "\n"


ONTOLOGY = f"""@prefix emk: <{EMK}> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
emk:Agency rdfs:label "Agency"@en .
emk:Action rdfs:label "Action"@en .
"""


def write_fixture_graph(directory: Path) -> Path:
    """A graph directory as the builder writes it (emkg.nt + manifest.json) and an ontology."""
    directory.mkdir(parents=True, exist_ok=True)
    data = fixture_ntriples()
    (directory / "emkg.nt").write_text(data, encoding="utf-8")
    version = hashlib.sha256(data.encode()).hexdigest()[:12]
    manifest = {"version": version, "triples": data.count("\n")}
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (directory / "emk.ttl").write_text(ONTOLOGY, encoding="utf-8")
    return directory


@pytest.fixture(scope="session")
def graph_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fixture_graph(tmp_path_factory.mktemp("graph"))


@pytest.fixture(scope="session")
def fixture_triples() -> int:
    """Triples in the store: the data plus the ontology's two."""
    return fixture_ntriples().count("\n") + 2


def make_settings(graph_dir: Path, **changes: object) -> Settings:
    values: dict[str, object] = {
        "graph_dir": graph_dir,
        "ontology_file": graph_dir / "emk.ttl",
        "auto_build": False,
        "row_cap": 50,
        "query_timeout": 2.0,
        "max_query_bytes": 4096,
        "pool_size": 2,
    }
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def settings(graph_dir: Path) -> Settings:
    return make_settings(graph_dir)


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    """One app over the fixture graph for the whole session (its worker pool started once)."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client


# ---------------------------------------------------------------- real servers


@dataclass(frozen=True)
class Oxigraph:
    url: str  # the server's root
    query: str  # its SPARQL query endpoint
    process: subprocess.Popen[bytes]


OXIGRAPH_DEFAULT_TRIPLE = '<http://example.org/remote/thing> <http://www.w3.org/2000/01/rdf-schema#label> "from the remote store" .\n'


@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory: pytest.TempPathFactory, graph_dir: Path) -> Iterator[Oxigraph]:
    """`oxigraph serve` holding the fixture graph in the dataset's named graph, plus one triple
    in its default graph (for SERVICE tests)."""
    process, url = start_oxigraph(tmp_path_factory.mktemp("oxigraph"))
    try:
        headers = {"Content-Type": "application/n-triples"}
        data = (graph_dir / "emkg.nt").read_bytes()
        httpx.post(
            f"{url}/store", params={"graph": DATASET}, content=data, headers=headers
        ).raise_for_status()
        httpx.post(
            f"{url}/store?default", content=OXIGRAPH_DEFAULT_TRIPLE.encode(), headers=headers
        ).raise_for_status()
        yield Oxigraph(url, url + "/query", process)
    finally:
        stop(process)


@dataclass(frozen=True)
class LiveServer:
    url: str
    sparql: str
    process: subprocess.Popen[bytes]


def start_server(environment: dict[str, str], log: Path) -> LiveServer:
    """`api.server.serve` (uvicorn + the app factory) in a subprocess, up when /health answers."""
    port = free_port()
    code = f"from api.server import serve; serve('127.0.0.1', {port}, pool_size=2)"
    env = {**os.environ, **environment}
    with log.open("wb") as stream:
        process = subprocess.Popen(
            [sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, stdout=stream, stderr=stream
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/health", process)
    except RuntimeError as exc:
        stop(process)
        raise RuntimeError(f"{exc}\n{log.read_text(errors='replace')}") from exc
    return LiveServer(url, url + "/sparql", process)


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, graph_dir: Path, oxigraph: Oxigraph
) -> Iterator[LiveServer]:
    """The API on the embedded store: 2 s time limit, 50-row cap, the oxigraph fixture allowed
    as a SERVICE endpoint."""
    logs = tmp_path_factory.mktemp("live")
    server = start_server(
        {
            "EMKG_GRAPH_DIR": str(graph_dir),
            "EMKG_ONTOLOGY_FILE": str(graph_dir / "emk.ttl"),
            "EMKG_AUTO_BUILD": "false",
            "EMKG_QUERY_TIMEOUT": "2",
            "EMKG_ROW_CAP": "50",
            "EMKG_SERVICE_ALLOWLIST": oxigraph.query,
        },
        logs / "server.log",
    )
    try:
        yield server
    finally:
        stop(server.process)


@pytest.fixture(scope="session")
def remote_live_server(
    tmp_path_factory: pytest.TempPathFactory, graph_dir: Path, oxigraph: Oxigraph
) -> Iterator[LiveServer]:
    """The API in front of the oxigraph fixture (`serve --endpoint`)."""
    logs = tmp_path_factory.mktemp("remote-live")
    server = start_server(
        {
            "EMKG_GRAPH_DIR": str(graph_dir),
            "EMKG_AUTO_BUILD": "false",
            "EMKG_ENDPOINT": oxigraph.query,
            "EMKG_ROW_CAP": "50",
        },
        logs / "server.log",
    )
    try:
        yield server
    finally:
        stop(server.process)
