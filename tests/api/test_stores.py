"""Both stores behind the QueryStore interface: rows, bound values, errors; start-up reuse."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef

from api.errors import ApiError
from api.settings import Settings
from api.stores import QueryStore, open_store
from api.stores.cache import CachedStore
from api.stores.embedded import EmbeddedStore, graph_version
from api.stores.remote import RemoteStore

ID = "https://w3id.org/eu-migration-kg/id/"
EMK = "https://w3id.org/eu-migration-kg/ontology#"
FRONTEX = ID + "agency/frontex"
FUNDING = ID + "funding/eu-600-million"
PROJECT_ROOT = Path(__file__).resolve().parents[2]

FUNDING_ROW = f"""
PREFIX emk: <{EMK}>
PREFIX schema: <http://schema.org/>
SELECT ?funding ?amount ?start ?place WHERE {{
  ?funding emk:amountEUR ?amount ; schema:startDate ?start ; emk:location ?place
}}"""
INVOLVING = f"""
PREFIX emk: <{EMK}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?action ?label ?who WHERE {{ ?action emk:involves ?who ; rdfs:label ?label }}
ORDER BY ?action"""
LABELLED = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?thing ?label WHERE { ?thing rdfs:label ?label }"""


def make_settings(graph_dir: Path, **changes: object) -> Settings:
    values: dict[str, object] = {
        "graph_dir": graph_dir,
        "ontology_file": graph_dir / "emk.ttl",
        "auto_build": False,
        "row_cap": 50,
        "query_timeout": 2.0,
        "pool_size": 1,
    }
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


async def check_common(store: QueryStore) -> None:
    """What every store must answer alike on the fixture graph."""
    rows = await store.select(FUNDING_ROW)
    assert rows.columns == ("funding", "amount", "start", "place")
    assert rows == [
        {
            "funding": FUNDING,
            "amount": Decimal("600000000"),
            "start": dt.date(2023, 3, 20),
            "place": ID + "country/serbia",
        }
    ]
    bound = await store.select(INVOLVING, {"who": URIRef(FRONTEX)})
    assert len(bound) == 30
    assert {row["who"] for row in bound} == {FRONTEX}
    by_label = await store.select(LABELLED, {"label": Literal("Frontex", lang="en")})
    assert [row["thing"] for row in by_label] == [FRONTEX]
    capped = await store.select("SELECT * WHERE { ?s ?p ?o }")
    assert len(capped) == 50
    assert capped.truncated
    csv = await store.query("SELECT * WHERE { ?s ?p ?o }", result_format="text/csv")
    assert (csv.form, csv.rows, csv.truncated) == ("select", 50, True)
    graph = await store.query(
        f"CONSTRUCT WHERE {{ <{FRONTEX}> ?p ?o }}", result_format="application/n-triples"
    )
    assert (graph.form, graph.rows, graph.truncated) == ("construct", 3, False)
    ask = await store.query("ASK { ?s ?p ?o }", result_format="application/sparql-results+xml")
    assert (ask.form, ask.rows) == ("ask", None)
    assert b"<boolean>true</boolean>" in ask.body
    elsewhere = await store.query(
        "SELECT ?o WHERE { ?s ?p ?o }",
        result_format="application/sparql-results+json",
        default_graph_uris=["http://example.org/nothing-here"],
    )
    assert elsewhere.rows == 0
    for bad, status in [
        ("SELECT * WHERE {", 400),
        ("CLEAR ALL", 403),
        ("SELECT * { SERVICE <http://127.0.0.1:9/q> { ?s ?p ?o } }", 403),
    ]:
        with pytest.raises(ApiError) as refused:
            await store.select(bad)
        assert refused.value.status == status
    with pytest.raises(ApiError) as unfit:
        await store.query(LABELLED, result_format="text/turtle")
    assert unfit.value.status == 406
    with pytest.raises(ApiError) as bad_term:
        await store.select(INVOLVING, {"who": URIRef("not an iri")})
    assert bad_term.value.status == 422


# ---------------------------------------------------------------- embedded


@pytest.mark.parametrize("memory_store_bytes", [16 << 20, 0], ids=["in-memory", "on-disk"])
def test_embedded_store(graph_dir: Path, fixture_triples: int, memory_store_bytes: int) -> None:
    """A small graph is held in memory by the query processes, a large one read from disk: the
    same answers either way."""
    settings = make_settings(graph_dir, memory_store_bytes=memory_store_bytes, pool_size=2)

    async def scenario() -> None:
        store = await open_store(settings, lambda directory: directory)
        try:
            assert isinstance(store, CachedStore)
            assert isinstance(store.inner, EmbeddedStore)
            assert store.triple_count == fixture_triples
            manifest = json.loads((graph_dir / "manifest.json").read_text())
            assert store.version == manifest["version"]
            await check_common(store)
            # the ontology is loaded beside the data
            classes = await store.select(LABELLED, {"thing": URIRef(EMK + "Agency")})
            assert [row["label"] for row in classes] == ["Agency"]
        finally:
            await store.close()

    asyncio.run(scenario())


def test_every_query_process_holds_the_same_blank_nodes(tmp_path: Path, graph_dir: Path) -> None:
    """In memory, each process loads the graph itself: the ontology's blank nodes must carry the
    same labels in all of them, or the same query would answer differently by process."""
    ontology = tmp_path / "with-blank-nodes.ttl"
    ontology.write_text(
        f"""@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix emk: <{EMK}> .
emk:Agency owl:equivalentClass [ owl:unionOf ( emk:Body emk:Office ) ] .
emk:Office owl:disjointWith [ owl:complementOf emk:Body ] .
""",
        encoding="utf-8",
    )
    settings = make_settings(graph_dir, ontology_file=ontology, pool_size=3)
    blank = "SELECT ?b ?p ?o WHERE { ?b ?p ?o FILTER(isBlank(?b)) } ORDER BY STR(?b) ?p ?o"

    async def scenario() -> list[bytes]:
        store = EmbeddedStore(settings, lambda directory: directory)
        await store.start()
        try:
            assert len(store.pool.pids) == 3
            answers = await asyncio.gather(
                *(store.query(blank, result_format="text/csv") for _ in range(12))
            )
        finally:
            await store.close()
        return [answer.body for answer in answers]

    bodies = asyncio.run(scenario())
    assert bodies[0].count(b"\n") == 1 + 6  # header, then the blank nodes' six triples
    assert len(set(bodies)) == 1


def test_store_dir_is_reused_across_starts(tmp_path: Path, graph_dir: Path) -> None:
    settings = make_settings(graph_dir, store_dir=tmp_path / "stores", memory_store_bytes=0)

    async def start_and_close() -> None:
        store = EmbeddedStore(settings, lambda directory: directory)
        await store.start()
        try:
            assert len(await store.select(LABELLED)) == 50
        finally:
            await store.close()

    asyncio.run(start_and_close())
    (built,) = (tmp_path / "stores").iterdir()
    assert built.name.startswith("store-" + graph_version(graph_dir))
    marker = built / "complete.json"
    stamp = marker.stat().st_mtime_ns
    asyncio.run(start_and_close())
    assert marker.stat().st_mtime_ns == stamp  # reused, not rebuilt
    assert [path.name for path in (tmp_path / "stores").iterdir()] == [built.name]


def test_failed_start_leaves_nothing_behind(tmp_path: Path, graph_dir: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text("this is not Turtle <", encoding="utf-8")
    store = EmbeddedStore(make_settings(graph_dir, ontology_file=broken), lambda d: d)
    with pytest.raises(SyntaxError):
        asyncio.run(store.start())
    assert store._temporary is None
    assert store._pool is None


def test_missing_graph_fails_start_clearly(tmp_path: Path) -> None:
    store = EmbeddedStore(make_settings(tmp_path), lambda directory: directory)
    with pytest.raises(RuntimeError, match=r"emkg\.nt is missing"):
        asyncio.run(store.start())


# ---------------------------------------------------------------- remote


@pytest.mark.external
def test_remote_store(graph_dir: Path, oxigraph: Any) -> None:
    async def scenario() -> None:
        store = await open_store(
            make_settings(graph_dir, endpoint=oxigraph.query), lambda directory: directory
        )
        assert isinstance(store, CachedStore)
        assert isinstance(store.inner, RemoteStore)
        # the endpoint's named graph holds the data alone, without the ontology
        assert store.triple_count == (graph_dir / "emkg.nt").read_text().count("\n")
        await check_common(store)

    asyncio.run(scenario())


@pytest.mark.external
def test_remote_store_failures(graph_dir: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead_port = closed.getsockname()[1]
    dead = RemoteStore(make_settings(graph_dir, endpoint=f"http://127.0.0.1:{dead_port}/query"))
    with pytest.raises(ApiError) as unreachable:
        asyncio.run(dead.select("SELECT * WHERE { ?s ?p ?o }"))
    assert unreachable.value.status == 502
    with socket.socket() as silent:  # accepts the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        hanging = RemoteStore(
            make_settings(graph_dir, endpoint=f"http://127.0.0.1:{port}/query", query_timeout=1.0)
        )
        began = time.perf_counter()
        with pytest.raises(ApiError) as slow:
            asyncio.run(hanging.select("SELECT * WHERE { ?s ?p ?o }"))
        assert slow.value.status == 504
        assert time.perf_counter() - began < 5


# ---------------------------------------------------------------- bound values, both ways


def test_values_binding_answers_like_substitution_for_every_canned_query() -> None:
    """The remote store binds with VALUES, the embedded one with pyoxigraph's substitutions:
    on the built graph, every canned query must answer the same both ways."""
    from api.catalogue import default_catalogue
    from api.sparql_guard import bind_values

    data = PROJECT_ROOT / "output" / "emkg.nt"
    if not data.is_file():
        pytest.skip("the graph is not built (run `emkg build`)")
    store = ox.Store()
    store.bulk_load(path=str(data), format=ox.RdfFormat.N_TRIPLES)
    catalogue = default_catalogue()
    assert catalogue, "no canned queries found"
    compared = 0
    for name, query in sorted(catalogue.items()):
        bound = query.bind(query.example)
        if not bound:
            continue
        native = store.query(
            query.sparql, substitutions={ox.Variable(k): term for k, term in bound.items()}
        )
        rewritten = store.query(bind_values(query.sparql, {k: str(t) for k, t in bound.items()}))
        assert isinstance(native, ox.QuerySolutions)
        assert isinstance(rewritten, ox.QuerySolutions)
        assert _rows(native) == _rows(rewritten), name
        compared += 1
    assert compared > 0


def _rows(solutions: ox.QuerySolutions) -> list[tuple[str, ...]]:
    names = [variable.value for variable in solutions.variables]
    rows = []
    for solution in solutions:
        values = []
        for name in names:
            term = solution[name]
            # GROUP_CONCAT's order is not fixed: compare its parts as a set
            text = "" if term is None else str(term)
            values.append(" | ".join(sorted(text.split(", "))))
        rows.append(tuple(values))
    return sorted(rows)
