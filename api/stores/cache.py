"""Answers cached per graph version: the same query over the same graph gives the same bytes.

`CachedStore` wraps any `QueryStore`. Keys hold the graph version, so a reload (a new store with
a new version) never serves an old answer. Errors are not cached. The cache is bounded by the
size of what it holds and forgets the least recently used answers first; each server process
keeps its own, so nothing is shared between workers.

An answer is kept the second time its question is asked, not the first: a researcher's own
SPARQL is rarely sent twice, and keeping every such answer would fill the cache (and the
process's memory) with answers nobody asks for again, pushing out the ones that are. The first
sight is remembered as a hash in a bounded set. The canned queries' examples, run at start-up,
are kept at once (`prefetch`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from api.stores import QueryResult, QueryStore, Rows

if TYPE_CHECKING:
    from api.stores import BoundTerm

Key = tuple[object, ...]
ROW_BYTES = 256  # a rough size of one row of Python values, to bound the cache
SEEN_MAX = 16_384  # hashes of questions asked once; forgotten all together when full


def _term_key(term: object) -> str:
    """A key for a bound term; the store itself rejects terms that are not valid."""
    return f"{type(term).__name__}:{getattr(term, 'datatype', '')}:{getattr(term, 'language', '')}:{term}"


class CachedStore:
    """A `QueryStore` that remembers answers, by graph version, up to `max_bytes`."""

    def __init__(self, inner: QueryStore, max_bytes: int = 16 * 1024 * 1024) -> None:
        self.inner = inner
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Key, tuple[QueryResult | Rows, int]] = OrderedDict()
        self._bytes = 0
        self._seen: set[int] = set()
        self.hits = 0
        self.misses = 0

    @property
    def version(self) -> str:
        return self.inner.version

    @property
    def triple_count(self) -> int:
        return self.inner.triple_count

    def _key(
        self, kind: str, sparql: str, substitutions: Mapping[str, BoundTerm] | None, *rest: object
    ) -> Key:
        bound = tuple(sorted((k, _term_key(v)) for k, v in (substitutions or {}).items()))
        return (self.inner.version, kind, sparql, bound, *rest)

    def _get(self, key: Key) -> QueryResult | Rows | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[0]

    def _put(self, key: Key, value: QueryResult | Rows, size: int, *, admit: bool = False) -> None:
        if size > self.max_bytes // 4:
            return  # one huge answer would push everything else out
        if not admit:
            seen = hash(key)
            if seen not in self._seen:  # the first time: remember the question, not the answer
                if len(self._seen) >= SEEN_MAX:
                    self._seen.clear()
                self._seen.add(seen)
                return
            self._seen.discard(seen)
        self._entries[key] = (value, size)
        self._bytes += size
        while self._bytes > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self._bytes -= dropped

    async def query(
        self,
        sparql: str,
        *,
        result_format: str,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        substitutions: Mapping[str, BoundTerm] | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        key = self._key(
            "query",
            sparql,
            substitutions,
            result_format,
            tuple(default_graph_uris),
            tuple(named_graph_uris),
            base_iri,
        )
        cached = self._get(key)
        if isinstance(cached, QueryResult):
            return cached
        result = await self.inner.query(
            sparql,
            result_format=result_format,
            default_graph_uris=default_graph_uris,
            named_graph_uris=named_graph_uris,
            substitutions=substitutions,
            base_iri=base_iri,
        )
        self._put(key, result, len(result.body) + len(sparql))
        return result

    async def select(
        self, sparql: str, substitutions: Mapping[str, BoundTerm] | None = None
    ) -> Rows:
        return await self._select(sparql, substitutions, admit=False)

    async def prefetch(
        self, sparql: str, substitutions: Mapping[str, BoundTerm] | None = None
    ) -> Rows:
        """`select`, keeping the answer at once (the canned queries' examples at start-up)."""
        return await self._select(sparql, substitutions, admit=True)

    async def _select(
        self, sparql: str, substitutions: Mapping[str, BoundTerm] | None, *, admit: bool
    ) -> Rows:
        key = self._key("select", sparql, substitutions)
        cached = self._get(key)
        if not isinstance(cached, Rows):
            cached = await self.inner.select(sparql, substitutions)
            self._put(key, cached, ROW_BYTES * (len(cached) + 1) + len(sparql), admit=admit)
        # callers get their own rows to change as they like
        return Rows(
            [dict(row) for row in cached], columns=cached.columns, truncated=cached.truncated
        )

    async def close(self) -> None:
        self._entries.clear()
        self._bytes = 0
        await self.inner.close()
