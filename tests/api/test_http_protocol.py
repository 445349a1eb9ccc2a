"""What every route does at the HTTP level: HEAD wherever GET works, a 405 naming the methods
the path allows, gzip when asked, 414 in JSON with CORS headers for a URL too long (from the
app, and from the HTTP server for a request line its parser refuses), CONSTRUCT in N-Quads and
TriG, and relative IRIs resolved against the endpoint's own URL."""

from __future__ import annotations

import json
import socket

import pyoxigraph as ox
import pytest
from conftest import LiveServer
from fastapi.testclient import TestClient

from api.settings import Settings

ORIGIN = {"Origin": "https://reader.example"}
GET_ROUTES = [
    "/health",
    "/queries",
    "/sparql?query=ASK%20%7B%7D",
    "/shapes",
    "/ontology",
    "/dumps/emkg.nt",
    "/id/agency/frontex",
]


@pytest.mark.parametrize("path", GET_ROUTES)
def test_head_answers_as_get_without_a_body(client: TestClient, path: str) -> None:
    got = client.get(path, headers={"Accept-Encoding": "identity"})
    head = client.head(path, headers={"Accept-Encoding": "identity"})
    assert got.status_code == head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == str(len(got.content))


def test_a_method_a_path_does_not_take_names_the_ones_it_does(client: TestClient) -> None:
    put = client.put("/sparql", content=b"ASK {}")
    assert put.status_code == 405
    assert put.headers["allow"] == "GET, HEAD, POST"
    assert put.json()["detail"] == {"allowed": "GET, HEAD, POST"}
    delete = client.delete("/queries")
    assert delete.status_code == 405 and delete.headers["allow"] == "GET, HEAD"


def test_answers_are_gzipped_when_asked(client: TestClient, settings: Settings) -> None:
    raw = client.get("/dumps/emkg.nt", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers
    packed = client.get("/dumps/emkg.nt", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["vary"]
    # the client undoes the compression: the same bytes, fewer of them on the wire
    assert packed.content == raw.content
    assert int(packed.headers["content-length"]) < len(raw.content) / 2


def test_a_url_too_long_is_414_in_json_with_cors(client: TestClient, settings: Settings) -> None:
    query = "ASK {}" + " " * settings.max_url_bytes
    response = client.get("/sparql", params={"query": query}, headers=ORIGIN)
    assert response.status_code == 414
    assert response.json()["error"] == "URL too long"
    assert response.headers["access-control-allow-origin"] == "*"
    assert client.post("/sparql", data={"query": "ASK {}"}).status_code == 200  # POST is fine


@pytest.mark.live
def test_a_request_line_the_http_server_refuses_is_414_too(live_server: LiveServer) -> None:
    """Past about 64 KiB uvicorn's parser gives up before the app sees the request."""
    host, port = live_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            f"GET /sparql?query={'x' * 100_000} HTTP/1.1\r\nHost: a\r\n"
            "Origin: https://reader.example\r\n\r\n".encode()
        )
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414")
    assert b"access-control-allow-origin: *" in head.lower()
    assert json.loads(body)["error"] == "URL too long"


@pytest.mark.parametrize(
    ("media_type", "rdf_format"),
    [("application/n-quads", ox.RdfFormat.N_QUADS), ("application/trig", ox.RdfFormat.TRIG)],
)
def test_construct_as_n_quads_and_trig(
    client: TestClient, media_type: str, rdf_format: ox.RdfFormat
) -> None:
    query = (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s rdfs:label ?l }"
    )
    answer = client.post("/sparql", data={"query": query}, headers={"Accept": media_type})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(media_type)
    quads = list(ox.parse(answer.content, format=rdf_format))
    turtle = client.post("/sparql", data={"query": query}, headers={"Accept": "text/turtle"})
    triples = list(ox.parse(turtle.content, format=ox.RdfFormat.TURTLE))
    assert quads and len(quads) == len(triples)
    assert all(isinstance(q.graph_name, ox.DefaultGraph) for q in quads)


def test_relative_iris_resolve_against_the_endpoint(client: TestClient) -> None:
    answer = client.post(
        "/sparql",
        content=b"CONSTRUCT { <s> <p> 1 } WHERE {}",
        headers={"Content-Type": "application/sparql-query", "Accept": "application/n-triples"},
    )
    assert answer.status_code == 200
    assert answer.text.startswith("<http://testserver/s> <http://testserver/p> ")
    own_base = client.post(
        "/sparql",
        content=b"BASE <http://example.org/> CONSTRUCT { <s> <p> 1 } WHERE {}",
        headers={"Content-Type": "application/sparql-query", "Accept": "application/n-triples"},
    )
    assert own_base.text.startswith("<http://example.org/s> ")
