"""GET /id/{kind}/{slug} over the project's built graph: negotiation, pages, text, 404s."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS
from rdflib.term import Node

from api.app import create_app
from api.routers.resources import surrounding
from api.settings import Settings
from api.stores import QueryResult, Rows

PROJECT = Path(__file__).resolve().parents[2]
OUTPUT = PROJECT / "output"
BASE = "https://w3id.org/eu-migration-kg/"
OA = Namespace("http://www.w3.org/ns/oa#")
EMK = Namespace(BASE + "ontology#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
FRONTEX = URIRef(BASE + "id/agency/frontex")
DOCUMENT = "/id/document/letter-2023-03-20"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@pytest.fixture(scope="module")
def site() -> Iterator[TestClient]:
    """The app over the project's own graph (built first if missing or stale)."""
    settings = Settings(graph_dir=OUTPUT, auto_build=True, pool_size=2)
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="module")
def data(site: TestClient) -> Graph:
    """The built graph, read from its N-Triples dump (the app has built it by now)."""
    graph = Graph()
    graph.parse(OUTPUT / "emkg.nt", format="nt")
    assert len(graph) > 0
    return graph


# ------------------------------------------------------------------------ negotiation

NEGOTIATION = [
    # (Accept header or None, the media type expected)
    (None, "text/turtle"),
    ("", "text/turtle"),
    ("*/*", "text/turtle"),
    (BROWSER, "text/html"),
    ("text/html", "text/html"),
    ("application/xhtml+xml", "text/html"),
    ("text/turtle", "text/turtle"),
    ("application/ld+json", "application/ld+json"),
    ("application/json", "application/ld+json"),
    ("application/n-triples", "application/n-triples"),
    ("application/rdf+xml", "application/rdf+xml"),
    ("text/turtle;q=0.5, text/html;q=0.9", "text/html"),
    ("text/html;q=0.1, application/n-triples", "application/n-triples"),
    ("application/ld+json;q=0.9, text/turtle;q=0.8, */*;q=0.1", "application/ld+json"),
]


@pytest.mark.parametrize(("accept", "expected"), NEGOTIATION)
def test_accept_picks_the_representation(
    site: TestClient, accept: str | None, expected: str
) -> None:
    headers = {} if accept is None else {"accept": accept}
    response = site.get("/id/agency/frontex", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == expected
    assert "accept" in response.headers["vary"].lower()


def test_nothing_acceptable_is_406(site: TestClient) -> None:
    response = site.get("/id/agency/frontex", headers={"accept": "image/png"})
    assert response.status_code == 406
    assert response.json()["error"]


def test_text_plain_is_only_for_the_document(site: TestClient) -> None:
    assert site.get("/id/agency/frontex", headers={"accept": "text/plain"}).status_code == 406
    assert site.get("/id/agency/frontex?format=txt").status_code == 422


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ttl", "text/turtle"),
        ("jsonld", "application/ld+json"),
        ("nt", "application/n-triples"),
        ("rdf", "application/rdf+xml"),
        ("html", "text/html"),
    ],
)
def test_format_parameter_overrides_accept(site: TestClient, name: str, expected: str) -> None:
    response = site.get(f"/id/agency/frontex?format={name}", headers={"accept": BROWSER})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == expected


def test_unknown_format_parameter_is_422(site: TestClient) -> None:
    response = site.get("/id/agency/frontex?format=yaml")
    assert response.status_code == 422
    assert "ttl" in response.json()["detail"]["known"]


# ------------------------------------------------------------------------ RDF descriptions

RDFLIB_FORMATS = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}


def description(site: TestClient, path: str, media_type: str) -> Graph:
    response = site.get(path, headers={"accept": media_type})
    assert response.status_code == 200, response.text
    graph = Graph()
    graph.parse(data=response.content, format=RDFLIB_FORMATS[media_type])
    return graph


def test_every_rdf_format_parses_to_the_same_description(site: TestClient) -> None:
    graphs = [description(site, "/id/agency/frontex", media) for media in RDFLIB_FORMATS]
    assert len(graphs[0]) > 0
    for other in graphs[1:]:
        assert isomorphic(graphs[0], other)


def test_description_holds_outgoing_incoming_and_labels(site: TestClient, data: Graph) -> None:
    graph = description(site, "/id/agency/frontex", "text/turtle")
    # every statement the graph makes about Frontex
    for predicate, obj in data.predicate_objects(FRONTEX):
        assert (FRONTEX, predicate, obj) in graph
    # every statement pointing at Frontex, with its subject's label
    incoming = list(data.subject_predicates(FRONTEX))
    assert incoming
    for subject, predicate in incoming:
        assert (subject, predicate, FRONTEX) in graph
        for label in data.objects(subject, RDFS.label):
            assert (subject, RDFS.label, label) in graph
    # the labels of what Frontex points at
    for obj in data.objects(FRONTEX, None):
        for label in data.objects(obj, RDFS.label):
            assert (obj, RDFS.label, label) in graph


def test_every_kind_of_resource_dereferences(site: TestClient, data: Graph) -> None:
    """One resource of every kind in the graph answers with its own statements."""
    seen: dict[str, URIRef] = {}
    for subject in data.subjects():
        if isinstance(subject, URIRef) and str(subject).startswith(BASE + "id/"):
            kind = str(subject)[len(BASE + "id/") :].split("/")[0]
            seen.setdefault(kind, subject)
    assert {"commitment", "action", "agency", "country", "event", "passage", "document"} <= set(
        seen
    )
    for subject in seen.values():
        path = str(subject)[len(BASE) - 1 :]
        graph = description(site, path, "application/n-triples")
        served = {(p, _value(o)) for p, o in graph.predicate_objects(subject)}
        assert served == {(p, _value(o)) for p, o in data.predicate_objects(subject)}


def _value(term: Node) -> object:
    """A literal by value alone: pyoxigraph stores `"5"^^xsd:nonNegativeInteger` as
    `"5"^^xsd:integer` and `"5.0"^^xsd:decimal` as `"5"^^xsd:decimal`."""
    if isinstance(term, Literal):
        return (term.toPython(), term.language)
    return term


# ------------------------------------------------------------------------ the page for people


def page(site: TestClient, path: str) -> str:
    response = site.get(path, headers={"accept": BROWSER})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


def test_page_shows_label_kind_and_links_both_ways(site: TestClient) -> None:
    html = page(site, "/id/agency/frontex")
    assert "<h1>Frontex</h1>" in html
    assert 'href="/ontology#Agency"' in html  # its class, on the ontology page
    links = hrefs(html)
    assert "/id/commitment/2" in links  # incoming: commitment 2 involves Frontex
    assert "/id/person/hans-leijtens" in links  # incoming: affiliation
    assert "http://publications.europa.eu/resource/authority/corporate-body/FRONTEX" in links
    assert "European Border and Coast Guard Agency" in html  # an alias
    # the graph's own IRIs are links to this server, never to the base IRI
    assert not [href for href in links if href.startswith(BASE + "id/")]


def test_page_shows_dates_status_and_amounts_where_present(site: TestClient, data: Graph) -> None:
    funding = next(
        s
        for s in data.subjects(RDF.type, EMK.FundingInstrument)
        if (s, EMK.amountEUR, None) in data
    )
    html = page(site, str(funding)[len(BASE) - 1 :])
    assert 'class="amount"' in html and "EUR " in html
    assert 'class="dates"' in html
    action = next(s for s in data.subjects(EMK.status, None))
    status = data.value(action, EMK.status)
    html = page(site, str(action)[len(BASE) - 1 :])
    assert f'href="/ontology#{str(status).rsplit("#", 1)[1]}"' in html


def test_commitment_page_links_to_eurovoc_and_its_actions(site: TestClient, data: Graph) -> None:
    html = page(site, "/id/commitment/2")
    links = hrefs(html)
    commitment = URIRef(BASE + "id/commitment/2")
    subjects = list(data.objects(commitment, URIRef("http://purl.org/dc/terms/subject")))
    assert subjects
    for subject in subjects:
        assert str(subject) in links
    for action in data.subjects(EMK.implements, commitment):
        assert str(action)[len(BASE) - 1 :] in links


def test_every_link_of_a_page_resolves(site: TestClient) -> None:
    html = page(site, "/id/commitment/2")
    local = sorted({href for href in hrefs(html) if href.startswith("/id/")})
    assert len(local) > 10
    for href in local:
        assert site.get(href, headers={"accept": BROWSER}).status_code == 200, href


def test_passages_are_marked_within_their_context(site: TestClient, data: Graph) -> None:
    text = (OUTPUT / "letter-2023-03-20.txt").read_bytes().decode("utf-8")
    html = page(site, "/id/agency/frontex")
    quotes = re.findall(r"<blockquote>(.*?)<mark>(.*?)</mark>(.*?)</blockquote>", html, re.S)
    passages = list(data.objects(FRONTEX, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")))
    assert len(quotes) == len(passages) > 0
    squeezed = " ".join(text.split())
    exacts = {" ".join(str(data.value(p, OA.exact)).split()) for p in passages}
    for before, marked, after in quotes:
        marked = _unescape(marked)
        assert marked in exacts
        context = (
            (_unescape(before) + marked + _unescape(after)).replace("… ", "").replace(" …", "")
        )
        assert context.strip() in squeezed  # the context is the stored text around it
        assert len(context) <= len(marked) + 2 * 100 + 10


def test_a_passage_page_marks_its_own_words(site: TestClient, data: Graph) -> None:
    passage = next(data.subjects(RDF.type, EMK.Passage))
    html = page(site, str(passage)[len(BASE) - 1 :])
    marked = re.findall(r"<mark>(.*?)</mark>", html, re.S)
    assert " ".join(str(data.value(passage, OA.exact)).split()) in map(_unescape, marked)


def _unescape(text: str) -> str:
    return html.unescape(text)


# ------------------------------------------------------------------------ the document's text


def test_document_text_is_what_the_offsets_index(site: TestClient, data: Graph) -> None:
    response = site.get(DOCUMENT, headers={"accept": "text/plain"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.content == (OUTPUT / "letter-2023-03-20.txt").read_bytes()
    text = response.content.decode("utf-8")
    passages = list(data.subjects(RDF.type, EMK.Passage))
    assert passages
    for passage in passages:
        start = int(data.value(passage, OA.start))  # type: ignore[arg-type]
        end = int(data.value(passage, OA.end))  # type: ignore[arg-type]
        assert text[start:end] == str(data.value(passage, OA.exact)), passage


def test_document_is_still_turtle_for_any_type(site: TestClient) -> None:
    response = site.get(DOCUMENT, headers={"accept": "*/*"})
    assert response.headers["content-type"].startswith("text/turtle")
    html = page(site, DOCUMENT)
    assert f'href="{DOCUMENT}?format=txt"' in html


# ------------------------------------------------------------------------ 404s


def test_unknown_resource_is_404_json(site: TestClient) -> None:
    response = site.get("/id/agency/no-such-agency")
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"error", "detail"}


def test_unknown_resource_is_404_page_for_browsers(site: TestClient) -> None:
    response = site.get("/id/agency/no-such-agency", headers={"accept": BROWSER})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Not found" in response.text


class UntouchableStore:
    """A store that fails the test if any query reaches it."""

    version = "test"
    triple_count = 0

    async def query(self, sparql: str, **_: object) -> QueryResult:
        raise AssertionError("the store was asked: " + sparql[:60])

    async def select(self, sparql: str, substitutions: Mapping[str, object] | None = None) -> Rows:
        raise AssertionError("the store was asked: " + sparql[:60])

    async def close(self) -> None:
        return None


@pytest.mark.parametrize(
    "path",
    [
        "/id/spaceship/frontex",
        "/id/Agency/frontex",
        "/id/agency/Frontex",
        "/id/agency/front_ex",
        "/id/agency/-frontex",
        "/id/agency/frontex-",
        "/id/agency/fron--tex",
        "/id/agency/%2e%2e",
        "/id/agency/..%2Fmanifest.json",
        "/id/agency/t%C3%BCrkiye",
        "/id/agency/" + "a" * 201,
    ],
)
def test_bad_kind_or_slug_is_404_without_the_store(path: str) -> None:
    settings = Settings(graph_dir=OUTPUT, auto_build=False)
    app = create_app(settings, store=UntouchableStore())  # type: ignore[arg-type]
    with TestClient(app) as client:
        response = client.get(path)
        assert response.status_code == 404, response.text
        assert response.json()["error"]
        assert client.get(path, headers={"accept": BROWSER}).status_code == 404


def test_unchanged_resource_is_304(site: TestClient) -> None:
    first = site.get("/id/agency/frontex", headers={"accept": "text/turtle"})
    etag = first.headers["etag"]
    again = site.get("/id/agency/frontex", headers={"accept": "text/turtle", "if-none-match": etag})
    assert again.status_code == 304
    other = site.get("/id/agency/frontex", headers={"accept": "text/html", "if-none-match": etag})
    assert other.status_code == 200


# ------------------------------------------------------------------------ context windows

TEXT = (
    "First sentence here. Second sentence is rather longer than the first one. "
    "The passage itself. Then one more sentence follows it. And the last one, which goes on "
    "for a good while longer than any window."
)


def test_context_keeps_whole_sentences_that_fit() -> None:
    start = TEXT.index("The passage")
    end = start + len("The passage itself.")
    context = surrounding(TEXT, start, end, width=60)
    assert context.before == "Second sentence is rather longer than the first one. "
    assert context.after == " Then one more sentence follows it."
    assert not context.clipped_before and not context.clipped_after


def test_context_is_cut_at_a_word_when_no_sentence_fits() -> None:
    start = TEXT.index("The passage")
    end = start + len("The passage itself.")
    context = surrounding(TEXT, start, end, width=20)
    assert context.clipped_before and context.clipped_after
    assert TEXT[:start].endswith(context.before)
    assert TEXT[end:].startswith(context.after)
    assert not context.before.startswith(" ") and len(context.before) <= 20


def test_context_at_the_edges_of_the_text() -> None:
    context = surrounding(TEXT, 0, len("First sentence here."), width=30)
    assert context.before == "" and not context.clipped_before
    end = len(TEXT)
    context = surrounding(TEXT, end - len("than any window."), end, width=30)
    assert context.after == "" and not context.clipped_after


def test_manifest_names_the_stored_text(site: TestClient) -> None:
    manifest = json.loads((OUTPUT / "manifest.json").read_text())
    assert manifest["document"] == BASE + DOCUMENT[1:]
    assert (OUTPUT / manifest["text"]).is_file()


# ------------------------------------------------------------------------ an external store


@pytest.mark.external
def test_resources_through_an_external_store(graph_dir: Path, oxigraph: Any) -> None:
    """The same queries bound by VALUES (RemoteStore) instead of substitutions; the conftest's
    small fixture graph, held by `oxigraph serve`."""
    settings = Settings(graph_dir=graph_dir, auto_build=False, endpoint=oxigraph.query)
    with TestClient(create_app(settings)) as client:
        page = client.get("/id/agency/frontex", headers={"accept": BROWSER})
        assert page.status_code == 200
        assert "<h1>Frontex</h1>" in page.text
        assert 'href="/id/action/a2"' in page.text
        turtle = client.get("/id/agency/frontex")
        graph = Graph().parse(data=turtle.content, format="turtle")
        assert (FRONTEX, RDFS.label, Literal("Frontex", lang="en")) in graph
        assert (URIRef(BASE + "id/action/a2"), EMK.involves, FRONTEX) in graph
        assert (URIRef(BASE + "id/action/a2"), RDFS.label, Literal("Action 2", lang="en")) in graph
        assert client.get("/id/agency/nobody").status_code == 404
        # no stored text in this graph folder: the document's text is not found
        assert client.get(DOCUMENT, headers={"accept": "text/plain"}).status_code == 404
