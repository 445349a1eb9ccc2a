"""/sparql and /health through the app (TestClient) on the fixture graph."""

from __future__ import annotations

import csv
import io
import json
import logging
import socket
from collections.abc import Iterator, Mapping, Sequence
from urllib.parse import unquote_to_bytes

import pytest
import rdflib
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from SPARQLWrapper.Wrapper import QueryResult as WrapperResult

from api.app import create_app
from api.routers.sparql import percent_decode
from api.settings import Settings
from api.stores import QueryResult, Rows

ID = "https://w3id.org/eu-migration-kg/id/"
FRONTEX = ID + "agency/frontex"
SERBIA = ID + "country/serbia"
RUNAWAY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"

LABEL_OF_FRONTEX = (
    f"SELECT ?label WHERE {{ <{FRONTEX}> <http://www.w3.org/2000/01/rdf-schema#label> ?label }}"
)
ACTIONS_INVOLVING_FRONTEX = (
    "PREFIX emk: <https://w3id.org/eu-migration-kg/ontology#> "
    f"SELECT (COUNT(?a) AS ?n) WHERE {{ ?a emk:involves <{FRONTEX}> }}"
)
JSON_RESULTS = "application/sparql-results+json"


class _Response(io.BytesIO):
    """Just enough of urllib's response for SPARQLWrapper's QueryResult."""

    def info(self) -> dict[str, str]:
        return {"content-type": JSON_RESULTS}


def bindings(response: object) -> list[dict[str, dict[str, str]]]:
    body = response.json()  # type: ignore[attr-defined]
    rows: list[dict[str, dict[str, str]]] = body["results"]["bindings"]
    return rows


# ---------------------------------------------------------------- the three ways to ask


def test_get_query(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": LABEL_OF_FRONTEX})
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_RESULTS
    assert bindings(response) == [
        {"label": {"type": "literal", "value": "Frontex", "xml:lang": "en"}}
    ]


def test_post_form(client: TestClient) -> None:
    response = client.post("/sparql", data={"query": ACTIONS_INVOLVING_FRONTEX})
    assert response.status_code == 200
    assert bindings(response)[0]["n"]["value"] == "30"


def test_post_direct(client: TestClient) -> None:
    response = client.post(
        "/sparql",
        content=ACTIONS_INVOLVING_FRONTEX.encode(),
        headers={"Content-Type": "application/sparql-query; charset=UTF-8"},
    )
    assert response.status_code == 200
    assert bindings(response)[0]["n"]["value"] == "30"


def test_ask_and_describe(client: TestClient) -> None:
    ask = client.get("/sparql", params={"query": f"ASK {{ <{SERBIA}> ?p ?o }}"})
    assert ask.json() == {"head": {}, "boolean": True}
    describe = client.get("/sparql", params={"query": f"DESCRIBE <{SERBIA}>"})
    assert describe.headers["content-type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=describe.text, format="turtle")
    assert (rdflib.URIRef(SERBIA), rdflib.RDFS.label, rdflib.Literal("Serbia", lang="en")) in graph


# ---------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv; charset=utf-8"),
        ("text/tab-separated-values", "text/tab-separated-values; charset=utf-8"),
        ("application/json", "application/sparql-results+json"),
    ],
)
def test_select_formats(client: TestClient, accept: str, media_type: str) -> None:
    response = client.get("/sparql", params={"query": LABEL_OF_FRONTEX}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert "Frontex" in response.text


def test_csv_is_plain_values(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": LABEL_OF_FRONTEX, "format": "csv"})
    assert list(csv.reader(io.StringIO(response.text))) == [["label"], ["Frontex"]]


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ],
)
def test_construct_formats(client: TestClient, accept: str, rdflib_format: str) -> None:
    query = f"CONSTRUCT {{ <{FRONTEX}> ?p ?o }} WHERE {{ <{FRONTEX}> ?p ?o }}"
    response = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == accept
    graph = rdflib.Graph().parse(data=response.content, format=rdflib_format)
    assert len(graph) == 3
    assert (
        rdflib.URIRef(FRONTEX),
        rdflib.RDFS.label,
        rdflib.Literal("Frontex", lang="en"),
    ) in graph


def test_browser_accept_with_a_query_gets_the_default_type(client: TestClient) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get(
        "/sparql", params={"query": LABEL_OF_FRONTEX}, headers={"Accept": browser}
    )
    assert response.headers["content-type"] == JSON_RESULTS


def test_graph_parameters_select_the_dataset(client: TestClient, settings: Settings) -> None:
    # the data sits in the default graph; the dataset IRI names it, another IRI is empty
    by_dataset = client.get(
        "/sparql", params={"query": LABEL_OF_FRONTEX, "default-graph-uri": settings.graph_iri}
    )
    assert len(bindings(by_dataset)) == 1
    elsewhere = client.get(
        "/sparql",
        params={"query": LABEL_OF_FRONTEX, "default-graph-uri": "http://example.org/empty"},
    )
    assert bindings(elsewhere) == []
    named = client.post(
        "/sparql",
        data={
            "query": "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
            "named-graph-uri": ["http://example.org/a", "http://example.org/b"],
        },
    )
    assert named.status_code == 200
    assert bindings(named) == []


# ---------------------------------------------------------------- no query


def test_service_description_for_rdf_clients(client: TestClient, fixture_triples: int) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    service = rdflib.URIRef("http://testserver/sparql")
    assert (service, rdflib.RDF.type, sd.Service) in graph
    assert (service, sd.endpoint, service) in graph
    assert (service, sd.supportedLanguage, sd.SPARQL11Query) in graph
    assert (
        len(set(graph.objects(service, sd.resultFormat))) == 10
    )  # SPARQL JSON, XML, CSV, TSV; Turtle, N-Triples, JSON-LD, RDF/XML, N-Quads, TriG
    triples = graph.value(
        graph.value(graph.value(service, sd.defaultDataset), sd.defaultGraph),
        rdflib.VOID.triples,
    )
    assert triples is not None
    assert triples.toPython() == fixture_triples


def test_editor_for_browsers(client: TestClient) -> None:
    response = client.get("/sparql", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text
    assert "http://testserver/sparql" in response.text  # the page queries this endpoint


def test_no_query_and_only_results_types_is_400(client: TestClient) -> None:
    response = client.get("/sparql", headers={"Accept": JSON_RESULTS})
    assert response.status_code == 400


# ---------------------------------------------------------------- errors


def test_malformed_query_is_400_with_its_position(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": "SELECT * WHERE {\n ?s ?p \n"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"].startswith("the query is not valid SPARQL")
    assert body["detail"]["line"] == 3
    assert "column" in body["detail"]


def test_errors_in_plain_text_when_asked(client: TestClient) -> None:
    response = client.get(
        "/sparql", params={"query": "SELECT * {"}, headers={"Accept": "text/plain, */*;q=0.1"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith("the query is not valid SPARQL")


@pytest.mark.parametrize(
    ("method", "url", "body", "content_type", "status"),
    [
        # the query in both the URL and the body, twice, or not at all
        (
            "POST",
            "/sparql?query=ASK%7B%7D",
            b"query=ASK%7B%7D",
            "application/x-www-form-urlencoded",
            400,
        ),
        ("POST", "/sparql?query=ASK%7B%7D", b"ASK {}", "application/sparql-query", 400),
        ("GET", "/sparql?query=ASK%7B%7D&query=ASK%7B%7D", b"", None, 400),
        (
            "POST",
            "/sparql",
            b"default-graph-uri=http%3A%2F%2Fa",
            "application/x-www-form-urlencoded",
            400,
        ),
        ("GET", "/sparql?query=", b"", None, 400),
        # bad percent-encoding, non-UTF-8 text
        ("GET", "/sparql?query=ASK%ZZ", b"", None, 400),
        ("GET", "/sparql?query=ASK%FF%FE", b"", None, 400),
        ("POST", "/sparql", b"query=ASK%7B%7D%", "application/x-www-form-urlencoded", 400),
        ("POST", "/sparql", b"ASK { ?s ?p '\xff' }", "application/sparql-query", 400),
        (
            "POST",
            "/sparql",
            "ASK {}".encode("utf-16"),
            "application/sparql-query; charset=UTF-16",
            400,
        ),
        # wrong POST media types
        ("POST", "/sparql", b"ASK {}", "text/plain", 415),
        ("POST", "/sparql", b"ASK {}", None, 415),
        ("POST", "/sparql", b"query=ASK", "multipart/form-data; boundary=x", 415),
        # wrong methods
        ("PUT", "/sparql?query=ASK%7B%7D", b"", None, 405),
        ("DELETE", "/sparql", b"", None, 405),
        # bad parameters
        ("GET", "/sparql?query=ASK%7B%7D&default-graph-uri=not%20an%20iri", b"", None, 422),
        ("GET", "/sparql?query=ASK%7B%7D&named-graph-uri=relative", b"", None, 422),
        ("GET", "/sparql?query=ASK%7B%7D&format=yaml", b"", None, 422),
        # updates, however they come
        ("GET", "/sparql?query=INSERT%20DATA%20%7B%3Ca%3E%20%3Cb%3E%20%3Cc%3E%7D", b"", None, 403),
        ("POST", "/sparql", b"update=CLEAR%20ALL", "application/x-www-form-urlencoded", 403),
        ("POST", "/sparql", b"CLEAR ALL", "application/sparql-update", 403),
        ("POST", "/sparql", b"DROP ALL", "application/sparql-query", 403),
    ],
)
def test_protocol_errors(
    client: TestClient,
    method: str,
    url: str,
    body: bytes,
    content_type: str | None,
    status: int,
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.request(method, url, content=body or None, headers=headers)
    assert response.status_code == status, response.text
    payload = response.json()
    assert set(payload) == {"error", "detail"}
    assert "Traceback" not in response.text


def test_unacceptable_accept_is_406(client: TestClient) -> None:
    response = client.get(
        "/sparql", params={"query": LABEL_OF_FRONTEX}, headers={"Accept": "image/png"}
    )
    assert response.status_code == 406
    assert JSON_RESULTS in response.json()["detail"]["available"]
    construct = client.get(
        "/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": "text/csv"}
    )
    assert construct.status_code == 406


def test_too_long_queries_are_413(client: TestClient, settings: Settings) -> None:
    padding = "#" + "x" * settings.max_query_bytes + "\n"
    query = padding + "ASK {}"
    assert client.get("/sparql", params={"query": query}).status_code == 413
    assert client.post("/sparql", data={"query": query}).status_code == 413
    direct = client.post(
        "/sparql", content=query.encode(), headers={"Content-Type": "application/sparql-query"}
    )
    assert direct.status_code == 413


def test_service_outside_the_allowlist_never_connects(client: TestClient) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.3)
        port = listener.getsockname()[1]
        query = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"
        response = client.get("/sparql", params={"query": query})
        assert response.status_code == 403
        assert response.json()["detail"]["refused"] == [f"http://127.0.0.1:{port}/sparql"]
        with pytest.raises(TimeoutError):
            listener.accept()


# ---------------------------------------------------------------- row cap, time limit


def test_row_cap_cuts_explicitly(client: TestClient, settings: Settings) -> None:
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    response = client.get("/sparql", params={"query": query})
    assert response.headers["x-result-truncated"] == "true"
    body = response.json()
    assert body["truncated"] is True
    assert len(body["results"]["bindings"]) == settings.row_cap
    # SPARQLWrapper still reads the document
    wrapped = WrapperResult((_Response(response.content), "json"))
    assert len(wrapped.convert()["results"]["bindings"]) == settings.row_cap  # type: ignore[index]
    # and so does rdflib's SPARQL JSON parser
    parsed = rdflib.query.Result.parse(io.BytesIO(response.content), format="json")
    assert len(parsed) == settings.row_cap
    tsv = client.get("/sparql", params={"query": query, "format": "tsv"})
    assert tsv.headers["x-result-truncated"] == "true"
    assert tsv.text.count("\n") == settings.row_cap + 1


def test_under_the_cap_nothing_is_said(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": LABEL_OF_FRONTEX})
    assert "x-result-truncated" not in response.headers
    assert "truncated" not in response.json()


def test_runaway_query_is_stopped_with_503(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": RUNAWAY_QUERY})
    assert response.status_code == 503
    assert "limit" in response.json()["error"]
    # the pool is whole again afterwards
    assert client.get("/sparql", params={"query": LABEL_OF_FRONTEX}).status_code == 200


# ---------------------------------------------------------------- headers, logs, health


def test_etag_and_conditional_get(client: TestClient) -> None:
    first = client.get("/sparql", params={"query": LABEL_OF_FRONTEX})
    etag = first.headers["etag"]
    again = client.get(
        "/sparql", params={"query": LABEL_OF_FRONTEX}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304
    other_type = client.get(
        "/sparql",
        params={"query": LABEL_OF_FRONTEX},
        headers={"If-None-Match": etag, "Accept": "text/csv"},
    )
    assert other_type.status_code == 200


def test_cors_headers(client: TestClient) -> None:
    response = client.get(
        "/sparql",
        params={"query": LABEL_OF_FRONTEX},
        headers={"Origin": "https://elsewhere.example"},
    )
    assert response.headers["access-control-allow-origin"] == "*"
    exposed = response.headers["access-control-expose-headers"]
    for header in ("Link", "ETag", "X-Result-Truncated", "X-Total-Count"):
        assert header in exposed
    assert "access-control-allow-credentials" not in response.headers
    preflight = client.options(
        "/sparql",
        headers={
            "Origin": "https://elsewhere.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200


def test_one_json_log_line_per_request(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    access = logging.getLogger("emkg.access")
    access.addHandler(caplog.handler)
    try:
        client.get("/sparql", params={"query": LABEL_OF_FRONTEX})
    finally:
        access.removeHandler(caplog.handler)
    lines = [
        json.loads(record.getMessage()) for record in caplog.records if record.name == "emkg.access"
    ]
    assert len(lines) == 1
    line = lines[0]
    assert line["method"] == "GET"
    assert line["path"] == "/sparql"
    assert line["status"] == 200
    assert line["rows"] == 1
    assert len(line["query_sha256"]) == 16
    assert line["duration_ms"] >= 0


def test_health(client: TestClient, fixture_triples: int) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["triples"] == fixture_triples
    assert len(body["version"]) == 12


def test_unknown_route_is_json_404(client: TestClient) -> None:
    response = client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.json()["error"] == "not found"


# ---------------------------------------------------------------- an injected store


class FailingStore:
    """A store whose every query fails unexpectedly."""

    version = "test"
    triple_count = 0

    async def query(
        self,
        sparql: str,
        *,
        result_format: str,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        substitutions: Mapping[str, object] | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        raise RuntimeError("secret internal detail")

    async def select(self, sparql: str, substitutions: Mapping[str, object] | None = None) -> Rows:
        raise RuntimeError("secret internal detail")

    async def close(self) -> None:
        return None


@pytest.fixture
def failing_client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, store=FailingStore())  # type: ignore[arg-type]
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_unexpected_errors_are_json_without_a_trace(failing_client: TestClient) -> None:
    response = failing_client.get("/sparql", params={"query": "ASK {}"})
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "internal error"
    assert "secret" not in response.text
    assert "Traceback" not in response.text


def test_an_undeclared_prefix_is_named(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": "SELECT * WHERE { ?x skos:prefLabel ?y }"})
    assert response.status_code == 400
    body = response.json()
    assert "undeclared prefix skos:" in body["error"]
    assert body["detail"]["undeclared"] == ["skos"]
    assert body["detail"]["declare"] == ["PREFIX skos: <http://www.w3.org/2004/02/skos/core#>"]


# ---------------------------------------------------------------- decoding form fields

ESCAPE = st.integers(0, 255).flatmap(
    lambda byte: st.sampled_from([f"%{byte:02x}", f"%{byte:02X}"]).map(str.encode)
)
RAW = st.binary(max_size=6).map(lambda raw: raw.replace(b"%", b""))


@given(st.lists(st.one_of(ESCAPE, RAW), max_size=30))
@hypothesis_settings(max_examples=500, deadline=None)
def test_percent_decoding_in_c_matches_the_standard_library(pieces: list[bytes]) -> None:
    raw = b"".join(pieces)
    assert percent_decode(raw) == unquote_to_bytes(raw)
