"""A warm pool of query worker processes over one read-only pyoxigraph store.

pyoxigraph cannot interrupt a running query, so a query runs in a worker process and the time
limit is kept by killing that process: its CPU is released at once, a replacement starts in the
background, and the other workers keep answering meanwhile.

A worker is a plain `python -m api.workers` process (~70 ms to start, only at start-up and after
a kill) talking over a socket pair; unlike multiprocessing's spawn or forkserver, this never
re-imports the server's `__main__`, so any way of launching the server works. Each worker opens
the store with `Store.read_only`, which shares the operating system's page cache. The event loop
never blocks on a worker: it waits for the socket to become readable (`add_reader`). A worker
serializes its answer itself (`api.stores.encoding`), so only bytes cross the socket.

This module is the workers' main module too: keep its imports light.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import pickle
import signal
import socket
import subprocess
import sys
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from api.stores.encoding import (
    GRAPH_FORMATS,
    RESULT_FORMATS,
    Encoded,
    encode_boolean,
    encode_solutions,
    encode_triples,
    solution_rows,
)

log = logging.getLogger("emkg.workers")

_READY = b"ready"


@dataclass(frozen=True, slots=True)
class Job:
    """One query for a worker. `media_type` None asks for rows of Python values instead."""

    sparql: str
    media_type: str | None
    cap: int
    default_graphs: tuple[str | None, ...] | None = None  # None inside: the store's default graph
    named_graphs: tuple[str, ...] | None = None
    substitutions: tuple[tuple[str, ox.NamedNode | ox.Literal], ...] = ()
    base_iri: str | None = None  # what relative IRIs resolve against


@dataclass(frozen=True, slots=True)
class Reply:
    """A worker's answer: `status` is answer, rows, syntax (bad query), unfit or error."""

    status: str
    body: bytes = b""
    kind: str = ""  # solutions, boolean or triples
    rows: int | None = None
    truncated: bool = False
    columns: tuple[str, ...] = ()
    values: list[dict[str, object]] = field(default_factory=list)
    message: str = ""


class PoolError(Exception):
    """The pool could not run a query (see the subclasses)."""


class QueryTimeoutError(PoolError):
    def __init__(self, timeout: float, pid: int) -> None:
        super().__init__(f"the query ran longer than {timeout:g} s and was stopped")
        self.timeout = timeout
        self.pid = pid


class PoolBusyError(PoolError):
    pass


class WorkerLostError(PoolError):
    pass


# ---------------------------------------------------------------- the worker process


def serve_queries(conn: Connection, store_path: str, prefixes: Mapping[str, str]) -> None:
    """A worker's life: open the store, then answer jobs until the pipe closes."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops its workers itself
    try:
        store = ox.Store.read_only(store_path)
    except Exception as exc:
        conn.send_bytes(pickle.dumps(f"cannot open the store at {store_path}: {exc}"))
        return
    conn.send_bytes(_READY)
    while True:
        try:
            job = pickle.loads(conn.recv_bytes())  # noqa: S301 (our own server's pickles)
        except (EOFError, OSError):
            return
        reply = answer(store, job, prefixes)
        conn.send_bytes(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))


def answer(store: ox.Store, job: Job, prefixes: Mapping[str, str]) -> Reply:
    """Run one job against the store; never raises."""
    try:
        default_graph: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None = None
        if job.default_graphs is not None:
            default_graph = [
                ox.DefaultGraph() if iri is None else ox.NamedNode(iri)
                for iri in job.default_graphs
            ]
        named_graphs: list[ox.NamedNode | ox.BlankNode] | None = None
        if job.named_graphs is not None:
            named_graphs = [ox.NamedNode(iri) for iri in job.named_graphs]
        result = store.query(
            job.sparql,
            default_graph=default_graph,
            named_graphs=named_graphs,
            substitutions={ox.Variable(name): term for name, term in job.substitutions} or None,
            base_iri=job.base_iri,
        )
        if job.media_type is None:
            if not isinstance(result, ox.QuerySolutions):
                return Reply("unfit", message="only a SELECT query gives rows")
            columns, values, truncated = solution_rows(result, job.cap)
            return Reply(
                "rows", rows=len(values), truncated=truncated, columns=tuple(columns), values=values
            )
        if isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
            if job.media_type not in RESULT_FORMATS:
                return Reply("unfit", message=f"a SELECT or ASK answer cannot be {job.media_type}")
            if isinstance(result, ox.QueryBoolean):
                return _reply("boolean", encode_boolean(result, job.media_type))
            return _reply("solutions", encode_solutions(result, job.media_type, job.cap))
        if job.media_type not in GRAPH_FORMATS:
            return Reply(
                "unfit", message=f"a CONSTRUCT or DESCRIBE answer cannot be {job.media_type}"
            )
        return _reply("triples", encode_triples(result, job.media_type, job.cap, prefixes))
    except SyntaxError as exc:
        return Reply("syntax", message=str(exc))
    except Exception as exc:
        return Reply("error", message=f"{type(exc).__name__}: {exc}")


def _reply(kind: str, encoded: Encoded) -> Reply:
    return Reply(
        "answer", body=encoded.body, kind=kind, rows=encoded.rows, truncated=encoded.truncated
    )


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when the server thread that started it ends."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


# ---------------------------------------------------------------- the pool, in the server


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection

    @property
    def pid(self) -> int:
        return self.process.pid


class WorkerPool:
    """`size` warm workers over the store at `store_path`; `run` gives each job a time limit."""

    def __init__(
        self,
        store_path: Path,
        size: int,
        prefixes: Mapping[str, str] | None = None,
        *,
        start_timeout: float = 60.0,
    ) -> None:
        self.store_path = store_path
        self.size = size
        self.prefixes = dict(prefixes or {})
        self.start_timeout = start_timeout
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._workers: set[_Worker] = set()
        self._background: set[asyncio.Task[None]] = set()
        self._closed = False

    @property
    def pids(self) -> list[int]:
        """The process ids of the live workers (for tests and diagnostics)."""
        return sorted(worker.pid for worker in self._workers)

    async def start(self) -> None:
        await asyncio.gather(*(self._add_worker() for _ in range(self.size)))

    async def run(self, job: Job, timeout: float) -> Reply:
        """The worker's reply; raises QueryTimeoutError, PoolBusyError or WorkerLostError."""
        if self._closed:
            raise WorkerLostError("the query pool is shut down")
        try:
            worker = await asyncio.wait_for(self._idle.get(), timeout)
        except TimeoutError:
            raise PoolBusyError(
                f"all {self.size} query workers stayed busy for {timeout:g} s"
            ) from None
        reusable = False
        try:
            worker.conn.send_bytes(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))
            reply = pickle.loads(await _receive(worker.conn, timeout))  # noqa: S301 (our worker's)
            reusable = True
            assert isinstance(reply, Reply)
            return reply
        except TimeoutError:
            await self._retire(worker)
            log.warning("query worker %s killed after %g s", worker.pid, timeout)
            raise QueryTimeoutError(timeout, worker.pid) from None
        except (EOFError, OSError) as exc:
            await self._retire(worker)
            raise WorkerLostError(f"the query worker stopped unexpectedly ({exc!r})") from exc
        finally:
            if reusable:
                self._idle.put_nowait(worker)
            elif worker in self._workers:  # cancelled while the worker was busy
                self._background_task(self._retire(worker))

    async def close(self) -> None:
        self._closed = True
        for task in list(self._background):
            task.cancel()
        workers, self._workers = list(self._workers), set()
        for worker in workers:
            worker.conn.close()
            worker.process.kill()
        await asyncio.gather(*(asyncio.to_thread(w.process.wait, 10) for w in workers))

    async def _add_worker(self) -> None:
        worker = await self._launch()
        if self._closed:
            await self._stop(worker)
            return
        self._workers.add(worker)
        self._idle.put_nowait(worker)

    async def _launch(self) -> _Worker:
        ours, theirs = socket.socketpair()
        package_root = str(Path(__file__).resolve().parents[1])
        path = os.environ.get("PYTHONPATH")
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [package_root, path])),
        }
        # started on the event loop's thread: the worker's death signal follows that thread
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "api.workers",
                str(theirs.fileno()),
                str(self.store_path),
                json.dumps(self.prefixes),
            ],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            env=environment,
        )
        theirs.close()
        worker = _Worker(process, Connection(ours.detach()))
        try:
            message = await _receive(worker.conn, self.start_timeout)
        except BaseException:
            await self._stop(worker)
            raise
        if message != _READY:
            await self._stop(worker)
            reason = pickle.loads(message)  # noqa: S301 (our worker's)
            raise RuntimeError(f"a query worker failed to start: {reason}")
        return worker

    @staticmethod
    async def _stop(worker: _Worker) -> None:
        worker.process.kill()
        worker.conn.close()
        await asyncio.to_thread(worker.process.wait, 10)

    async def _retire(self, worker: _Worker) -> None:
        """Kill a worker, wait until it is gone, and start its replacement."""
        if worker not in self._workers:
            return
        self._workers.discard(worker)
        self._background_task(self._replace())
        await self._stop(worker)

    async def _replace(self) -> None:
        delay = 0.5
        while not self._closed:
            try:
                await self._add_worker()
                return
            except Exception:
                log.exception("could not start a replacement query worker; retrying")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    def _background_task(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


async def _receive(conn: Connection, timeout: float) -> bytes:
    """The next message on the pipe, waited for without blocking the event loop."""
    loop = asyncio.get_running_loop()
    readable: asyncio.Future[None] = loop.create_future()
    fd = conn.fileno()
    loop.add_reader(fd, _wake, readable)
    # a timer on the future itself: cheaper per query than asyncio.wait_for's wrapping
    expiry = loop.call_later(timeout, _expire, readable)
    try:
        await readable
    finally:
        expiry.cancel()
        loop.remove_reader(fd)
    # uvloop leaves a watched descriptor non-blocking; a reply larger than the pipe's buffer
    # then arrives in pieces and recv_bytes would fail with EAGAIN mid-message.
    os.set_blocking(fd, True)
    return conn.recv_bytes()


def _expire(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def worker_pid_alive(pid: int) -> bool:
    """Whether a process with this id still exists (signal 0 probes without signalling)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main(argv: list[str]) -> None:
    """`python -m api.workers FD STORE_PATH PREFIXES_JSON`: run one worker on socket FD."""
    fd, store_path, prefixes = int(argv[0]), argv[1], json.loads(argv[2])
    serve_queries(Connection(fd), store_path, prefixes)


if __name__ == "__main__":
    # run the imported module's copy, so that pickled replies name `api.workers.Reply`
    from api.workers import main as worker_main

    worker_main(sys.argv[1:])
