"""A query process: one pyoxigraph store, answering jobs from the server over a socket pair.

Started by `api.workers.WorkerPool` as `python -m api.query_process FD SOURCE_JSON`. The source
says where the graph is: an on-disk store to open read-only (shared with the other processes
through the page cache), or N-Triples files to load into memory, which answers a small graph's
queries about three times faster than the on-disk store. Every process of a pool loads the same
files, blank node labels included, so any of them gives the same bytes for the same query.

Messages both ways are frames: a 4-byte little-endian length, then a pickle of a `Job` or a
`Reply` (plain tuples: nothing but pickle's C code runs per message). A reply carries the answer
already serialized by pyoxigraph (`api.stores.encoding`), so only bytes cross the socket.

This module is the process's main module: it imports pyoxigraph and the encoders, and not
asyncio, logging or the web framework (each of those would add megabytes to every process).
"""

from __future__ import annotations

import contextlib
import json
import pickle
import signal
import socket
import sys
from collections.abc import Mapping
from typing import Any, NamedTuple

import pyoxigraph as ox

from api.memory_limit import limit_memory
from api.stores.encoding import (
    GRAPH_FORMATS,
    RESULT_FORMATS,
    Encoded,
    encode_boolean,
    encode_solutions,
    encode_triples,
    solution_rows,
)

HEADER = 4
READY = "ready"


class Job(NamedTuple):
    """One query for a query process. `media_type` None asks for rows of Python values."""

    sparql: str
    media_type: str | None
    cap: int
    default_graphs: tuple[str | None, ...] | None = None  # None inside: the store's default graph
    named_graphs: tuple[str, ...] | None = None
    substitutions: tuple[tuple[str, ox.NamedNode | ox.Literal], ...] = ()
    base_iri: str | None = None  # what relative IRIs resolve against


class Reply(NamedTuple):
    """A query process's answer: `status` is answer, rows, syntax (bad query), unfit, memory
    (over the memory limit) or error."""

    status: str
    body: bytes = b""
    kind: str = ""  # solutions, boolean or triples
    rows: int | None = None
    truncated: bool = False
    columns: tuple[str, ...] = ()
    values: list[dict[str, object]] = []  # noqa: RUF012 (never mutated: replies are read-only)
    message: str = ""


# ---------------------------------------------------------------- answering


def answer(store: ox.Store, job: Job, prefixes: Mapping[str, str]) -> Reply:
    """Run one job against the store; never raises."""
    try:
        result = evaluate(store, job)
        if job.media_type is None:
            if not isinstance(result, ox.QuerySolutions):
                return Reply("unfit", message="only a SELECT query gives rows")
            columns, values, truncated = solution_rows(result, job.cap)
            return Reply(
                "rows", rows=len(values), truncated=truncated, columns=tuple(columns), values=values
            )
        return serialize(result, job, prefixes)
    except SyntaxError as exc:
        return Reply("syntax", message=str(exc))
    except MemoryError as exc:  # refused by the memory limit (api.memory_limit)
        return Reply("memory", message=f"MemoryError: {exc}")
    except Exception as exc:
        return Reply("error", message=f"{type(exc).__name__}: {exc}")


def evaluate(store: ox.Store, job: Job) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    """Parse and plan the query; pyoxigraph then evaluates lazily, as `serialize` reads it."""
    default_graph: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None = None
    if job.default_graphs is not None:
        default_graph = [
            ox.DefaultGraph() if iri is None else ox.NamedNode(iri) for iri in job.default_graphs
        ]
    named_graphs: list[ox.NamedNode | ox.BlankNode] | None = None
    if job.named_graphs is not None:
        named_graphs = [ox.NamedNode(iri) for iri in job.named_graphs]
    return store.query(
        job.sparql,
        default_graph=default_graph,
        named_graphs=named_graphs,
        substitutions={ox.Variable(name): term for name, term in job.substitutions} or None,
        base_iri=job.base_iri,
    )


def serialize(
    result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples,
    job: Job,
    prefixes: Mapping[str, str],
) -> Reply:
    """The answer in the job's media type, under the cap (this is where evaluation runs)."""
    media_type = job.media_type
    assert media_type is not None
    if isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
        if media_type not in RESULT_FORMATS:
            return Reply("unfit", message=f"a SELECT or ASK answer cannot be {media_type}")
        if isinstance(result, ox.QueryBoolean):
            return _reply("boolean", encode_boolean(result, media_type))
        return _reply("solutions", encode_solutions(result, media_type, job.cap))
    if media_type not in GRAPH_FORMATS:
        return Reply("unfit", message=f"a CONSTRUCT or DESCRIBE answer cannot be {media_type}")
    return _reply("triples", encode_triples(result, media_type, job.cap, prefixes))


def _reply(kind: str, encoded: Encoded) -> Reply:
    return Reply("answer", encoded.body, kind, encoded.rows, encoded.truncated)


# ---------------------------------------------------------------- the store


def open_store(source: Mapping[str, Any]) -> ox.Store:
    """`{"store": path}`: the on-disk store, read-only; `{"files": [paths], "graph": iri}`:
    N-Triples files loaded into memory, into the named graph `iri` (the default graph without
    one), the labels of blank nodes kept, so every process holds the same graph."""
    if source.get("store"):
        return ox.Store.read_only(str(source["store"]))
    store = ox.Store()
    graph = source.get("graph")
    for path in source.get("files", ()):
        # parse keeps the files' blank node labels (bulk_load would draw new ones)
        triples = ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)
        if graph:
            target = ox.NamedNode(str(graph))
            store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, target) for t in triples)
        else:
            store.bulk_extend(triples)
    return store


# ---------------------------------------------------------------- frames


def send_frame(sock: socket.socket, payload: bytes) -> None:
    header = len(payload).to_bytes(HEADER, "little")
    if len(payload) < 65536:
        sock.sendall(header + payload)
    else:  # no copy of a large answer
        sock.sendall(header)
        sock.sendall(payload)


def receive_frame(sock: socket.socket) -> bytes | None:
    """The next frame, or None when the other end has closed."""
    header = _receive_exactly(sock, HEADER)
    if header is None:
        return None
    return _receive_exactly(sock, int.from_bytes(header, "little"))


def _receive_exactly(sock: socket.socket, size: int) -> bytes | None:
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        count = sock.recv_into(view[got:], size - got)
        if count == 0:
            return None
        got += count
    return bytes(buffer)


# ---------------------------------------------------------------- the process


def serve(
    sock: socket.socket,
    source: Mapping[str, Any],
    prefixes: Mapping[str, str],
    memory_budget: int = 0,
) -> None:
    """A query process's life: open the store, cap its memory, say ready, answer jobs until the
    socket closes."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops its processes itself
    try:
        store = open_store(source)
    except Exception as exc:
        send_frame(sock, pickle.dumps(("failed", f"cannot open the store: {exc}")))
        return
    triples = len(store)
    limit_memory(memory_budget)
    send_frame(sock, pickle.dumps((READY, triples)))
    while True:
        try:
            frame = wait_for_job(sock)
        except OSError:
            return
        if frame is None:
            return
        job = Job(*pickle.loads(frame))  # noqa: S301 (our own server's pickles)
        reply = answer(store, job, prefixes)
        send_frame(sock, pickle.dumps(tuple(reply), protocol=pickle.HIGHEST_PROTOCOL))


def wait_for_job(sock: socket.socket) -> bytes | None:
    """Idle until the server sends a job (a frame of its own, so profiles can tell idle time)."""
    return receive_frame(sock)


def _die_with_parent() -> None:
    """Ask Linux to kill this process when the server thread that started it ends."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def main(argv: list[str]) -> None:
    """`python -m api.query_process FD SOURCE_JSON`: serve jobs on the inherited socket FD."""
    fd, config = int(argv[0]), json.loads(argv[1])
    sock = socket.socket(fileno=fd)
    serve(sock, config["source"], config.get("prefixes", {}), config.get("memory_budget", 0))


if __name__ == "__main__":
    # run the imported module's copy, so that classes pickled here name `api.query_process`
    from api.query_process import main as process_main

    process_main(sys.argv[1:])
