"""The guard: read-only, SERVICE allowlist, size limit, query form, and VALUES binding."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.errors import ApiError
from api.sparql_guard import (
    _read_prologue,
    bind_values,
    dataset_clause,
    first_token,
    inspect_query,
    query_form,
    tokens,
)

ALLOWED = "http://127.0.0.1:7878/query"


def inspect(query: str, allowlist: tuple[str, ...] = (ALLOWED,)) -> str | None:
    return inspect_query(query, max_bytes=65536, allowlist=allowlist).form


UPDATES = [
    "INSERT DATA { <http://a> <http://b> <http://c> }",
    "insert data { <http://a> <http://b> <http://c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
    "LOAD <http://example.org/data.ttl>",
    "CLEAR ALL",
    "DROP GRAPH <http://g>",
    "CREATE GRAPH <http://g>",
    "ADD DEFAULT TO <http://g>",
    "MOVE <http://a> TO <http://b>",
    "COPY <http://a> TO <http://b>",
    "WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "PREFIX ex: <http://ex/>\nBASE <http://base/>\n# a comment\nINSERT DATA { ex:a ex:b ex:c }",
    "  \n\t# SELECT in a comment\n  DROP ALL",
    r"\u0049NSERT DATA { <http://a> <http://b> <http://c> }",
]


@pytest.mark.parametrize("update", UPDATES)
def test_updates_are_refused(update: str) -> None:
    with pytest.raises(ApiError) as refused:
        inspect(update)
    assert refused.value.status == 403
    assert "read-only" in refused.value.error


QUERIES = [
    ("SELECT * WHERE { ?s ?p ?o }", "select"),
    ("select * { ?s ?p ?o }", "select"),
    ("PREFIX ex: <http://ex/> CONSTRUCT { ?s ex:p ?o } WHERE { ?s ?p ?o }", "construct"),
    ("DESCRIBE <http://ex/a>", "describe"),
    ("ASK { ?s ?p ?o }", "ask"),
    ("BASE <http://b/> PREFIX : <x#> SELECT ?insert WHERE { ?insert :delete 'DROP' }", "select"),
    ("# INSERT DATA {}\nSELECT * {}", "select"),
    ('SELECT * { ?s ?p "INSERT DATA" }', "select"),
    ("this is not SPARQL", None),
]


@pytest.mark.parametrize(("query", "form"), QUERIES)
def test_queries_pass_with_their_form(query: str, form: str | None) -> None:
    assert inspect(query) == form
    assert query_form(query) == form


def test_too_long_query_is_413() -> None:
    with pytest.raises(ApiError) as refused:
        inspect_query("SELECT * {}" + " " * 100, max_bytes=64)
    assert refused.value.status == 413
    # the limit counts UTF-8 bytes, not characters
    with pytest.raises(ApiError):
        inspect_query("SELECT * { ?s ?p 'ééééééééééééééééééééééééééééé' }", max_bytes=60)


REFUSED_SERVICES = [
    "SELECT * { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }",
    "SELECT * { service silent <http://evil.example/sparql> { ?s ?p ?o } }",
    "SELECT * { SERVICE ?endpoint { ?s ?p ?o } }",
    "SELECT * { SERVICE $endpoint { ?s ?p ?o } }",
    "PREFIX ev: <http://evil.example/> SELECT * { SERVICE ev:sparql { ?s ?p ?o } }",
    "BASE <http://evil.example/> SELECT * { SERVICE <sparql> { ?s ?p ?o } }",
    "SELECT * { SERVICE undeclared:sparql { ?s ?p ?o } }",
    "SELECT * { ?x ?y ?z { SELECT * { SERVICE <http://evil.example/q> { ?s ?p ?o } } } }",
    "SELECT * { ?s ?p ?o FILTER EXISTS { SERVICE <http://evil.example/q> { ?s ?p ?o } } }",
    "SELECT*{SERVICE<http://evil.example/q>{?s?p?o}}",
    "SELECT * { OPTIONAL { SERVICE <http://evil.example/q> { ?s ?p ?o } } }",
    f"SELECT * {{ SERVICE <{ALLOWED}> {{ ?s ?p ?o }} SERVICE <http://evil.example/q> {{ ?a ?b ?c }} }}",
    r"SELECT * { \u0053ERVICE <http://evil.example/q> { ?s ?p ?o } }",
    "SELECT * { SERVICE <http://127.0.0.1:7878/query/../update> { ?s ?p ?o } }",
    # rdflib cannot parse this (RDF-star), the tokenizer still finds the SERVICE
    "SELECT * { << ?a ?b ?c >> ?p ?o . SERVICE <http://evil.example/q> { ?s ?p ?o } }",
]


@pytest.mark.parametrize("query", REFUSED_SERVICES)
def test_services_outside_the_allowlist_are_refused(query: str) -> None:
    with pytest.raises(ApiError) as refused:
        inspect(query)
    assert refused.value.status == 403
    assert "SERVICE" in refused.value.error


ALLOWED_SERVICES = [
    f"SELECT * {{ SERVICE <{ALLOWED}> {{ ?s ?p ?o }} }}",
    f"SELECT * {{ SERVICE SILENT <{ALLOWED}> {{ ?s ?p ?o }} }}",
    "PREFIX ox: <http://127.0.0.1:7878/> SELECT * { SERVICE ox:query { ?s ?p ?o } }",
    "BASE <http://127.0.0.1:7878/> SELECT * { SERVICE <query> { ?s ?p ?o } }",
    # "service" only in a comment, a string, an IRI or a name: nothing to check
    "# SERVICE <http://evil.example/q>\nSELECT * { ?s ?p ?o }",
    "SELECT * { ?s ?p 'SERVICE <http://evil.example/q> { }' }",
    'SELECT * { ?s ?p """multi\nline SERVICE <http://evil.example/q>""" }',
    "SELECT * { ?s <http://example.org/service> ?o }",
    "PREFIX ex: <http://ex/> SELECT ?service { ?service a ex:Service }",
]


@pytest.mark.parametrize("query", ALLOWED_SERVICES)
def test_allowed_or_absent_services_pass(query: str) -> None:
    assert inspect(query) == "select"


def test_empty_allowlist_refuses_every_service() -> None:
    with pytest.raises(ApiError):
        inspect(f"SELECT * {{ SERVICE <{ALLOWED}> {{ ?s ?p ?o }} }}", allowlist=())


def test_tokens_keep_strings_iris_and_comments_whole() -> None:
    kinds = [
        (token.kind, token.text) for token in tokens('SELECT * { ?s <http://x/#y> "a # b" } # tail')
    ]
    assert ("iri", "<http://x/#y>") in kinds
    assert ("string", '"a # b"') in kinds
    assert all(text != "tail" for _, text in kinds)


BINDINGS = [
    (
        "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }",
        {"s": "<http://example.org/a>"},
        "http://example.org/a",
    ),
    (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?s (COUNT(*) AS ?n) WHERE { ?s rdfs:label ?label FILTER(?label = ?wanted) } GROUP BY ?s",
        {"wanted": '"A"@en'},
        "http://example.org/a",
    ),
    (
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
        {"s": "<http://example.org/a>"},
        "http://example.org/a",
    ),
    (
        "SELECT * WHERE { SELECT ?s WHERE { ?s ?p ?o } }",
        {"s": "<http://example.org/a>"},
        "http://example.org/a",
    ),
]


@pytest.mark.parametrize(("query", "bindings", "expected_subject"), BINDINGS)
def test_bind_values_restricts_like_a_substitution(
    query: str, bindings: dict[str, str], expected_subject: str
) -> None:
    store = ox.Store()
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    for name in ("a", "b"):
        subject = ox.NamedNode(f"http://example.org/{name}")
        store.add(ox.Quad(subject, label, ox.Literal(name.upper(), language="en")))
    bound = bind_values(query, bindings)
    answer = store.query(bound)
    if isinstance(answer, ox.QueryTriples):
        subjects = {triple.subject.value for triple in answer}
    else:
        assert isinstance(answer, ox.QuerySolutions)
        subjects = {solution["s"].value for solution in answer if solution["s"] is not None}
    assert subjects == {expected_subject}


def test_bind_values_refuses_what_it_cannot_bind() -> None:
    with pytest.raises(ValueError, match="variable name"):
        bind_values("SELECT * { ?s ?p ?o }", {"s) } DROP ALL #": "<http://a>"})
    with pytest.raises(ValueError, match="CONSTRUCT WHERE"):
        bind_values("CONSTRUCT WHERE { ?s ?p ?o }", {"s": "<http://a>"})
    with pytest.raises(ValueError, match="no WHERE group"):
        bind_values("DESCRIBE <http://a>", {"s": "<http://a>"})


# ---------------------------------------------------------------- the prologue in one expression

PROLOGUE_PIECES = [
    "PREFIX", "prefix", "PreFix", "BASE", "base", "preﬁx", "PREFIXES", "PREFIX.", "base:",
    "ex:", ":", "a.b:", "ex:local", "ex:a.b", "<http://ex/>", "<rel>", "<bad iri>", "<>",
    " ", "\n", "\t", "# comment\n", "#", "SELECT", "select", "ASK", "CONSTRUCT", "DESCRIBE",
    "INSERT", "DROP", "WITH", "ſelect", "?x", "$y", "'str'", '"s"', "{", "}", "*", ".", "-",
    "1", "\\u0053", "\u00a0", "PREFIX ex: <http://ex/> ", "BASE <http://b/>\n",
    "prefix : <#>", "PREFIX ex:<x>",
]  # fmt: skip


@given(st.lists(st.sampled_from(PROLOGUE_PIECES), max_size=14))
@settings(max_examples=600, deadline=None)
def test_first_token_reads_the_prologue_as_the_tokenizer_does(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert first_token(text) == _read_prologue(tokens(text)).first


@given(st.lists(st.sampled_from(PROLOGUE_PIECES), max_size=10), st.sampled_from(["", " ", "\n"]))
@settings(max_examples=300, deadline=None)
def test_first_token_with_separated_pieces(pieces: list[str], separator: str) -> None:
    text = separator.join(pieces)
    assert first_token(text) == _read_prologue(tokens(text)).first


def test_a_long_prologue_is_read_in_one_expression() -> None:
    prologue = "".join(f"PREFIX p{n}: <http://example.org/{n}#>\n" for n in range(2000))
    assert query_form(prologue + "SELECT * {}") == "select"
    assert inspect_query(prologue + "  # c\n ASK {}", max_bytes=1 << 20).form == "ask"
    with pytest.raises(ApiError):
        inspect_query(prologue + "DROP ALL", max_bytes=1 << 20)


DATASETS = [
    ("SELECT * WHERE { ?s ?p ?o }", None),
    ("SELECT * FROM <http://g/a> WHERE { ?s ?p ?o }", ("SELECT *  WHERE { ?s ?p ?o }", ("http://g/a",), ())),
    (
        "PREFIX g: <http://g/> SELECT * FROM g:a FROM NAMED g:b { GRAPH ?x { ?s ?p ?o } }",
        ("PREFIX g: <http://g/> SELECT *   { GRAPH ?x { ?s ?p ?o } }", ("http://g/a",), ("http://g/b",)),
    ),
    (
        "CONSTRUCT { ?s <http://p> ?o } FROM <http://g/a> WHERE { ?s ?q ?o }",
        ("CONSTRUCT { ?s <http://p> ?o }  WHERE { ?s ?q ?o }", ("http://g/a",), ()),
    ),
    # FROM inside the WHERE group is a graph pattern's business, not the dataset's
    ("SELECT * WHERE { ?s <http://ex/from> ?o } # FROM <http://g/a>", None),
    ("SELECT ?from WHERE { ?from ?p ?o }", None),
    ("SELECT * FROM", None),  # incomplete: the store's parser reports it
]  # fmt: skip


@pytest.mark.parametrize(("query", "expected"), DATASETS)
def test_dataset_clause_reads_from_up_to_the_where_group(
    query: str, expected: tuple[str, tuple[str, ...], tuple[str, ...]] | None
) -> None:
    clause = dataset_clause(query)
    if expected is None:
        assert clause is None
    else:
        assert clause is not None
        assert (clause.query, clause.default_graphs, clause.named_graphs) == expected
