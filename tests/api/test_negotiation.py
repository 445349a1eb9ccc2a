"""Accept-header negotiation, from a table of cases (client header, offers, expected choice)."""

from __future__ import annotations

import pytest

from api.negotiation import negotiate, parse_accept
from api.routers.sparql import GRAPH_ALIASES, RESULT_ALIASES, choose_media_type

JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TURTLE = "text/turtle"
NTRIPLES = "application/n-triples"
JSONLD = "application/ld+json"
RDFXML = "application/rdf+xml"
RESULTS = [JSON, XML, CSV, TSV]
GRAPHS = [TURTLE, NTRIPLES, JSONLD, RDFXML]
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"

NEGOTIATION_CASES = [
    # (accept header, offers, expected)
    (None, RESULTS, JSON),
    ("", RESULTS, JSON),
    ("*/*", RESULTS, JSON),
    ("garbage", RESULTS, JSON),
    (XML, RESULTS, XML),
    ("text/csv", RESULTS, CSV),
    ("text/tab-separated-values", RESULTS, TSV),
    ("TEXT/CSV", RESULTS, CSV),
    ("text/*", RESULTS, CSV),
    ("application/*", RESULTS, JSON),
    ("text/csv;q=0.5, application/sparql-results+xml", RESULTS, XML),
    ("text/csv, application/sparql-results+xml", RESULTS, CSV),
    ("text/tab-separated-values;q=0.9, text/csv;q=0.9", RESULTS, TSV),
    ("text/*;q=0.3, text/csv;q=0", RESULTS, TSV),
    ("*/*;q=0.1, application/sparql-results+xml;q=0.2", RESULTS, XML),
    ("application/sparql-results+json;q=0", RESULTS[:1], None),
    ("image/png", RESULTS, None),
    ("*/*;q=0", RESULTS, None),
    ("text/csv;q=abc, application/sparql-results+xml;q=0.1", RESULTS, XML),
    ("text/csv; charset=utf-8; q=0.8, text/tab-separated-values; q=0.7", RESULTS, CSV),
    ("application/turtle,text/turtle", GRAPHS, TURTLE),
    ("application/ld+json,application/x-json+ld", GRAPHS, JSONLD),
    ("application/n-triples", GRAPHS, NTRIPLES),
    (RDFXML, GRAPHS, RDFXML),
    ("text/turtle;q=0.5, application/rdf+xml;q=0.6", GRAPHS, RDFXML),
]


@pytest.mark.parametrize(("accept", "offers", "expected"), NEGOTIATION_CASES)
def test_negotiate(accept: str | None, offers: list[str], expected: str | None) -> None:
    assert negotiate(accept, offers) == expected


ALIAS_CASES = [
    ("application/json", RESULTS, RESULT_ALIASES, JSON),
    ("application/xml", RESULTS, RESULT_ALIASES, XML),
    ("application/json", GRAPHS, GRAPH_ALIASES, JSONLD),
    ("application/x-turtle", GRAPHS, GRAPH_ALIASES, TURTLE),
    ("application/xml", GRAPHS, GRAPH_ALIASES, RDFXML),
    ("text/n3, application/rdf+xml;q=0.5", GRAPHS, GRAPH_ALIASES, TURTLE),
    (
        "application/sparql-results+json,application/json,text/javascript,application/javascript",
        RESULTS,
        RESULT_ALIASES,
        JSON,
    ),
]


@pytest.mark.parametrize(("accept", "offers", "aliases", "expected"), ALIAS_CASES)
def test_negotiate_with_aliases(
    accept: str, offers: list[str], aliases: dict[str, str], expected: str
) -> None:
    assert negotiate(accept, offers, aliases) == expected


MEDIA_TYPE_CASES = [
    # (accept, query form, format=, expected media type)
    (BROWSER, "select", None, JSON),
    (BROWSER, "construct", None, TURTLE),
    (BROWSER, "ask", None, JSON),
    ("text/html", "describe", None, TURTLE),
    ("*/*", "construct", None, TURTLE),
    (None, "select", None, JSON),
    ("text/csv", "select", None, CSV),
    ("application/ld+json", "construct", None, JSONLD),
    (None, None, None, JSON),  # form unknown (a broken query): results formats
    ("text/csv", "select", "json", JSON),  # format= wins over Accept
    (None, "construct", "json", JSONLD),
    (None, "select", "xml", XML),
    (None, "describe", "xml", RDFXML),
    (None, "select", "text/tab-separated-values", TSV),
    (None, "construct", "nt", NTRIPLES),
]


@pytest.mark.parametrize(("accept", "form", "format_name", "expected"), MEDIA_TYPE_CASES)
def test_choose_media_type(
    accept: str | None, form: str | None, format_name: str | None, expected: str
) -> None:
    assert choose_media_type(accept, form, format_name) == expected  # type: ignore[arg-type]


def test_choose_media_type_refuses_what_it_cannot_give() -> None:
    from api.errors import ApiError

    with pytest.raises(ApiError) as refused:
        choose_media_type("text/turtle", "select", None)
    assert refused.value.status == 406
    with pytest.raises(ApiError) as unfit:
        choose_media_type(None, "construct", "csv")
    assert unfit.value.status == 422
    with pytest.raises(ApiError) as unknown:
        choose_media_type(None, "select", "yaml")
    assert unknown.value.status == 422


def test_parse_accept_reads_quality_and_skips_junk() -> None:
    ranges = parse_accept("text/html;level=1;q=0.7, nonsense, */plain, application/json ; q=2")
    assert [(r.type, r.subtype, r.q) for r in ranges] == [
        ("text", "html", 0.7),
        ("application", "json", 1.0),
    ]
