"""Every canned query (`queries/*.rq`) against the graph built from the project's letter.

Each query runs on its example values and must answer; the answers are checked against the
graph itself (rdflib) where a number or a set can be computed independently. The catalogue's
own checks are exercised with broken files, and parameter binding with hostile values.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from api.catalogue import (
    PARAMETER_TYPES,
    CannedQuery,
    CatalogueError,
    ParameterError,
    load_catalogue,
    load_query,
)
from api.sparql_guard import bind_values
from api.terminal import LocalStore
from graph.build import ONTOLOGY, build_graph
from graph.namespaces import BASE, EMK, OA, SCHEMA

PROJECT = Path(__file__).resolve().parents[1]
QUERY_FILES = sorted((PROJECT / "queries").glob("*.rq"))
LETTER = PROJECT / "sources" / "letter-2023-03-20.txt"
ID = BASE + "id/"

SERBIA_BODY = "In the Western Balkans, Frontex has started deploying its border guards in Serbia"
SERBIA_ANNEX = (
    "During the visit of Commissioner Johansson to Serbia on 16 March together with the "
    "Executive Director of Frontex"
)


@pytest.fixture(scope="module")
def built() -> tuple[str, Graph]:
    letter, graph, _ = build_graph(LETTER)
    return letter.text, graph


@pytest.fixture(scope="module")
def graph(built: tuple[str, Graph]) -> Graph:
    return built[1]


@pytest.fixture(scope="module")
def store(graph: Graph) -> LocalStore:
    return LocalStore.from_graph(graph, "test", ONTOLOGY)


@pytest.fixture(scope="module")
def catalogue() -> dict[str, CannedQuery]:
    return load_catalogue(PROJECT / "queries")


def run(store: LocalStore, query: CannedQuery, **params: str) -> list[dict[str, Any]]:
    return list(store.rows(query.sparql, query.bind(params)))


def amount_of(graph: Graph, node: Node) -> Decimal:
    return Decimal(str(graph.value(node, EMK.amountEUR)))


def top_level_funding(graph: Graph) -> list[URIRef]:
    return [
        node
        for node in graph.subjects(RDF.type, EMK.FundingInstrument)
        if isinstance(node, URIRef) and graph.value(node, EMK.componentOf) is None
    ]


# ------------------------------------------------------------------ the catalogue


def test_the_glob_finds_the_queries() -> None:
    assert len(QUERY_FILES) >= 12, "queries/*.rq found fewer than twelve canned queries"


def test_catalogue_has_summaries_and_typed_parameters(catalogue: dict[str, CannedQuery]) -> None:
    assert len(catalogue) >= 12
    assert set(catalogue) == {path.stem for path in QUERY_FILES}
    for query in catalogue.values():
        assert query.summary and query.description and query.tags
        for parameter in query.parameters:
            assert parameter.type in PARAMETER_TYPES
            assert parameter.description and parameter.example
    required = {
        "involving",
        "commitments",
        "commitment-actions",
        "actor-profile",
        "country-profile",
        "agencies-by-country",
        "funding-by-country",
        "funding-by-actor",
        "funding-total",
        "timeline",
        "due-after",
        "source-passages",
        "search",
    }
    assert required <= set(catalogue)
    commitment = catalogue["commitment-actions"].parameter("commitment")
    assert commitment is not None and commitment.type == "commitment"
    start = catalogue["timeline"].parameter("from")
    assert start is not None and start.type == "date"


@pytest.mark.parametrize("path", QUERY_FILES, ids=[p.stem for p in QUERY_FILES])
def test_every_query_answers_its_example(path: Path, store: LocalStore) -> None:
    query = load_query(path)
    rows = store.rows(query.sparql, query.bind(query.example))
    assert len(rows) >= 1, f"{query.name} gave no rows for {query.example}"
    assert not rows.truncated
    labelled = [c for c in rows.columns if "label" in c.lower() or c in ("title", "exact")]
    assert labelled or query.name == "funding-total", f"{query.name} returns no labels"


@pytest.mark.parametrize("path", QUERY_FILES, ids=[p.stem for p in QUERY_FILES])
def test_values_and_substitutions_agree(path: Path, store: LocalStore) -> None:
    """Both ways a store binds (pyoxigraph substitutions; a VALUES block for an external
    endpoint) give the same rows."""
    query = load_query(path)
    bound = query.bind(query.example)
    substituted = [tuple(row.values()) for row in store.rows(query.sparql, bound)]
    with_values = store.rows(
        bind_values(query.sparql, {name: str(term) for name, term in bound.items()})
        if bound
        else query.sparql
    )
    assert sorted(map(repr, substituted)) == sorted(
        map(repr, [tuple(row.values()) for row in with_values])
    )


# ------------------------------------------------------------------ answers checked against the graph


def test_commitments_has_fifteen_rows_with_consistent_counts(
    store: LocalStore, catalogue: dict[str, CannedQuery], graph: Graph
) -> None:
    rows = run(store, catalogue["commitments"])
    assert [row["number"] for row in rows] == [str(n) for n in range(1, 16)]
    for row in rows:
        commitment = URIRef(f"{ID}commitment/{row['number']}")
        actions = set(graph.subjects(EMK.implements, commitment))
        assert row["actions"] == len(actions)
        assert row["completed"] + row["ongoing"] + row["planned"] == row["actions"]
        planned = {a for a in actions if graph.value(a, EMK.status) == EMK.Planned}
        assert row["planned"] == len(planned)


def test_funding_total_does_not_double_count_components(
    store: LocalStore, catalogue: dict[str, CannedQuery], graph: Graph
) -> None:
    [row] = run(store, catalogue["funding-total"])
    expected = sum((amount_of(graph, n) for n in top_level_funding(graph)), Decimal(0))
    assert Decimal(str(row["totalEUR"])) == expected
    assert row["instruments"] == len(top_level_funding(graph))
    everything = sum(
        (amount_of(graph, n) for n in graph.subjects(RDF.type, EMK.FundingInstrument)),
        Decimal(0),
    )
    assert row["components"] >= 1
    assert expected < everything


def test_funding_by_country_matches_the_graph(
    store: LocalStore, catalogue: dict[str, CannedQuery], graph: Graph
) -> None:
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for node in top_level_funding(graph):
        places = set(graph.objects(node, EMK.location)) | set(graph.objects(node, EMK.recipient))
        for place in places:
            expected[str(place)] += amount_of(graph, node)
    rows = run(store, catalogue["funding-by-country"])
    assert {str(r["place"]): Decimal(str(r["totalEUR"])) for r in rows} == dict(expected)
    totals = [Decimal(str(r["totalEUR"])) for r in rows]
    assert totals == sorted(totals, reverse=True)
    big = run(store, catalogue["funding-by-country"], minimum="200000000")
    assert all(Decimal(str(r["totalEUR"])) >= 200_000_000 for r in big)
    assert len(big) < len(rows) or all(
        r["instruments"] <= s["instruments"] for r, s in zip(big, rows, strict=False)
    )


def test_funding_by_actor_matches_the_graph(
    store: LocalStore, catalogue: dict[str, CannedQuery], graph: Graph
) -> None:
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for node in top_level_funding(graph):
        for role, prop in (("donor", EMK.donor), ("recipient", EMK.recipient)):
            for actor in graph.objects(node, prop):
                expected[(str(actor), role)] += amount_of(graph, node)
    rows = run(store, catalogue["funding-by-actor"])
    assert {(str(r["actor"]), str(r["role"])): Decimal(str(r["totalEUR"])) for r in rows} == dict(
        expected
    )
    recipients = run(store, catalogue["funding-by-actor"], role="Recipient")
    assert recipients and {r["role"] for r in recipients} == {"recipient"}


def test_involving_frontex_in_serbia_quotes_both_passages(
    store: LocalStore, catalogue: dict[str, CannedQuery]
) -> None:
    rows = run(
        store,
        catalogue["involving"],
        entity=f"{ID}agency/frontex",
        other=f"{ID}country/serbia",
    )
    passages = " ".join(str(r["passage"]) for r in rows)
    assert SERBIA_BODY in passages
    assert SERBIA_ANNEX in passages
    annex = next(r for r in rows if SERBIA_ANNEX in str(r["passage"]) and r["kind"] == "action")
    assert annex["via"] in ("", "Hans Leijtens")  # directly, or through its Executive Director
    alone = run(store, catalogue["involving"], entity=f"{ID}agency/frontex")
    assert {r["resource"] for r in rows} < {r["resource"] for r in alone}


SMALL_GRAPH = """
@prefix emk: <https://w3id.org/eu-migration-kg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <https://example.org/id/> .
ex:agency a emk:Agency ; rdfs:label "Agency"@en .
ex:director a emk:Person ; rdfs:label "Director"@en ; emk:affiliation ex:agency .
ex:country a emk:PartnerCountry ; rdfs:label "Country"@en ; emk:memberOf ex:region .
ex:region a emk:Region ; rdfs:label "Region"@en .
ex:visit a emk:Action ; rdfs:label "Visit"@en ; emk:involves ex:director ; emk:location ex:country .
ex:programme a emk:Action ; rdfs:label "Programme"@en ; emk:involves ex:agency ;
    emk:location ex:region .
"""


def test_involving_marks_the_go_between(catalogue: dict[str, CannedQuery]) -> None:
    """A region stands between a country and what is located in it; a person between an
    organisation and what involves that person."""
    small = Graph().parse(data=SMALL_GRAPH, format="turtle")
    store = LocalStore.from_graph(small, "small")
    query = catalogue["involving"]
    by_agency = {
        r["label"]: r["via"] for r in run(store, query, entity="https://example.org/id/agency")
    }
    assert by_agency == {"Visit": "Director", "Programme": ""}
    by_country = {
        r["label"]: r["via"] for r in run(store, query, entity="https://example.org/id/country")
    }
    assert by_country == {"Visit": "", "Programme": "Region"}
    both = run(
        store,
        query,
        entity="https://example.org/id/agency",
        other="https://example.org/id/country",
    )
    assert {r["label"] for r in both} == {"Visit", "Programme"}


def test_country_profile_reaches_into_regions(
    store: LocalStore, catalogue: dict[str, CannedQuery], graph: Graph
) -> None:
    rows = run(store, catalogue["country-profile"], country=f"{ID}country/serbia")
    via = [r for r in rows if r["via"] == "Western Balkans"]
    assert via, "nothing located in the Western Balkans reached Serbia"
    for row in via:
        located = set(graph.objects(URIRef(str(row["resource"])), EMK.location))
        assert URIRef(f"{ID}region/western-balkans") in located
    assert any(r["via"] == "" for r in rows)
    assert {r["countryLabel"] for r in rows} == {"Serbia"}


def test_commitment_actions_belong_to_the_commitment(
    store: LocalStore, catalogue: dict[str, CannedQuery], graph: Graph
) -> None:
    query = catalogue["commitment-actions"]
    rows = run(store, query, commitment="2")
    expected = {str(a) for a in graph.subjects(EMK.implements, URIRef(f"{ID}commitment/2"))}
    assert {str(r["action"]) for r in rows} == expected
    ongoing = run(store, query, commitment="02", status="ongoing")
    assert ongoing and {r["status"] for r in ongoing} == {"Ongoing"}
    assert len(ongoing) < len(rows)


def test_actor_profile_and_agencies_by_country(
    store: LocalStore, catalogue: dict[str, CannedQuery]
) -> None:
    profile = run(store, catalogue["actor-profile"], actor=f"{ID}agency/frontex")
    assert {r["actorLabel"] for r in profile} == {"Frontex"}
    assert "2" in {r["number"] for r in profile}
    agencies = run(store, catalogue["agencies-by-country"], country=f"{ID}country/serbia")
    assert "Frontex" in {r["agencyLabel"] for r in agencies}
    assert {r["countryLabel"] for r in agencies} == {"Serbia"}
    everywhere = run(store, catalogue["agencies-by-country"])
    assert len({r["country"] for r in everywhere}) > 1


def test_timeline_and_due_after_respect_their_dates(
    store: LocalStore, catalogue: dict[str, CannedQuery]
) -> None:
    start, end = dt.date(2023, 3, 14), dt.date(2023, 3, 17)
    rows = run(store, catalogue["timeline"], **{"from": start.isoformat(), "to": end.isoformat()})
    assert rows
    for row in rows:
        assert row["startDate"] <= end and row["endDate"] >= start
    assert any("Johansson to Serbia" in r["label"] for r in rows)
    assert run(store, catalogue["timeline"], **{"from": "2023-04-02", "to": "2023-04-01"}) == []
    due = run(store, catalogue["due-after"], date="2023-06-30")
    assert due and all(r["endDate"] > dt.date(2023, 6, 30) for r in due)
    assert {r["status"] for r in due} == {"Planned"}
    ends = [r["endDate"] for r in due]
    assert ends == sorted(ends)


def test_source_passages_are_the_letters_words(
    store: LocalStore, catalogue: dict[str, CannedQuery], built: tuple[str, Graph]
) -> None:
    text, graph = built
    query = catalogue["source-passages"]
    for resource in (f"{ID}agency/frontex", f"{ID}commitment/2", query.example["resource"]):
        rows = run(store, query, resource=resource)
        assert rows
        for row in rows:
            assert text[int(row["start"]) : int(row["end"])] == row["exact"]
    passage = next(iter(graph.subjects(OA.exact, None)))
    assert len(run(store, query, resource=str(passage))) == 1


@pytest.mark.parametrize("q", ["turkiye", "TÜRKIYE", "Turkey", "türk"])
def test_search_folds_case_and_diacritics(
    q: str, store: LocalStore, catalogue: dict[str, CannedQuery]
) -> None:
    rows = run(store, catalogue["search"], q=q)
    assert rows[0]["resource"] == f"{ID}country/turkiye"


def test_entities_and_their_names(store: LocalStore, catalogue: dict[str, CannedQuery]) -> None:
    agencies = run(store, catalogue["entities"], type="agency")
    assert agencies and {r["entityType"] for r in agencies} == {"Agency"}
    everything = run(store, catalogue["entities"])
    assert len(everything) > len(agencies)
    names = run(store, catalogue["entity-names"])
    turkiye = {(r["name"], r["nameKind"]) for r in names if r["entity"] == f"{ID}country/turkiye"}
    assert {("Türkiye", "label"), ("Turkey", "alias"), ("Turkish", "adjective")} <= turkiye


def test_dates_are_typed(
    store: LocalStore, catalogue: dict[str, CannedQuery], graph: Graph
) -> None:
    rows = run(store, catalogue["timeline"], **catalogue["timeline"].example)
    assert all(isinstance(r["startDate"], dt.date) for r in rows)
    dated = {s for s in graph.subjects(SCHEMA.startDate, None)}
    assert {URIRef(str(r["resource"])) for r in rows} <= dated


# ------------------------------------------------------------------ binding values

HOSTILE = [
    '"',
    "'",
    '" } ; DROP ALL ; SELECT * { "',
    "> <http://evil/> .",
    "\\u0022",
    "}",
    "{",
    "?_q",
    "#",
    "x" * 201,
    "a\x00b",
    "line\nbreak",
    "\ud800",
]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize(
    ("query_name", "parameter"),
    [
        ("search", "q"),
        ("involving", "entity"),
        ("commitment-actions", "commitment"),
        ("due-after", "date"),
        ("due-after", "status"),
        ("funding-by-country", "minimum"),
        ("entities", "type"),
    ],
)
def test_hostile_values_are_refused_or_harmless(
    value: str,
    query_name: str,
    parameter: str,
    store: LocalStore,
    catalogue: dict[str, CannedQuery],
) -> None:
    query = catalogue[query_name]
    params = {**query.example, parameter: value}
    refused: str | None = None
    try:
        bound = query.bind(params)
    except ParameterError as error:
        refused = error.parameter
    if refused is not None:
        assert refused == parameter
        return
    declared = query.parameter(parameter)
    assert declared is not None and declared.type == "string"
    assert bound[f"_{parameter}"].value == value
    store.rows(query.sparql, bound)  # runs, whatever it finds


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=260))
def test_any_text_binds_to_a_term_or_is_refused(
    text: str, catalogue: dict[str, CannedQuery]
) -> None:
    for query in catalogue.values():
        for parameter in query.parameters:
            refused: str | None = None
            try:
                term = parameter.term(text)
            except ParameterError as error:
                refused = error.parameter
            if refused is not None:
                assert refused == parameter.name
                continue
            if parameter.type == "string":
                assert term.value == text
            assert "\n" not in str(term).strip('"') or parameter.type == "string"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=st.text(max_size=200).filter(lambda s: s != ""))
def test_search_never_fails_on_any_text(
    q: str, store: LocalStore, catalogue: dict[str, CannedQuery]
) -> None:
    query = catalogue["search"]
    try:
        bound = query.bind({"q": q})
    except ParameterError:
        return
    for row in store.rows(query.sparql, bound):
        assert row["resource"]


def test_bind_checks_types() -> None:
    query = load_query(PROJECT / "queries" / "due-after.rq")
    assert query.bind({"date": "2023-03-31"})["_status"].value.endswith("#Planned")  # the default
    for params, reason in [
        ({}, "missing"),
        ({"date": "31/03/2023"}, "ISO"),
        ({"date": "2023-02-30"}, "valid date"),
        ({"date": "2023-03-31", "status": "Done"}, "status"),
        ({"date": "2023-03-31", "nope": "1"}, "unknown"),
    ]:
        with pytest.raises(ParameterError, match=reason):
            query.bind(params)
    commitments = load_query(PROJECT / "queries" / "commitment-actions.rq")
    for number in ("0", "16", "1.5", "x", "-1"):
        with pytest.raises(ParameterError, match="1 to 15"):
            commitments.bind({"commitment": number})
    involving = load_query(PROJECT / "queries" / "involving.rq")
    for iri in ("Frontex", "ftp://x/y", "http://x/a b", "http://x/<y>", 'http://x/"', "urn:x"):
        with pytest.raises(ParameterError):
            involving.bind({"entity": iri})
    assert involving.bind({"entity": "http://example.org/x", "other": ""}) == {
        "_entity": ox.NamedNode("http://example.org/x")
    }


def test_paging_is_appended_after_order_by(catalogue: dict[str, CannedQuery]) -> None:
    text = catalogue["commitments"].paged(5, 10)
    assert text.rstrip().endswith("LIMIT 5 OFFSET 10")
    assert text.index("ORDER BY") < text.index("LIMIT 5")


# ------------------------------------------------------------------ broken files fail loudly

GOOD_BODY = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?s ?label ?_q WHERE { ?s rdfs:label ?label FILTER(CONTAINS(?label, ?_q)) } ORDER BY ?s
"""
GOOD_HEADER = """#+ summary: Labels
#+ description: Labels that contain a text.
#+ parameters:
#+   q: {type: string, required: true, example: a, description: the text}
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD_HEADER.replace("summary: Labels", "summary: [unclosed") + GOOD_BODY, "YAML"),
        (GOOD_HEADER.replace("type: string", "type: text") + GOOD_BODY, "type 'text'"),
        (GOOD_HEADER.replace("q:", "other:") + GOOD_BODY.replace("?_q", "?_other") + "", ""),
        (
            GOOD_HEADER + "#+   extra: {type: string, example: a, description: d}\n" + GOOD_BODY,
            "does not use",
        ),
        (GOOD_HEADER + GOOD_BODY.replace("?_q)", "?_q && ?_r)"), "?_r"),
        (GOOD_HEADER + GOOD_BODY.replace("CONTAINS(?label, ?_q)", "BOUND(?_q)"), "BOUND"),
        (GOOD_HEADER + GOOD_BODY.replace("ORDER BY ?s", "ORDER BY ?s LIMIT 3"), "LIMIT"),
        (GOOD_HEADER + GOOD_BODY.replace("ORDER BY ?s", ""), "ORDER BY"),
        (GOOD_HEADER + GOOD_BODY.replace("?label ?_q WHERE", "?label WHERE"), "projection"),
        (GOOD_HEADER + GOOD_BODY.replace("SELECT ?s", "SELEKT ?s"), "SELECT"),
        (GOOD_HEADER + GOOD_BODY.replace("rdfs:label ?label", "rdfs:label ?label ."), ""),
        (GOOD_HEADER + GOOD_BODY.replace("} ORDER", "ORDER"), "not valid SPARQL"),
        (GOOD_HEADER.replace("example: a", "example: a, default: b") + GOOD_BODY, "default"),
        (GOOD_HEADER.replace("summary: Labels\n", "") + GOOD_BODY, "summary"),
        (
            GOOD_HEADER.replace("description: the text", "description: ''") + GOOD_BODY,
            "description",
        ),
        (GOOD_HEADER + "#+ endpoint: http://x/\n" + GOOD_BODY, "unknown header key"),
        (GOOD_BODY + GOOD_HEADER, "header"),
        (GOOD_HEADER.replace("q:", "limit:") + GOOD_BODY.replace("?_q", "?_limit"), "reserved"),
        (
            GOOD_HEADER.replace(
                "type: string, required: true, example: a", "type: date, example: soon"
            )
            + GOOD_BODY,
            "example is refused",
        ),
    ],
)
def test_a_bad_file_fails_loudly_with_its_name(text: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "labels.rq"
    path.write_text(text, encoding="utf-8")
    if not message:  # a variant that is fine: the control case
        assert load_query(path).name == "labels"
        return
    with pytest.raises(CatalogueError, match=r"labels\.rq") as raised:
        load_query(path)
    assert message in str(raised.value)


def test_the_control_file_loads(tmp_path: Path) -> None:
    (tmp_path / "labels.rq").write_text(GOOD_HEADER + GOOD_BODY, encoding="utf-8")
    catalogue = load_catalogue(tmp_path)
    assert list(catalogue) == ["labels"]
    assert catalogue["labels"].parameters[0].required


def test_an_empty_folder_or_a_bad_name_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="no canned queries"):
        load_catalogue(tmp_path)
    bad = tmp_path / "Bad_Name.rq"
    bad.write_text(GOOD_HEADER + GOOD_BODY, encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"Bad_Name\.rq"):
        load_catalogue(tmp_path)
