"""The one interface through which the API reaches a graph, whichever store holds it.

Two implementations: `EmbeddedStore` (pyoxigraph, in worker processes with a time limit) and
`RemoteStore` (an external SPARQL 1.1 endpoint). Routers get the running store through the
`StoreDep` dependency of `api.app`. This module stays light on imports: query worker processes
load it too: no `dataclasses` or `pathlib` here (each adds about a megabyte to every query
process).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal, NamedTuple, Protocol

if TYPE_CHECKING:
    from pathlib import Path

    import pyoxigraph
    from rdflib.term import Literal as RdfLiteral
    from rdflib.term import URIRef

    from api.settings import Settings

    #: a value bound to a query variable: an IRI or a literal, as rdflib or pyoxigraph terms
    BoundTerm = URIRef | RdfLiteral | pyoxigraph.NamedNode | pyoxigraph.Literal

QueryForm = Literal["select", "construct", "describe", "ask"]

#: builds (or checks) the graph directory and returns it; `graph.build.ensure_built` by default
GraphLoader = Callable[["Path"], "Path"]


class QueryResult(NamedTuple):
    """A query's answer, serialized: ready to be sent as an HTTP body."""

    body: bytes
    media_type: str
    form: QueryForm
    rows: int | None  # solutions of a SELECT, triples of a CONSTRUCT/DESCRIBE, None for ASK
    truncated: bool  # the row (or triple) cap cut the answer


class Rows(list[dict[str, object]]):
    """SELECT solutions as Python values (str IRIs, int, Decimal, date, …; None if unbound)."""

    def __init__(
        self,
        rows: Sequence[dict[str, object]] = (),
        *,
        columns: Sequence[str] = (),
        truncated: bool = False,
    ) -> None:
        super().__init__(rows)
        self.columns = tuple(columns)
        self.truncated = truncated


class QueryStore(Protocol):
    """Runs read-only SPARQL against the graph. Every call passes `api.sparql_guard` first."""

    @property
    def version(self) -> str:
        """The graph version: a prefix of the SHA-256 of its N-Triples (manifest.json)."""
        ...

    @property
    def triple_count(self) -> int: ...

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
        """Run a query and serialize its answer as `result_format` (a media type).

        Relative IRIs in a query without BASE resolve against `base_iri` (the endpoint's URL).

        Raises `api.errors.ApiError`: 400 bad query, 403 refused, 406 format unfit for the
        query form, 413 too long, 422 bad graph IRI or term (or, embedded, a query that stopped
        its query process twice), 429 past the client's share (embedded, `api.client_shares`),
        503 over the time limit, 507 over the memory limit (embedded), 502/504 a failing
        external store.
        """
        ...

    async def select(
        self, sparql: str, substitutions: Mapping[str, BoundTerm] | None = None
    ) -> Rows:
        """Run a SELECT and return at most `row_cap` solutions as Python values.

        `substitutions` bind variables to terms (IRIs or literals; never pasted as text). The
        embedded store passes them to pyoxigraph (SEP-0007: the variable must be projected);
        the remote store writes them as a VALUES row first in the WHERE group.
        """
        ...

    async def close(self) -> None: ...


async def open_store(settings: Settings, graph_loader: GraphLoader) -> QueryStore:
    """The store the settings ask for, started: remote with `endpoint`, embedded otherwise."""
    from api.stores.cache import CachedStore

    if settings.endpoint:
        from api.stores.remote import RemoteStore

        remote = RemoteStore(settings)
        await remote.start()
        return CachedStore(remote, settings.cache_bytes)
    from api.stores.embedded import EmbeddedStore

    embedded = EmbeddedStore(settings, graph_loader)
    await embedded.start()
    return CachedStore(embedded, settings.cache_bytes)
