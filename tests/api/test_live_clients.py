"""A real server (uvicorn in a subprocess), asked by real SPARQL clients: SPARQLWrapper, rdflib.

The server runs `api.server.serve` over the fixture graph with a 2 s time limit, a 50-row cap
and the oxigraph fixture allowlisted for SERVICE.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import urllib.error
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)

pytestmark = pytest.mark.live

ID = "https://w3id.org/eu-migration-kg/id/"
EMK = "https://w3id.org/eu-migration-kg/ontology#"
FRONTEX = ID + "agency/frontex"
LABEL_OF_FRONTEX = (
    f"SELECT ?label WHERE {{ <{FRONTEX}> <http://www.w3.org/2000/01/rdf-schema#label> ?label }}"
)
COUNT_ACTIONS = f"SELECT (COUNT(?a) AS ?n) WHERE {{ ?a a <{EMK}Action> }}"
FRONTEX_GRAPH = f"CONSTRUCT {{ <{FRONTEX}> ?p ?o }} WHERE {{ <{FRONTEX}> ?p ?o }}"
RUNAWAY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
DUMP = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"


def wrapper(
    endpoint: str, query: str, return_format: str, method: str = GET, request: str = URLENCODED
) -> SPARQLWrapper:
    client = SPARQLWrapper(endpoint)
    client.setQuery(query)
    client.setReturnFormat(return_format)
    client.setMethod(method)
    client.setRequestMethod(request)
    client.setTimeout(10)
    return client


@pytest.mark.parametrize(
    ("method", "request_method"), [(GET, URLENCODED), (POST, URLENCODED), (POST, POSTDIRECTLY)]
)
def test_sparqlwrapper_select_json(live_server: Any, method: str, request_method: str) -> None:
    answer: Any = wrapper(
        live_server.sparql, COUNT_ACTIONS, JSON, method, request_method
    ).queryAndConvert()
    assert answer["results"]["bindings"][0]["n"]["value"] == "60"
    label: Any = wrapper(
        live_server.sparql, LABEL_OF_FRONTEX, JSON, method, request_method
    ).queryAndConvert()
    assert label["results"]["bindings"][0]["label"] == {
        "type": "literal",
        "value": "Frontex",
        "xml:lang": "en",
    }


def test_sparqlwrapper_select_xml_csv_tsv(live_server: Any) -> None:
    document = wrapper(live_server.sparql, LABEL_OF_FRONTEX, XML).queryAndConvert()
    literals = document.getElementsByTagName("literal")  # type: ignore[union-attr]
    assert [node.firstChild.data for node in literals] == ["Frontex"]
    csv_text = wrapper(live_server.sparql, LABEL_OF_FRONTEX, CSV).queryAndConvert()
    assert csv_text == b"label\r\nFrontex\r\n"
    tsv_text = wrapper(live_server.sparql, LABEL_OF_FRONTEX, TSV).queryAndConvert()
    assert tsv_text == b'?label\n"Frontex"@en\n'


def test_sparqlwrapper_ask(live_server: Any) -> None:
    yes: Any = wrapper(live_server.sparql, f"ASK {{ <{FRONTEX}> ?p ?o }}", JSON).queryAndConvert()
    assert yes["boolean"] is True
    no = wrapper(live_server.sparql, "ASK { <http://example.org/nothing> ?p ?o }", XML)
    document = no.queryAndConvert()
    assert document.getElementsByTagName("boolean")[0].firstChild.data == "false"  # type: ignore[union-attr]


@pytest.mark.parametrize("return_format", [TURTLE, RDFXML, JSONLD, N3])
@pytest.mark.parametrize("method", [GET, POST])
def test_sparqlwrapper_construct(live_server: Any, return_format: str, method: str) -> None:
    answer = wrapper(live_server.sparql, FRONTEX_GRAPH, return_format, method).queryAndConvert()
    # SPARQLWrapper parses RDF/XML and JSON-LD itself, hands Turtle and N3 over as bytes
    graph = answer if isinstance(answer, rdflib.Graph) else rdflib.Graph().parse(data=answer)
    assert len(graph) == 3
    assert (
        rdflib.URIRef(FRONTEX),
        rdflib.RDFS.label,
        rdflib.Literal("Frontex", lang="en"),
    ) in graph


def test_sparqlwrapper_sees_the_row_cap(live_server: Any) -> None:
    query = wrapper(live_server.sparql, "SELECT * WHERE { ?s ?p ?o }", JSON)
    result = query.query()
    assert result.info()["x-result-truncated"] == "true"
    answer: Any = result.convert()
    assert answer["truncated"] is True
    assert len(answer["results"]["bindings"]) == 50


@pytest.mark.parametrize(("return_format", "method"), [("xml", "GET"), ("json", "POST")])
def test_rdflib_sparqlstore(live_server: Any, return_format: str, method: str) -> None:
    store = SPARQLStore(live_server.sparql, returnFormat=return_format, method=method)
    rows = list(store.query(LABEL_OF_FRONTEX))
    assert [row[0] for row in rows] == [rdflib.Literal("Frontex", lang="en")]  # type: ignore[index]
    count = list(store.query(COUNT_ACTIONS))
    assert int(count[0][0]) == 60  # type: ignore[index, arg-type, call-overload]
    asked = store.query(f"ASK {{ <{FRONTEX}> ?p ?o }}")
    assert asked.askAnswer is True


def test_rdflib_graph_over_the_endpoint(live_server: Any) -> None:
    graph = rdflib.Graph(SPARQLStore(live_server.sparql))
    labels = set(graph.objects(rdflib.URIRef(FRONTEX), rdflib.RDFS.label))
    assert labels == {rdflib.Literal("Frontex", lang="en")}


# ---------------------------------------------------------------- read-only, federation


def graph_state(live_server: Any) -> tuple[int, str]:
    health = httpx.get(live_server.url + "/health").json()
    dump = httpx.get(
        live_server.sparql, params={"query": DUMP}, headers={"Accept": "application/n-triples"}
    )
    assert dump.status_code == 200
    digest = hashlib.sha256(b"".join(sorted(dump.content.splitlines()))).hexdigest()
    return health["triples"], digest


def test_updates_are_refused_and_change_nothing(live_server: Any) -> None:
    before = graph_state(live_server)
    insert = f'INSERT DATA {{ <{FRONTEX}> <http://example.org/p> "injected" }}'
    attempts: list[Callable[[], httpx.Response]] = [
        lambda: httpx.get(live_server.sparql, params={"query": insert}),
        lambda: httpx.post(live_server.sparql, data={"update": insert}),
        lambda: httpx.post(live_server.sparql, data={"query": "DELETE WHERE { ?s ?p ?o }"}),
        lambda: httpx.post(
            live_server.sparql,
            content=b"CLEAR ALL",
            headers={"Content-Type": "application/sparql-update"},
        ),
        lambda: httpx.post(
            live_server.sparql,
            content=b"DROP DEFAULT",
            headers={"Content-Type": "application/sparql-query"},
        ),
    ]
    for attempt in attempts:
        response = attempt()
        assert response.status_code == 403, response.text
        assert "read-only" in response.json()["error"]
    client = wrapper(live_server.sparql, insert, JSON, POST)
    with pytest.raises(urllib.error.HTTPError) as refused:
        client.query()
    assert refused.value.code == 403
    assert graph_state(live_server) == before


def test_allowlisted_service_is_called(live_server: Any, oxigraph: Any) -> None:
    query = f"SELECT ?label WHERE {{ SERVICE <{oxigraph.query}> {{ ?thing ?p ?label }} }}"
    answer: Any = wrapper(live_server.sparql, query, JSON).queryAndConvert()
    assert [row["label"]["value"] for row in answer["results"]["bindings"]] == [
        "from the remote store"
    ]


def test_other_services_are_refused(live_server: Any) -> None:
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    response = httpx.get(live_server.sparql, params={"query": query})
    assert response.status_code == 403


# ---------------------------------------------------------------- the time limit


def worker_pids(server_pid: int) -> set[int]:
    """The server's child processes (its query workers), read from /proc."""
    children: set[int] = set()
    for task in Path(f"/proc/{server_pid}/task").iterdir():
        text = (task / "children").read_text().split()
        children.update(int(pid) for pid in text)
    return children


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_runaway_query_is_stopped_while_others_are_answered(live_server: Any) -> None:
    before = worker_pids(live_server.process.pid)
    assert len(before) == 2
    outcome: dict[str, Any] = {}

    def runaway() -> None:
        began = time.perf_counter()
        outcome["response"] = httpx.get(
            live_server.sparql, params={"query": RUNAWAY_QUERY}, timeout=30
        )
        outcome["seconds"] = time.perf_counter() - began

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)
    began = time.perf_counter()
    quick = httpx.get(live_server.sparql, params={"query": LABEL_OF_FRONTEX}, timeout=10)
    assert time.perf_counter() - began < 1.0
    assert quick.status_code == 200
    thread.join(30)
    response = outcome["response"]
    assert response.status_code == 503
    assert "2 s limit" in response.json()["error"]
    assert 1.9 < outcome["seconds"] < 6
    gone = {pid for pid in before if not alive(pid)}
    assert len(gone) == 1, "the worker that ran the runaway query was killed"
    deadline = time.monotonic() + 10
    while len(worker_pids(live_server.process.pid)) != 2:
        assert time.monotonic() < deadline, "no replacement worker started"
        time.sleep(0.05)
    assert worker_pids(live_server.process.pid).isdisjoint(gone)
    again = httpx.get(live_server.sparql, params={"query": LABEL_OF_FRONTEX})
    assert again.status_code == 200


# ---------------------------------------------------------------- serve --endpoint


def test_remote_mode_answers_like_the_embedded_store(
    live_server: Any, remote_live_server: Any
) -> None:
    for query in (LABEL_OF_FRONTEX, COUNT_ACTIONS):
        embedded: Any = wrapper(live_server.sparql, query, JSON).queryAndConvert()
        remote: Any = wrapper(remote_live_server.sparql, query, JSON).queryAndConvert()
        assert remote == embedded
    turtle = wrapper(remote_live_server.sparql, FRONTEX_GRAPH, TURTLE).queryAndConvert()
    assert isinstance(turtle, bytes)
    assert len(rdflib.Graph().parse(data=turtle, format="turtle")) == 3
    health = httpx.get(remote_live_server.url + "/health").json()
    assert health["status"] == "ok"
    assert health["triples"] > 0
