"""The worker pool: answers, time limit (kill + replace), busy pool, cancellation, start-up."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from api.settings import Settings
from api.stores.embedded import load_store
from api.workers import (
    Job,
    MemoryLimitError,
    PoolBusyError,
    QueryProcessDiedError,
    QueryTimeoutError,
    WorkerLostError,
    WorkerPool,
    answer,
    query_shape,
    worker_pid_alive,
)

JSON = "application/sparql-results+json"
RUNAWAY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SIMPLE_QUERY = "SELECT ?s WHERE { ?s a <https://w3id.org/eu-migration-kg/ontology#Agency> }"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory, graph_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("pool") / "store"
    load_store(path, graph_dir / "emkg.nt", graph_dir / "emk.ttl")
    return path


class Finishing:
    """A started pool and the order in which named queries finish on it."""

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool
        self.order: list[str] = []

    def start(self, name: str, sparql: str) -> asyncio.Task[None]:
        return asyncio.create_task(self._run(name, sparql))

    async def _run(self, name: str, sparql: str) -> None:
        await self.pool.run(Job(sparql, JSON, 10), timeout=10)
        self.order.append(name)


@contextlib.asynccontextmanager
async def finishing_on(store_path: Path, size: int) -> AsyncIterator[Finishing]:
    pool = WorkerPool(store_path, size)
    await pool.start()
    try:
        yield Finishing(pool)
    finally:
        await pool.close()


async def wait_for_size(pool: WorkerPool, size: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while len(pool.pids) != size:
        assert time.monotonic() < deadline, "the pool did not refill"
        await asyncio.sleep(0.02)


def test_runaway_is_killed_while_another_query_answers(store_path: Path) -> None:
    async def scenario() -> None:
        pool = WorkerPool(store_path, 2)
        await pool.start()
        try:
            before = pool.pids
            runaway = asyncio.create_task(pool.run(Job(RUNAWAY_QUERY, JSON, 10), timeout=1.5))
            await asyncio.sleep(0.2)
            began = time.perf_counter()
            reply = await pool.run(Job(SIMPLE_QUERY, JSON, 10), timeout=5)
            assert time.perf_counter() - began < 1.0
            assert reply.status == "answer"
            assert b"frontex" in reply.body
            with pytest.raises(QueryTimeoutError) as stopped:
                await runaway
            killed = stopped.value.pid
            assert killed in before
            assert not worker_pid_alive(killed)
            await wait_for_size(pool, 2)
            assert killed not in pool.pids
            again = await pool.run(Job(SIMPLE_QUERY, JSON, 10), timeout=5)
            assert again.status == "answer"
        finally:
            await pool.close()

    asyncio.run(scenario())


def test_busy_pool_and_cancellation(store_path: Path) -> None:
    async def scenario() -> None:
        pool = WorkerPool(store_path, 1)
        await pool.start()
        try:
            (first,) = pool.pids
            runaway = asyncio.create_task(pool.run(Job(RUNAWAY_QUERY, JSON, 10), timeout=30))
            await asyncio.sleep(0.1)
            with pytest.raises(PoolBusyError):
                await pool.run(Job(SIMPLE_QUERY, JSON, 10), timeout=0.3)
            runaway.cancel()  # the caller went away: the busy worker is killed, not kept
            with pytest.raises(asyncio.CancelledError):
                await runaway
            await wait_for_size(pool, 1)
            assert pool.pids != [first]
            assert (await pool.run(Job(SIMPLE_QUERY, JSON, 10), timeout=5)).status == "answer"
            deadline = time.monotonic() + 5
            while worker_pid_alive(first):
                assert time.monotonic() < deadline
                await asyncio.sleep(0.02)
        finally:
            await pool.close()
        with pytest.raises(WorkerLostError):
            await pool.run(Job(SIMPLE_QUERY, JSON, 10), timeout=1)

    asyncio.run(scenario())


def test_a_spare_answers_quick_queries_beside_a_long_one(store_path: Path) -> None:
    """With its only process on a long query, the pool starts a spare after `spare_after`: a
    quick query is answered long before the long one ends; the spare stops when idle."""

    async def scenario() -> None:
        pool = WorkerPool(store_path, 1, spares=1, spare_after=0.2, spare_idle=0.5)
        await pool.start()
        try:
            (core,) = pool.pids
            long_one = asyncio.create_task(pool.run(Job(RUNAWAY_QUERY, JSON, 10), timeout=8))
            await asyncio.sleep(0.05)
            began = time.perf_counter()
            reply = await pool.run(Job(SIMPLE_QUERY, JSON, 10), timeout=8)
            waited = time.perf_counter() - began
            assert reply.status == "answer"
            assert waited < 3, f"the quick query waited {waited:.1f} s"
            assert not long_one.done()
            assert len(pool.pids) == 2  # the spare beside the busy process
            await wait_for_size(pool, 1)  # idle for spare_idle: stopped
            assert pool.pids == [core]
            long_one.cancel()
            with pytest.raises(asyncio.CancelledError):
                await long_one
        finally:
            await pool.close()

    asyncio.run(scenario())


def test_quick_queries_go_before_a_shape_known_to_be_slow(store_path: Path) -> None:
    """Queries that differ only in their values share a shape; a shape the pool has seen take
    long waits behind quick queries that came after it."""
    assert query_shape('SELECT * { ?s ?p "a" } LIMIT 10') == query_shape(
        'SELECT * { ?s ?p "bc" } LIMIT 200'
    )
    assert query_shape("SELECT * { ?s ?p 1.5e3 }") != query_shape("SELECT * { ?s ?q 2 }")
    slow = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3"
    quick = "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 3"

    async def scenario() -> list[str]:
        async with finishing_on(store_path, 1) as finishing:
            pool = finishing.pool
            for _ in range(2):  # seen to take 3 s, twice
                pool._learn("SELECT ?s WHERE { ?s ?p ?o } LIMIT 99", 3.0)
            blocker = asyncio.create_task(pool.run(Job(RUNAWAY_QUERY, JSON, 10), timeout=0.5))
            await asyncio.sleep(0.05)
            waiting = [finishing.start("slow shape", slow)]
            await asyncio.sleep(0.05)
            waiting.append(finishing.start("quick", quick))
            with pytest.raises(QueryTimeoutError):
                await blocker
            await asyncio.gather(*waiting)
        return finishing.order

    assert asyncio.run(scenario()) == ["quick", "slow shape"]


def test_a_quick_query_passes_a_slower_one_that_came_well_before_it(store_path: Path) -> None:
    """A shape seen to take 0.2 s waits behind a quick query that arrived 0.2 s after it (its
    turn is put back by a multiple of its cost), where arrival order alone would run it first;
    a quick run teaches the pool nothing, nor does one slow run (a busy machine's doing)."""
    slow = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3"
    quick = "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 3"

    async def scenario() -> list[str]:
        async with finishing_on(store_path, 1) as finishing:
            pool = finishing.pool
            pool._learn(quick, 0.001)
            pool._learn("SELECT ?s WHERE { ?s ?p ?o } LIMIT 99", 0.2)
            assert not pool._costs
            pool._learn("SELECT ?s WHERE { ?s ?p ?o } LIMIT 98", 0.2)
            assert pool._costs
            blocker = asyncio.create_task(pool.run(Job(RUNAWAY_QUERY, JSON, 10), timeout=0.8))
            await asyncio.sleep(0.05)
            waiting = [finishing.start("slower shape", slow)]
            await asyncio.sleep(0.2)
            waiting.append(finishing.start("quick", quick))
            with pytest.raises(QueryTimeoutError):
                await blocker
            await asyncio.gather(*waiting)
        return finishing.order

    assert asyncio.run(scenario()) == ["quick", "slower shape"]


def test_slow_shapes_never_hold_every_process_while_a_quick_query_waits(store_path: Path) -> None:
    """With one process on a shape known to be slow, the other, when it frees, takes the quick
    query waiting, though a slow-shaped one is ahead of it in line."""
    slow = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3"
    quick = "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 3"

    async def scenario() -> list[str]:
        async with finishing_on(store_path, 2) as finishing:
            pool = finishing.pool
            for _ in range(2):
                pool._learn(RUNAWAY_QUERY, 3.0)
                pool._learn("SELECT ?s WHERE { ?s ?p ?o } LIMIT 99", 0.03)  # put back 0.06 s
            held = asyncio.create_task(pool.run(Job(RUNAWAY_QUERY, JSON, 10), timeout=8))
            ends = asyncio.create_task(pool.run(Job(RUNAWAY_QUERY, JSON, 10), timeout=1.0))
            await asyncio.sleep(0.05)
            waiting = [finishing.start("slow shape", slow)]
            await asyncio.sleep(0.5)  # the slow shape's turn has come: it is first in line
            waiting.append(finishing.start("quick", quick))
            with pytest.raises(QueryTimeoutError):
                await ends
            await asyncio.gather(*waiting)
            held.cancel()
            with pytest.raises(asyncio.CancelledError):
                await held
        return finishing.order

    assert asyncio.run(scenario()) == ["quick", "slow shape"]


MEMORY_HUNGRY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?f ?i LIMIT 5"


def test_the_memory_limit_stops_a_query_and_a_crash_is_told_apart(store_path: Path) -> None:
    """A query past its process's memory budget dies of the allocator's refusal: the memory
    limit; a process that aborts for another reason died under its query (run again by the
    store), though its exit status is the same."""

    async def scenario() -> None:
        pool = WorkerPool(store_path, 1, memory_budget=64 << 20)
        await pool.start()
        try:
            with pytest.raises(MemoryLimitError, match="bytes of memory"):
                await pool.run(Job(MEMORY_HUNGRY, JSON, 10), timeout=20)
            await wait_for_size(pool, 1)
            running = asyncio.create_task(pool.run(Job(RUNAWAY_QUERY, JSON, 10), timeout=20))
            await asyncio.sleep(0.5)
            os.kill(pool.pids[0], signal.SIGABRT)
            with pytest.raises(QueryProcessDiedError):
                await running
            await wait_for_size(pool, 1)
            reply = await pool.run(Job(SIMPLE_QUERY, JSON, 10), timeout=10)
            assert reply
        finally:
            await pool.close()

    asyncio.run(scenario())


def test_a_worker_that_cannot_open_the_store_fails_start(tmp_path: Path) -> None:
    async def scenario() -> None:
        pool = WorkerPool(tmp_path / "no-store-here", 1, start_timeout=20)
        with pytest.raises(RuntimeError, match="cannot open the store"):
            await pool.start()
        await pool.close()

    asyncio.run(scenario())


# ---------------------------------------------------------------- answer(), in process


@pytest.fixture(scope="module")
def memory_store() -> ox.Store:
    store = ox.Store()
    for number in range(10):
        store.add(
            ox.Quad(
                ox.NamedNode(f"http://example.org/{number}"),
                ox.NamedNode("http://example.org/value"),
                ox.Literal(
                    str(number), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
                ),
            )
        )
    return store


def test_answer_caps_solutions_and_triples(memory_store: ox.Store) -> None:
    solutions = answer(memory_store, Job("SELECT * { ?s ?p ?o }", "text/csv", 4), {})
    assert (solutions.status, solutions.rows, solutions.truncated) == ("answer", 4, True)
    assert solutions.body.count(b"\n") == 5
    exact = answer(memory_store, Job("SELECT * { ?s ?p ?o }", JSON, 10), {})
    assert (exact.rows, exact.truncated) == (10, False)
    triples = answer(
        memory_store, Job("CONSTRUCT WHERE { ?s ?p ?o }", "application/n-triples", 3), {}
    )
    assert (triples.kind, triples.rows, triples.truncated) == ("triples", 3, True)
    turtle = answer(
        memory_store,
        Job("CONSTRUCT WHERE { ?s ?p ?o }", "text/turtle", 100),
        {"ex": "http://example.org/", "unused": "http://unused.example/"},
    )
    assert b"@prefix ex:" in turtle.body
    assert b"unused" not in turtle.body


def test_answer_rows_are_python_values(memory_store: ox.Store) -> None:
    job = Job(
        "SELECT ?s ?o ?missing ?p WHERE { ?s ?p ?o } ORDER BY ?o",
        None,
        3,
        substitutions=(("p", ox.NamedNode("http://example.org/value")),),
    )
    reply = answer(memory_store, job, {})
    assert reply.status == "rows"
    assert reply.columns == ("s", "o", "missing", "p")
    assert reply.values[0] == {
        "s": "http://example.org/0",
        "o": 0,
        "missing": None,
        "p": "http://example.org/value",
    }
    assert reply.truncated


@pytest.mark.parametrize(
    ("job", "status"),
    [
        (Job("SELECT * {", JSON, 10), "syntax"),
        (Job("SELECT * { ?s ?p ?o }", "text/turtle", 10), "unfit"),
        (Job("CONSTRUCT WHERE { ?s ?p ?o }", "text/csv", 10), "unfit"),
        (Job("ASK { ?s ?p ?o }", None, 10), "unfit"),
        (Job("SELECT * { ?s ?p ?o }", JSON, 10, default_graphs=("not an iri",)), "error"),
    ],
)
def test_answer_reports_failures(memory_store: ox.Store, job: Job, status: str) -> None:
    assert answer(memory_store, job, {}).status == status


def test_the_pool_shares_the_cores_among_server_processes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("api.settings.os.cpu_count", lambda: 4)
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    assert Settings(graph_dir=tmp_path).workers_per_server() == 4
    monkeypatch.setenv("WEB_CONCURRENCY", "2")  # two uvicorn workers: two processes each
    assert Settings(graph_dir=tmp_path).workers_per_server() == 2
    monkeypatch.setenv("WEB_CONCURRENCY", "8")
    assert Settings(graph_dir=tmp_path).workers_per_server() == 1
    assert Settings(graph_dir=tmp_path, pool_size=3).workers_per_server() == 3
