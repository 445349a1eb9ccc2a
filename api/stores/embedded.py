"""The default store: the built graph in pyoxigraph, queried by a pool of query processes.

The data and the ontology sit in the named graph `settings.graph_iri`, as an external store
holds them (so FROM and the protocol's graph parameters mean the same on every store:
`api.stores.preflight.request_dataset`).

A small graph (`emkg.nt` up to `settings.memory_store_bytes`, 16 MiB by default: some 100,000
triples) is loaded into memory by each query process, from the same N-Triples files (the
ontology written once as N-Triples, so blank nodes have the same labels in every process):
pyoxigraph's in-memory store answers its queries about three times faster than its on-disk one,
and a few thousand triples cost each process about a megabyte.

A larger graph is bulk-loaded once into an on-disk pyoxigraph store (a temporary folder, or
`settings.store_dir/<version>` to reuse across restarts); each process then opens it read-only,
which takes ~10 ms and ~60 MB per process at a million triples, where loading N-Triples into
memory per process took ~3 s and ~650 MB each.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from api.client_shares import ClientShares, current_client
from api.errors import ApiError
from api.query_process import Job, Reply
from api.stores import GraphLoader, QueryForm, QueryResult, Rows
from api.stores.dialect import empty_concatenations_unbound
from api.stores.preflight import (
    check_format,
    check_query,
    oxigraph_terms,
    request_dataset,
    syntax_error,
)
from api.workers import (
    MemoryLimitError,
    PoolBusyError,
    QueryProcessDiedError,
    QueryTimeoutError,
    WorkerLostError,
    WorkerPool,
)

if TYPE_CHECKING:
    from api.settings import Settings
    from api.stores import BoundTerm

log = logging.getLogger("emkg.store")

DATA_FILE = "emkg.nt"
MANIFEST_FILE = "manifest.json"
_COMPLETE = "complete.json"
ONTOLOGY_NT = "ontology.nt"


class EmbeddedStore:
    """pyoxigraph behind a `WorkerPool`; implements `api.stores.QueryStore`."""

    def __init__(self, settings: Settings, graph_loader: GraphLoader) -> None:
        self.settings = settings
        self._graph_loader = graph_loader
        self._version = ""
        self._triples = 0
        self._store_path: Path | None = None
        self._files: list[Path] = []  # in-memory graphs: what each query process loads
        self._temporary: Path | None = None
        self._pool: WorkerPool | None = None
        self.shares = ClientShares(
            settings.queries_per_client(), settings.client_seconds_per_minute
        )

    @property
    def version(self) -> str:
        return self._version

    @property
    def triple_count(self) -> int:
        return self._triples

    @property
    def pool(self) -> WorkerPool:
        if self._pool is None:
            raise RuntimeError("the store is not started")
        return self._pool

    async def start(self) -> None:
        began = time.perf_counter()
        graph_dir = await asyncio.to_thread(self._graph_loader, self.settings.graph_dir)
        try:
            await asyncio.to_thread(self._prepare, graph_dir)
            loaded = time.perf_counter()
            from graph.prefixes import PREFIXES

            source: dict[str, object] = (
                {"files": [str(path) for path in self._files], "graph": self.settings.graph_iri}
                if self._files
                else {"store": str(self._store_path)}
            )
            size = self.settings.workers_per_server()
            spares = self.settings.spare_processes
            self._pool = WorkerPool(
                source,
                size,
                PREFIXES,
                spares=size if spares is None else spares,
                spare_after=self.settings.spare_after,
                memory_budget=self.settings.query_memory_bytes,
                on_ran=self.shares.charge,
            )
            await self._pool.start()
            self._triples = self._triples or self._pool.triples
        except BaseException:
            await self.close()  # no workers or temporary store left behind
            raise
        log.info(
            "embedded store ready: %d triples %s, version %s, load %.2f s, %d processes %.2f s",
            self._triples,
            "in memory" if self._files else "on disk",
            self._version,
            loaded - began,
            self.pool.size,
            time.perf_counter() - loaded,
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)
            self._temporary = None

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
        plan = check_query(sparql, self.settings)
        check_format(plan.form, result_format)
        sparql, defaults, named = request_dataset(
            sparql, default_graph_uris, named_graph_uris, self.settings.graph_iri
        )
        job = Job(
            sparql,
            result_format,
            self._cap(plan.form),
            defaults,
            named,
            oxigraph_terms(substitutions),
            base_iri,
        )
        reply = await self._run(job)
        if reply.status != "answer":
            raise self._failure(reply, bool(plan.services), sparql)
        form: QueryForm = plan.form or _form_of(reply.kind)
        return QueryResult(reply.body, result_format, form, reply.rows, reply.truncated)

    async def select(
        self, sparql: str, substitutions: Mapping[str, BoundTerm] | None = None
    ) -> Rows:
        plan = check_query(sparql, self.settings)
        sparql, defaults, named = request_dataset(sparql, (), (), self.settings.graph_iri)
        job = Job(
            sparql,
            None,
            self.settings.row_cap,
            defaults,
            named,
            substitutions=oxigraph_terms(substitutions),
        )
        reply = await self._run(job)
        if reply.status != "rows":
            raise self._failure(reply, bool(plan.services), sparql)
        rows = Rows(reply.values, columns=reply.columns, truncated=reply.truncated)
        return empty_concatenations_unbound(sparql, rows)

    # ------------------------------------------------------------------ helpers

    def _cap(self, form: QueryForm | None) -> int:
        if form in ("construct", "describe"):
            return self.settings.triple_cap
        return self.settings.row_cap

    async def _run(self, job: Job) -> Reply:
        visit = current_client.get()
        self.shares.enter(visit)  # 429 past the client's share
        try:
            return await self._run_once_more_if_lost(job, visit.client if visit else None)
        finally:
            self.shares.leave(visit)

    async def _run_once_more_if_lost(self, job: Job, client: str | None) -> Reply:
        """The query, run again on a fresh process if its process died under it (not at the
        time or memory limit); a second such death is the query's own doing, and said so."""
        try:
            try:
                return await self.pool.run(job, self.settings.query_timeout, client)
            except QueryProcessDiedError as first:
                log.warning("a query process died under a query; running it once more: %s", first)
                try:
                    return await self.pool.run(job, self.settings.query_timeout, client)
                except QueryProcessDiedError as second:
                    raise ApiError(  # 422: the query, not the server, is what failed twice
                        422,
                        "the query stopped its query process twice and was given up",
                        {
                            "first": str(first),
                            "second": str(second),
                            "hint": "this query crashes the query engine; please report it",
                        },
                    ) from second
        except QueryTimeoutError as exc:
            raise ApiError(
                503,
                f"the query took longer than the {exc.timeout:g} s limit and was stopped",
                {
                    "timeout_s": exc.timeout,
                    "hint": "add LIMIT, narrow the patterns, or download the dump (GET /void)",
                },
                headers={"Retry-After": "1"},
            ) from exc
        except PoolBusyError as exc:
            raise ApiError(
                503, "every query worker is busy", str(exc), headers={"Retry-After": "5"}
            ) from exc
        except MemoryLimitError as exc:
            raise memory_limit_error(exc.limit) from exc
        except WorkerLostError as exc:
            raise ApiError(503, "the query worker stopped; try again", str(exc)) from exc

    def _failure(self, reply: Reply, federated: bool, sparql: str) -> ApiError:
        if reply.status == "syntax":
            return syntax_error(reply.message, sparql)
        if reply.status == "unfit":
            return ApiError(406, reply.message)
        if reply.status == "memory":
            return memory_limit_error(self.settings.query_memory_bytes)
        if federated:
            return ApiError(502, "a SERVICE endpoint the query calls failed", reply.message)
        return ApiError(400, "the query could not be evaluated", reply.message)

    def _prepare(self, graph_dir: Path) -> None:
        """Read the graph's version and make the on-disk store (or reuse a complete one)."""
        data = graph_dir / DATA_FILE
        if not data.is_file():
            raise RuntimeError(f"no graph to serve: {data} is missing (run `emkg build`)")
        self._version = graph_version(graph_dir)
        ontology = self.settings.ontology_file
        if ontology is not None and not ontology.is_file():
            log.warning("ontology file %s not found; serving the data alone", ontology)
            ontology = None
        if data.stat().st_size <= self.settings.memory_store_bytes:
            self._files = [data]
            if ontology is not None:
                self._temporary = Path(tempfile.mkdtemp(prefix="emkg-store-"))
                self._files.append(ontology_ntriples(ontology, self._temporary / ONTOLOGY_NT))
            return
        if self.settings.store_dir is None:
            self._temporary = Path(tempfile.mkdtemp(prefix="emkg-store-"))
            self._store_path = self._temporary / "store"
            self._triples = load_store(self._store_path, data, ontology, self.settings.graph_iri)
            return
        key = self._version
        if ontology is not None:
            key += "-" + hashlib.sha256(ontology.read_bytes()).hexdigest()[:8]
        # the data sits in the named graph `graph_iri`, as in an external store
        key += "-" + hashlib.sha256(self.settings.graph_iri.encode()).hexdigest()[:8]
        self._store_path = self.settings.store_dir / f"store-{key}"
        marker = self._store_path / _COMPLETE
        if marker.is_file():
            self._triples = int(json.loads(marker.read_text())["triples"])
            return
        self.settings.store_dir.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix="building-", dir=self.settings.store_dir))
        triples = load_store(building / "store", data, ontology, self.settings.graph_iri)
        (building / "store" / _COMPLETE).write_text(json.dumps({"triples": triples}))
        try:
            # another server process may have finished the same store first: then use that one,
            # never remove a store whose workers may be reading it
            (building / "store").rename(self._store_path)
        except OSError:
            if not marker.is_file():
                raise
        finally:
            shutil.rmtree(building, ignore_errors=True)
        self._triples = triples


def load_store(path: Path, data: Path, ontology: Path | None, graph: str | None = None) -> int:
    """Bulk-load the N-Triples (and the ontology) into a new on-disk store, into the named graph
    `graph` (the default graph without one); its triple count."""
    store = ox.Store(str(path))
    target: ox.NamedNode | ox.DefaultGraph = ox.NamedNode(graph) if graph else ox.DefaultGraph()
    store.bulk_load(path=str(data), format=ox.RdfFormat.N_TRIPLES, to_graph=target)
    if ontology is not None:
        store.extend(
            ox.Quad(t.subject, t.predicate, t.object, target)
            for t in ox.parse(path=str(ontology), rename_blank_nodes=True)
        )
    store.flush()
    store.optimize()  # compacts the bulk-loaded files: measurably faster reads at a million triples
    count = len(store)
    del store  # closes the database before the workers open it read-only
    return count


def ontology_ntriples(ontology: Path, target: Path) -> Path:
    """The ontology (Turtle) as N-Triples, its blank nodes labelled once for every process."""
    triples = ox.parse(path=str(ontology), format=ox.RdfFormat.TURTLE, rename_blank_nodes=True)
    ox.serialize(triples, str(target), format=ox.RdfFormat.N_TRIPLES)
    return target


def graph_version(graph_dir: Path) -> str:
    """manifest.json's version, else a prefix of the SHA-256 of emkg.nt."""
    manifest = graph_dir / MANIFEST_FILE
    if manifest.is_file():
        version = json.loads(manifest.read_text(encoding="utf-8")).get("version")
        if isinstance(version, str) and version:
            return version
    digest = hashlib.sha256()
    with (graph_dir / DATA_FILE).open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def memory_limit_error(limit: int) -> ApiError:
    """507 Insufficient Storage: the server could not hold what the query needed. Not 503 (which
    says to try again later: this query would fail again), not 500 (nothing broke)."""
    return ApiError(
        507,
        f"the query needed more than the {limit / 2**20:g} MiB memory limit and was stopped",
        {
            "limit": "memory per query",
            "setting": "EMKG_QUERY_MEMORY_BYTES",
            "memory_limit_bytes": limit,
            "hint": "sort or group fewer solutions: add LIMIT inside, narrow the patterns, "
            "or download the dump (GET /void)",
        },
    )


def _form_of(kind: str) -> QueryForm:
    if kind == "solutions":
        return "select"
    return "ask" if kind == "boolean" else "construct"
