"""Answers cached per graph version: a repeated query does not reach the store again, a new
graph version never gets an old answer, and errors are not kept."""

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
        first = await store.query("ASK {}", result_format="application/sparql-results+json")
        again = await store.query("ASK {}", result_format="application/sparql-results+json")
        assert first.body == again.body
        assert inner.calls == 1
        await store.query("ASK {}", result_format="text/csv")  # another format is another answer
        assert inner.calls == 2
        rows = await store.select("SELECT ?v {}", {"x": URIRef("https://example.org/a")})
        rows.append({"v": "changed by a caller"})
        assert len(await store.select("SELECT ?v {}", {"x": URIRef("https://example.org/a")})) == 1
        await store.select("SELECT ?v {}", {"x": URIRef("https://example.org/b")})
        assert inner.calls == 4
        inner.version = "v2"  # a new graph: nothing old is served
        newer = await store.query("ASK {}", result_format="application/sparql-results+json")
        assert newer.body.startswith(b"v2:")
        for _ in range(2):
            with pytest.raises(ApiError):
                await store.query("bad", result_format="text/csv")
        assert inner.calls == 7

    asyncio.run(scenario())


def test_the_cache_stays_within_its_size() -> None:
    store = CachedStore(CountingStore(), max_bytes=4000)  # type: ignore[arg-type]

    async def scenario() -> None:
        for n in range(100):
            await store.query(f"SELECT * {{}} LIMIT {n}", result_format="text/csv")

    asyncio.run(scenario())
    assert store._bytes <= 4000
    assert 0 < len(store._entries) < 100
