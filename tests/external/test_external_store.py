"""`emkg publish` into a real Oxigraph server, then `serve --endpoint` on it: the same answers as
the embedded store, route by route.

Routes another part of the project adds later (`/queries`, `/involving`, `/id/…`) are compared
when the app has them and skipped otherwise.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph
from rdflib.compare import to_isomorphic

from api.catalogue import default_catalogue
from api.cli import main as emkg
from api.publish import PublishError, graph_url, put_graph
from api.stores.dialect import concatenations

from .conftest import DATASET, ExternalStore

pytestmark = [pytest.mark.external, pytest.mark.xdist_group("external")]

ID = "https://w3id.org/eu-migration-kg/id/"
PREFIXES = """PREFIX emk: <https://w3id.org/eu-migration-kg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX schema: <http://schema.org/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""

SELECTS = {
    "count": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "actions-by-status": """SELECT ?n ?title ?status (COUNT(?action) AS ?actions) WHERE {
        ?c a emk:Commitment ; skos:notation ?n ; dct:title ?title .
        ?action emk:implements ?c ; emk:status ?status .
      } GROUP BY ?n ?title ?status ORDER BY xsd:integer(?n)""",
    "funding-words": """SELECT ?amount ?words WHERE {
        ?f a emk:FundingInstrument ; emk:amountEUR ?amount ; prov:wasDerivedFrom/oa:exact ?words .
        FILTER NOT EXISTS { ?f emk:componentOf ?whole }
      } ORDER BY DESC(?amount)""",
    "labels-optional": """SELECT ?actor ?label ?alias WHERE {
        ?actor a emk:Agency ; rdfs:label ?label .
        OPTIONAL { ?actor skos:altLabel ?alias }
        FILTER(LANG(?label) = "en")
      } ORDER BY ?label""",
    "dated-events": """SELECT ?e ?start ?end WHERE {
        ?e a emk:Event ; schema:startDate ?start ; schema:endDate ?end .
        FILTER(?start >= "2023-03-01"^^xsd:date)
      }""",
    "ontology-classes": """SELECT ?class ?label WHERE {
        ?class a owl:Class ; rdfs:label ?label . FILTER(isIRI(?class))
      }""",
}
ASKS = {
    "frontex-is-agency": (f"ASK {{ <{ID}agency/frontex> a emk:Agency }}", True),
    "no-such-thing": (f"ASK {{ <{ID}agency/nobody> ?p ?o }}", False),
}
GRAPHS = {
    "construct-frontex": f"CONSTRUCT {{ <{ID}agency/frontex> ?p ?o }} "
    f"WHERE {{ <{ID}agency/frontex> ?p ?o }}",
    "construct-ontology-bnodes": """CONSTRUCT { ?p rdfs:domain ?d . ?d owl:unionOf ?list }
        WHERE { ?p rdfs:domain ?d . OPTIONAL { ?d owl:unionOf ?list } }""",
    "describe-serbia": f"DESCRIBE <{ID}country/serbia>",
}


# ---------------------------------------------------------------- comparing answers


def _normal_binding(term: dict[str, Any]) -> dict[str, Any]:
    return {**term, "value": "_:b"} if term.get("type") in ("bnode", "blank") else term


def json_rows(body: bytes) -> list[str]:
    """A SPARQL JSON answer's rows, blank node labels blanked, sorted."""
    data = json.loads(body)
    rows = [
        json.dumps({k: _normal_binding(v) for k, v in row.items()}, sort_keys=True)
        for row in data["results"]["bindings"]
    ]
    return sorted(rows)


def csv_rows(body: bytes) -> tuple[list[str], list[list[str]]]:
    table = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    return table[0], sorted(table[1:])


def isomorphic(body: bytes, media_type: str) -> Graph:
    graph = Graph()
    graph.parse(
        data=body, format={"text/turtle": "turtle", "application/n-triples": "nt"}[media_type]
    )
    return to_isomorphic(graph)


def has_route(client: TestClient, path: str) -> bool:
    """Whether the app serves `path` (a path template as the OpenAPI document names it)."""
    paths = client.get("/openapi.json").json().get("paths", {})
    return path in paths


def sparql(client: TestClient, query: str, accept: str) -> Any:
    response = client.post("/sparql", data={"query": PREFIXES + query}, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    return response


def unordered_parts(answer: dict[str, Any], separators: dict[str, str]) -> dict[str, Any]:
    """The answer with each GROUP_CONCAT's parts sorted: SPARQL 1.1 leaves their order to the
    store, and Oxigraph and Virtuoso do differ there."""
    rows = [
        {
            column: (
                sorted(value.split(separators[column]))
                if column in separators and isinstance(value, str)
                else value
            )
            for column, value in row.items()
        }
        for row in answer.get("rows", [])
    ]
    return {**answer, "rows": rows}


def canonical_json(value: Any) -> Any:
    """Rows of a JSON answer in a stable order (lists of rows sorted by their JSON text)."""
    if isinstance(value, dict):
        return {key: canonical_json(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [canonical_json(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, default=str))
    return value


# ---------------------------------------------------------------- publish


def test_publish_puts_data_and_ontology_into_the_named_graph(
    published: ExternalStore, expected_triples: int, graph_dir: Path
) -> None:
    manifest = json.loads((graph_dir / "manifest.json").read_text(encoding="utf-8"))
    assert published.count(DATASET) == expected_triples
    assert expected_triples > manifest["triples"]  # the ontology came along
    if published.separate_default_graph:
        assert published.count(None) == 0  # nothing in the default graph


def test_publishing_again_changes_nothing(
    published: ExternalStore, expected_triples: int, graph_dir: Path
) -> None:
    assert emkg(["publish", "--store", published.store, "--out", str(graph_dir)]) == 0
    assert published.count(DATASET) == expected_triples
    if published.separate_default_graph:
        assert published.count(None) == 0


def test_publish_into_another_graph_leaves_the_dataset_alone(
    published: ExternalStore, expected_triples: int, graph_dir: Path
) -> None:
    other = "https://example.org/graphs/copy"
    put_graph(published.store, other, graph_dir / "emkg.nt", None)
    json_manifest = json.loads((graph_dir / "manifest.json").read_text(encoding="utf-8"))
    assert published.count(other) == json_manifest["triples"]
    assert published.count(DATASET) == expected_triples


def test_a_wrong_url_is_a_clear_error(published: ExternalStore, graph_dir: Path) -> None:
    with pytest.raises(PublishError) as caught:
        put_graph(published.url + "/query", DATASET, graph_dir / "emkg.nt", None)
    assert caught.value.status in (404, 405, 501)
    assert "Graph Store Protocol" in str(caught.value)


def test_graph_urls() -> None:
    assert graph_url("http://h:7878/store", DATASET) == (
        "http://h:7878/store?graph=https%3A%2F%2Fw3id.org%2Feu-migration-kg%2Fdataset"
    )
    assert graph_url("http://h:8890/sparql-graph-crud-auth", "urn:g").startswith(
        "http://h:8890/sparql-graph-crud-auth?graph-uri=urn%3Ag"
    )
    assert graph_url("http://h/ds/data?x=1", "urn:g") == "http://h/ds/data?x=1&graph=urn%3Ag"
    with pytest.raises(PublishError):
        graph_url("ftp://h/store", "urn:g")


# ---------------------------------------------------------------- the same answers


def test_health(
    embedded_client: TestClient, remote_client: TestClient, expected_triples: int
) -> None:
    ours, theirs = embedded_client.get("/health").json(), remote_client.get("/health").json()
    assert ours["triples"] == theirs["triples"] == expected_triples
    assert ours["version"] == theirs["version"]


@pytest.mark.parametrize("name", sorted(SELECTS))
def test_select(embedded_client: TestClient, remote_client: TestClient, name: str) -> None:
    query = SELECTS[name]
    ours = sparql(embedded_client, query, "application/sparql-results+json")
    theirs = sparql(remote_client, query, "application/sparql-results+json")
    assert json.loads(ours.content)["head"] == json.loads(theirs.content)["head"]
    assert json_rows(ours.content) == json_rows(theirs.content)
    assert json_rows(ours.content), "the query should find something"
    assert csv_rows(sparql(embedded_client, query, "text/csv").content) == csv_rows(
        sparql(remote_client, query, "text/csv").content
    )


@pytest.mark.parametrize("name", sorted(ASKS))
def test_ask(embedded_client: TestClient, remote_client: TestClient, name: str) -> None:
    query, expected = ASKS[name]
    for client in (embedded_client, remote_client):
        answer = sparql(client, query, "application/sparql-results+json").json()
        assert answer["boolean"] is expected


@pytest.mark.parametrize("name", sorted(GRAPHS))
@pytest.mark.parametrize("media_type", ["text/turtle", "application/n-triples"])
def test_construct(
    embedded_client: TestClient, remote_client: TestClient, name: str, media_type: str
) -> None:
    ours = isomorphic(sparql(embedded_client, GRAPHS[name], media_type).content, media_type)
    theirs = isomorphic(sparql(remote_client, GRAPHS[name], media_type).content, media_type)
    assert len(ours) > 0
    assert ours == theirs


def _catalogue(client: TestClient) -> list[dict[str, Any]]:
    data = client.get("/queries").json()
    entries = data.get("queries", data) if isinstance(data, dict) else data
    return list(entries)


def _examples(entry: dict[str, Any]) -> dict[str, str]:
    parameters = entry.get("parameters") or []
    if isinstance(parameters, dict):
        parameters = [{"name": key, **value} for key, value in parameters.items()]
    return {str(p["name"]): str(p["example"]) for p in parameters if p.get("example") is not None}


CANNED = sorted(default_catalogue())


@pytest.mark.parametrize("name", CANNED)
def test_canned_queries(embedded_client: TestClient, remote_client: TestClient, name: str) -> None:
    entry = next(e for e in _catalogue(embedded_client) if e["name"] == name)
    params = _examples(entry)
    ours = embedded_client.get(f"/queries/{name}", params=params)
    theirs = remote_client.get(f"/queries/{name}", params=params)
    assert ours.status_code == theirs.status_code == 200, (name, ours.text, theirs.text)
    parts = concatenations(default_catalogue()[name].sparql)
    assert canonical_json(unordered_parts(ours.json(), parts)) == canonical_json(
        unordered_parts(theirs.json(), parts)
    ), name
    assert ours.json().get("rows"), "the example should find something"


@pytest.mark.parametrize("entities", [["Frontex", "Serbia"], ["turkiye"], ["EUAA"]])
def test_involving(
    embedded_client: TestClient, remote_client: TestClient, entities: list[str]
) -> None:
    if not has_route(embedded_client, "/involving"):
        pytest.skip("GET /involving is not there yet")
    params = [("entity", entity) for entity in entities]
    ours = embedded_client.get("/involving", params=params)
    theirs = remote_client.get("/involving", params=params)
    assert ours.status_code == theirs.status_code
    parts = concatenations(default_catalogue()["involving"].sparql)
    assert canonical_json(unordered_parts(ours.json(), parts)) == canonical_json(
        unordered_parts(theirs.json(), parts)
    )
    if entities == ["Frontex", "Serbia"]:
        assert ours.status_code == 200
        assert "Serbia" in ours.text


@pytest.mark.parametrize("path", ["agency/frontex", "country/serbia", "commitment/1"])
def test_resource_pages(embedded_client: TestClient, remote_client: TestClient, path: str) -> None:
    if not has_route(embedded_client, "/id/{kind}/{slug}"):
        pytest.skip("GET /id/{kind}/{slug} is not there yet")
    headers = {"Accept": "text/turtle"}
    ours = embedded_client.get(f"/id/{path}", headers=headers)
    theirs = remote_client.get(f"/id/{path}", headers=headers)
    assert ours.status_code == theirs.status_code == 200
    assert isomorphic(ours.content, "text/turtle") == isomorphic(theirs.content, "text/turtle")


@pytest.mark.parametrize("q", ["frontex", "Türkiye", "western balkans"])
def test_entities(embedded_client: TestClient, remote_client: TestClient, q: str) -> None:
    if not has_route(embedded_client, "/entities"):
        pytest.skip("GET /entities is not there yet")
    ours = embedded_client.get("/entities", params={"q": q})
    theirs = remote_client.get("/entities", params={"q": q})
    assert ours.status_code == theirs.status_code == 200
    assert canonical_json(ours.json()) == canonical_json(theirs.json())


# ---------------------------------------------------------------- the dataset a query reads

OTHER = "http://example.org/not-here"
DATASET_CASES = {
    # (query, protocol default-graph-uri, protocol named-graph-uri, expected rows)
    "no-dataset-default": ("SELECT (COUNT(*) AS ?n) WHERE { ?s a emk:Commitment }", [], [], 15),
    "no-dataset-named": (
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s a emk:Commitment } }",
        [],
        [],
        [DATASET],
    ),
    "from-dataset": (
        f"SELECT (COUNT(*) AS ?n) FROM <{DATASET}> WHERE {{ ?s a emk:Commitment }}",
        [],
        [],
        15,
    ),
    "from-other": (
        f"SELECT (COUNT(*) AS ?n) FROM <{OTHER}> WHERE {{ ?s a emk:Commitment }}",
        [],
        [],
        0,
    ),
    "from-named-only": (
        f"SELECT ?g (COUNT(*) AS ?n) FROM NAMED <{DATASET}> "
        "WHERE { GRAPH ?g { ?s a emk:Commitment } } GROUP BY ?g",
        [],
        [],
        [DATASET, 15],
    ),
    "from-named-default-empty": (
        f"SELECT (COUNT(*) AS ?n) FROM NAMED <{DATASET}> WHERE {{ ?s a emk:Commitment }}",
        [],
        [],
        0,
    ),
    "protocol-wins-over-from": (
        f"SELECT (COUNT(*) AS ?n) FROM <{OTHER}> WHERE {{ ?s a emk:Commitment }}",
        [DATASET],
        [],
        15,
    ),
    "protocol-other": ("SELECT (COUNT(*) AS ?n) WHERE { ?s a emk:Commitment }", [OTHER], [], 0),
    "protocol-named": (
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s a emk:Commitment } }",
        [OTHER],
        [DATASET],
        [DATASET],
    ),
    "protocol-default-no-named": (
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
        [DATASET],
        [],
        [],
    ),
}


def _values(response: Any) -> list[Any]:
    bindings = response.json()["results"]["bindings"]
    values = [
        int(v["value"]) if v.get("datatype", "").endswith("integer") else v["value"]
        for row in bindings
        for v in row.values()
    ]
    return values


@pytest.mark.parametrize("case", sorted(DATASET_CASES))
def test_from_and_graph_parameters_mean_the_same_on_every_store(
    embedded_client: TestClient, remote_client: TestClient, case: str
) -> None:
    query, defaults, named, expected = DATASET_CASES[case]
    params = [("default-graph-uri", iri) for iri in defaults]
    params += [("named-graph-uri", iri) for iri in named]
    answers = []
    for client in (embedded_client, remote_client):
        response = client.post(
            "/sparql",
            params=params,
            data={"query": PREFIXES + query},
            headers={"Accept": "application/sparql-results+json"},
        )
        assert response.status_code == 200, response.text
        answers.append(_values(response))
    wanted = expected if isinstance(expected, list) else [expected]
    assert answers[0] == answers[1] == wanted


def test_relative_iris_resolve_against_our_endpoint_not_the_store(
    embedded_client: TestClient, remote_client: TestClient, published: ExternalStore
) -> None:
    query = b"CONSTRUCT { <s> <p> 1 } WHERE {}"
    headers = {"Content-Type": "application/sparql-query", "Accept": "application/n-triples"}
    ours = embedded_client.post("/sparql", content=query, headers=headers)
    theirs = remote_client.post("/sparql", content=query, headers=headers)
    assert ours.status_code == theirs.status_code == 200
    assert ours.text == theirs.text
    assert ours.text.startswith("<http://testserver/s> ")
    assert published.url.split("//")[1] not in theirs.text  # the store's address never leaks
