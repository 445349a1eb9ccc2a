"""Answers cached per graph version: a query asked again is kept and then not sent to the store
again, a query asked once is not kept, a new graph version never gets an old answer, and errors
are not kept."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import pytest
from rdflib import URIRef

from api.errors import ApiError
from api.stores import QueryResult, Rows
from api.stores.cache import CachedStore


class CountingStore:
    def __init__(self) -> None:
        self.version = "v1"
        self.triple_count = 1
        self.calls = 0

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
        self.calls += 1
        if "bad" in sparql:
            raise ApiError(400, "bad query")
        return QueryResult(f"{self.version}:{sparql}".encode(), result_format, "select", 1, False)

    async def select(self, sparql: str, substitutions: Mapping[str, object] | None = None) -> Rows:
        self.calls += 1
        return Rows([{"v": self.version}], columns=["v"])

    async def close(self) -> None:
        return None


def test_repeated_queries_are_answered_from_the_cache() -> None:
    inner = CountingStore()
    store = CachedStore(inner)  # type: ignore[arg-type]

    async def scenario() -> None:
        json = "application/sparql-results+json"
        first = await store.query("ASK {}", result_format=json)
        second = await store.query("ASK {}", result_format=json)  # asked again: now kept
        third = await store.query("ASK {}", result_format=json)
        assert first.body == second.body == third.body
        assert inner.calls == 2
        for _ in range(2):
            await store.query("ASK {}", result_format="text/csv")  # another format: another answer
        assert inner.calls == 4
        bound = {"x": URIRef("https://example.org/a")}
        for _ in range(2):
            rows = await store.select("SELECT ?v {}", bound)
        rows.append({"v": "changed by a caller"})
        assert len(await store.select("SELECT ?v {}", bound)) == 1
        assert inner.calls == 6
        await store.select("SELECT ?v {}", {"x": URIRef("https://example.org/b")})
        assert inner.calls == 7
        inner.version = "v2"  # a new graph: nothing old is served
        newer = await store.query("ASK {}", result_format=json)
        assert newer.body.startswith(b"v2:")
        for _ in range(3):
            with pytest.raises(ApiError):
                await store.query("bad", result_format="text/csv")
        assert inner.calls == 11

    asyncio.run(scenario())


def test_a_query_asked_once_is_not_kept_and_prefetched_answers_are() -> None:
    inner = CountingStore()
    store = CachedStore(inner)  # type: ignore[arg-type]

    async def scenario() -> None:
        for n in range(50):
            await store.query(f"SELECT * {{}} LIMIT {n}", result_format="text/csv")
        assert store._entries == {}
        assert store._bytes == 0
        await store.prefetch("SELECT ?v {}")
        await store.select("SELECT ?v {}")
        assert inner.calls == 51

    asyncio.run(scenario())


def test_the_cache_stays_within_its_size() -> None:
    store = CachedStore(CountingStore(), max_bytes=4000)  # type: ignore[arg-type]

    async def scenario() -> None:
        for n in range(100):
            for _ in range(2):  # asked twice: kept
                await store.query(f"SELECT * {{}} LIMIT {n}", result_format="text/csv")

    asyncio.run(scenario())
    assert store._bytes <= 4000
    assert 0 < len(store._entries) < 100
