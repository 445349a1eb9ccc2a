"""A warm pool of query processes over one graph, in the server.

pyoxigraph cannot interrupt a running query, so a query runs in a query process
(`api.query_process`) and the time limit is kept by killing that process: its CPU is released
at once, a replacement starts in the background, and the other processes keep answering.

A query process is a plain `python -m api.query_process` (~70 ms to start, only at start-up and
after a kill) talking over a socket pair; unlike multiprocessing's spawn or forkserver, this
never re-imports the server's `__main__`, so any way of launching the server works. The event
loop never blocks on a process: each socket is an asyncio connection whose protocol collects
length-prefixed frames, so a job costs one write and one read callback.

Jobs wait for a free process in one queue, ordered so that a slow query does not hold up quick
ones: the pool remembers how long queries of each shape (the text with its literals and numbers
blanked) took when they took long, and a waiting job's turn is its arrival time plus
`COST_WEIGHT` times that cost (at most `MAX_DELAY_SECONDS`). A new shape counts as quick; a
slower query still gets its turn once the quicker ones that arrived within that delay have gone.
And a free process whose peers all run shapes known to be slow takes a quick job first, so slow
queries never hold every process while quick ones wait: the quick ones, most of the answers,
are served at once, as a threaded server's time-slicing would. While no job has taken long for
`ORDER_SECONDS`, every job counts as quick and no shape is computed (a never-repeated query's
shape costs about as much as its guard).

Ordering cannot help when every process is running a long query. Then, once they all have run
for `spare_after` seconds and a job is waiting, the pool starts a spare process (up to `spares`
of them), so that quick queries are answered beside the long ones, the operating system sharing
the cores between them. Spares take only jobs whose shape is not known to be slow, so long
queries cannot occupy them too; a spare idle for `spare_idle` seconds is stopped again.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import pickle
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Coroutine, Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pyoxigraph as ox

from api.fair_queue import FairQueue
from api.memory_limit import died_of_memory
from api.query_process import HEADER, READY, Job, Reply, answer

#: what a query process (started without `site`) finds on its path: this package, and the
#: folder pyoxigraph is installed in
QUERY_PROCESS_PATH = tuple(
    dict.fromkeys(
        str(folder)
        for folder in (Path(__file__).resolve().parents[1], Path(ox.__file__).resolve().parents[1])
    )
)

log = logging.getLogger("emkg.workers")

#: a job that ran at least this long teaches the pool the cost of its shape, which then waits
#: behind quicker ones (well above what a small query takes on a busy machine: while no shape
#: is known, the pool computes no shapes at all)
LEARN_SECONDS = 0.02
#: a waiting job's turn is its arrival time plus this many times its shape's cost: quicker jobs
#: that arrive within that delay go first (measured at a million triples: 1 to 3 give the same
#: p50 to the canned queries, 10 tripled the p99 of the slower raw ones)
COST_WEIGHT = 2.0
#: and never more than this (nor half its time limit): a slow query is not put back for seconds
MAX_DELAY_SECONDS = 1.0
#: the queue is ordered by cost only this long after a job took LEARN_SECONDS or more: while
#: every job is quick, arrival order is all there is, and no query's shape is computed
ORDER_SECONDS = 10.0
MAX_SHAPES = 4096
_SHAPE = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|\b\d+(?:\.\d*)?(?:[eE][+-]?\d+)?")


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


class QueryProcessDiedError(WorkerLostError):
    """The process running the query died (not at the time or memory limit): a read may be run
    again on another process."""


class MemoryLimitError(PoolError):
    def __init__(self, limit: int, pid: int) -> None:
        super().__init__(f"the query needed more than {limit} bytes of memory and was stopped")
        self.limit = limit
        self.pid = pid


def query_shape(sparql: str) -> str:
    """The query with string literals and numbers blanked: queries that differ only in their
    values share a shape, and usually a cost."""
    return _SHAPE.sub("?", sparql)


# ---------------------------------------------------------------- one query process


class _Channel(asyncio.Protocol):
    """The server's end of a query process's socket: frames in, handed to `on_frame` (the pool)
    as they arrive, or kept for `next_frame` until the pool takes the process on."""

    def __init__(self) -> None:
        self.transport: asyncio.WriteTransport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[bytes] | None = None
        self.early: list[bytes] = []  # frames that came while nobody waited (the ready frame)
        self.closed = False
        self.on_frame: Callable[[bytes], None] | None = None
        self.on_lost: Callable[[Exception | None], None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio's classes, only their kind
        self.transport = cast(asyncio.WriteTransport, transport)

    def data_received(self, data: bytes) -> None:
        if not self.buffer and len(data) >= HEADER:
            size = int.from_bytes(data[:HEADER], "little")
            if len(data) == HEADER + size:  # the usual case: one whole frame
                self._deliver(data[HEADER:])
                return
        self.buffer += data
        while len(self.buffer) >= HEADER:
            size = int.from_bytes(self.buffer[:HEADER], "little")
            if len(self.buffer) < HEADER + size:
                return
            frame = bytes(self.buffer[HEADER : HEADER + size])
            del self.buffer[: HEADER + size]
            self._deliver(frame)

    def _deliver(self, frame: bytes) -> None:
        if self.on_frame is not None:
            self.on_frame(frame)
            return
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(frame)
        else:
            self.early.append(frame)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(WorkerLostError(f"the query process closed its socket ({exc!r})"))
        if self.on_lost is not None:
            self.on_lost(exc)

    def send(self, payload: bytes) -> None:
        assert self.transport is not None
        self.transport.write(len(payload).to_bytes(HEADER, "little") + payload)

    def next_frame(self) -> asyncio.Future[bytes]:
        """A future for the next frame (already done if one came early)."""
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        if self.early:
            future.set_result(self.early.pop(0))
        elif self.closed:
            future.set_exception(WorkerLostError("the query process has closed its socket"))
        else:
            self.waiter = future
        return future


@dataclass(eq=False)
class _Task:
    """One job in the pool: waiting in line, then running in a process."""

    payload: bytes
    sparql: str
    timeout: float
    reply: asyncio.Future[bytes]
    worker: _Worker | None = None
    started: float = 0.0
    expiry: asyncio.TimerHandle | None = None
    client: Hashable = None  # whose query: its line in the queue, whom its time is charged to
    shape: str | None = None  # computed while the queue is ordered by cost
    cost: float = 0.0  # its shape's learnt cost; 0: quick, or not known


#: seconds a stopped process's stderr may take to reach its end once the process is gone
LAST_WORDS_WAIT = 1.0


class _LastWords(asyncio.Protocol):
    """A query process's stderr, passed on to ours, its last bytes kept: they tell an abort at
    the memory limit (`api.memory_limit.died_of_memory`) from a crash."""

    KEEP = 4096

    def __init__(self) -> None:
        self.tail = b""
        self.closed = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        self.tail = (self.tail + data)[-self.KEEP :]
        with contextlib.suppress(Exception):
            sys.stderr.write(data.decode("utf-8", "replace"))
            sys.stderr.flush()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen[bytes]
    channel: _Channel
    last_words: _LastWords | None = None
    triples: int = 0
    spare: bool = False
    current: _Task | None = None
    busy_since: float | None = None  # the loop's time its current job started
    idle_since: float = 0.0
    stopping: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def close(self) -> None:
        if self.channel.transport is not None:
            self.channel.transport.close()
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()


@dataclass(order=True)
class _Waiting:
    turn: float
    number: int
    task: _Task = field(compare=False)
    quick: bool = field(default=True, compare=False)  # not a shape known to be slow

    def gone(self) -> bool:
        return self.task.reply.done()


# ---------------------------------------------------------------- the pool


class WorkerPool:
    """`size` warm query processes over a graph; `run` gives each job a time limit.

    `source` is where the processes find the graph: an on-disk store's folder (a path, or
    `{"store": path}`) or `{"files": [N-Triples paths]}` to load into memory.

    The queue is worked from the processes' own callbacks: when a reply arrives, the next job
    in line is written to that process before anything else runs, so a process is not left
    idle while the server's event loop attends to other requests.
    """

    def __init__(
        self,
        source: Path | Mapping[str, Any],
        size: int,
        prefixes: Mapping[str, str] | None = None,
        *,
        start_timeout: float = 60.0,
        spares: int = 0,
        spare_after: float = 0.5,
        spare_idle: float = 10.0,
        memory_budget: int = 0,
        on_ran: Callable[[Hashable, float], None] | None = None,
    ) -> None:
        self.source: dict[str, Any] = (
            {"store": str(source)} if isinstance(source, Path) else dict(source)
        )
        self.size = size
        self.spares = spares
        self.spare_after = spare_after
        self.spare_idle = spare_idle
        self._starting_spares = 0
        self._spare_check: asyncio.TimerHandle | None = None
        self.prefixes = dict(prefixes or {})
        self.start_timeout = start_timeout
        self.triples = 0  # as the first process counted them
        self._idle: list[_Worker] = []
        self._workers: set[_Worker] = set()
        self._waiting: FairQueue[_Waiting] = FairQueue()
        self.memory_budget = memory_budget  # bytes a query may add to its process; 0: no limit
        self.on_ran = on_ran  # told each job's client and the seconds it held a process
        self._numbers = itertools.count()
        self._costs: dict[str, float] = {}  # query shape -> seconds, for shapes seen to be slow
        self._slow_once: dict[str, float] = {}  # shapes seen to take long once: not yet trusted
        self._order_until = 0.0  # the loop's time until which the queue is ordered by cost
        self._background: set[asyncio.Task[None]] = set()
        self._closed = False

    @property
    def pids(self) -> list[int]:
        """The process ids of the live query processes (for tests and diagnostics)."""
        return sorted(worker.pid for worker in self._workers)

    async def start(self) -> None:
        await asyncio.gather(*(self._add_worker() for _ in range(self.size)))

    async def run(self, job: Job, timeout: float, client: Hashable = None) -> Reply:
        """The process's reply; raises QueryTimeoutError, MemoryLimitError, PoolBusyError or
        WorkerLostError (QueryProcessDiedError when the process died under the query).

        Waiting for a free process and running the query each have `timeout` seconds; `client`
        waits in its own line, served in turn with the others' (`api.fair_queue`).
        """
        if self._closed:
            raise WorkerLostError("the query pool is shut down")
        loop = asyncio.get_running_loop()
        payload = pickle.dumps(tuple(job), protocol=pickle.HIGHEST_PROTOCOL)
        task = _Task(payload, job.sparql, timeout, loop.create_future(), client=client)
        now = loop.time()
        if self._costs and now < self._order_until:
            task.shape = query_shape(job.sparql)
            task.cost = self._costs.get(task.shape, 0.0)
        if self._idle:
            self._dispatch(self._idle.pop(), task)
        else:
            delay = min(COST_WEIGHT * task.cost, MAX_DELAY_SECONDS, timeout / 2)
            waiting = _Waiting(now + delay, next(self._numbers), task, not task.cost)
            self._waiting.push(client, waiting)
            task.expiry = loop.call_later(timeout, self._waited_too_long, task)
            if self.spares:
                if waiting.quick and client is not None:
                    self._spare_for_a_crowded_out_client(client)
                self._plan_spare_check()
        try:
            frame = await task.reply
        except QueryTimeoutError:
            if task.worker is not None and task.worker.stopping is not None:
                await asyncio.shield(task.worker.stopping)  # gone before the caller hears it
            raise
        except asyncio.CancelledError:
            self._abandon(task)
            raise
        try:
            return Reply(*pickle.loads(frame))  # noqa: S301 (our process's)
        except (pickle.UnpicklingError, EOFError, TypeError) as exc:
            raise WorkerLostError(f"the query process answered garbage ({exc!r})") from exc

    async def close(self) -> None:
        self._closed = True
        if self._spare_check is not None:
            self._spare_check.cancel()
        for task in list(self._background):
            task.cancel()
        for waiting in self._waiting:
            _fail(waiting.task, WorkerLostError("the query pool is shut down"))
        workers, self._workers, self._idle = list(self._workers), set(), []
        for worker in workers:
            if worker.current is not None:
                _fail(worker.current, WorkerLostError("the query pool is shut down"))
            worker.close()
        await asyncio.gather(*(asyncio.to_thread(w.process.wait, 10) for w in workers))

    # ------------------------------------------------------------------ the queue

    def _dispatch(self, worker: _Worker, task: _Task) -> None:
        loop = asyncio.get_running_loop()
        if task.expiry is not None:
            task.expiry.cancel()
        task.worker = worker
        task.started = worker.busy_since = loop.time()
        task.expiry = loop.call_later(task.timeout, self._ran_too_long, task)
        worker.current = task
        try:
            worker.channel.send(task.payload)
        except Exception as exc:  # a process whose socket has just closed
            self._on_lost(worker, exc)

    def _on_frame(self, worker: _Worker, frame: bytes) -> None:
        """A reply: to its job, and the process straight on to the next job in line."""
        task, worker.current, worker.busy_since = worker.current, None, None
        if task is None:
            return
        if task.expiry is not None:
            task.expiry.cancel()
        if not task.reply.done():
            task.reply.set_result(frame)
        seconds = asyncio.get_running_loop().time() - task.started
        if self.on_ran is not None:
            self.on_ran(task.client, seconds)
        self._learn(task.sparql, seconds, task.shape)
        self._release(worker)

    def _release(self, worker: _Worker) -> None:
        """A free process: to the first job in line still waiting, or idle. A spare takes the
        first that is not of a shape known to be slow; so does a process whose every peer is
        running such a shape, if one waits (slow queries never hold all the processes while
        quick ones wait)."""
        if worker not in self._workers:
            return
        if worker.spare:
            task = self._next_quick()
        elif self._peers_on_slow(worker):
            task = self._next_quick() or self._next()
        else:
            task = self._next()
        if task is not None:
            self._dispatch(worker, task)
            return
        self._idle.append(worker)
        if worker.spare:
            loop = asyncio.get_running_loop()
            worker.idle_since = loop.time()
            loop.call_later(self.spare_idle, self._stop_idle_spare, worker, worker.idle_since)

    def _peers_on_slow(self, worker: _Worker) -> bool:
        """Whether there are other processes and each runs a shape known to be slow."""
        if not self._costs:
            return False
        peers = [w for w in self._workers if w is not worker]
        return bool(peers) and all(w.current is not None and w.current.cost for w in peers)

    def _next(self) -> _Task | None:
        waiting = self._waiting.pop()
        return None if waiting is None else waiting.task

    def _next_quick(self) -> _Task | None:
        """Spares keep to quick jobs, so slow ones cannot take every process."""
        waiting = self._waiting.pop_quick()
        return None if waiting is None else waiting.task

    def _waited_too_long(self, task: _Task) -> None:
        if task.worker is None:
            _fail(
                task,
                PoolBusyError(
                    f"all {self.size} query processes stayed busy for {task.timeout:g} s"
                ),
            )

    def _ran_too_long(self, task: _Task) -> None:
        worker = task.worker
        if worker is None or worker.current is not task:
            return
        log.warning("query process %s killed after %g s", worker.pid, task.timeout)
        self._kill(worker)
        self._charge(task)
        # its shape is slow, though it never answered (no busy machine's doing: trusted at once)
        self._learn(task.sparql, task.timeout, task.shape, certain=True)
        _fail(task, QueryTimeoutError(task.timeout, worker.pid))

    def _abandon(self, task: _Task) -> None:
        """The caller went away: a waiting job leaves the line (its future is cancelled), a
        running one has its process stopped and replaced."""
        if task.expiry is not None:
            task.expiry.cancel()
        worker = task.worker
        if worker is not None and worker.current is task:
            self._kill(worker)
            self._charge(task)

    def _on_lost(self, worker: _Worker, exc: Exception | None) -> None:
        """A process died: replaced at once; its job learns why once the process is waited
        for (its exit status tells the memory limit's abort from any other death)."""
        task = worker.current
        if worker in self._workers:
            self._kill(worker)
        if task is None:
            return
        self._charge(task)
        if worker.stopping is None:
            _fail(task, QueryProcessDiedError(f"the query process stopped ({exc!r})"))
            return
        worker.stopping.add_done_callback(lambda _: self._report_death(task, worker, exc))

    def _report_death(self, task: _Task, worker: _Worker, exc: Exception | None) -> None:
        status = worker.process.returncode
        last_words = worker.last_words.tail if worker.last_words is not None else b""
        if self.memory_budget and died_of_memory(status, last_words):
            log.warning("query process %s stopped at the memory limit", worker.pid)
            _fail(task, MemoryLimitError(self.memory_budget, worker.pid))
        else:
            log.warning("query process %s died (exit status %s)", worker.pid, status)
            _fail(
                task,
                QueryProcessDiedError(
                    f"the query process stopped unexpectedly (exit status {status}, {exc!r})"
                ),
            )

    def _charge(self, task: _Task) -> None:
        """Tell `on_ran` how long a job held its process (when it ended other than answered)."""
        if self.on_ran is not None and task.started:
            self.on_ran(task.client, asyncio.get_running_loop().time() - task.started)

    def _kill(self, worker: _Worker) -> None:
        """Stop a process now (it is waited for in the background) and start its replacement."""
        if worker not in self._workers:
            return
        self._workers.discard(worker)
        with contextlib.suppress(ValueError):
            self._idle.remove(worker)
        worker.current = worker.busy_since = None
        worker.stopping = asyncio.get_running_loop().create_task(self._stop(worker))
        self._background.add(worker.stopping)
        worker.stopping.add_done_callback(self._background.discard)
        if not worker.spare and not self._closed:
            self._background_task(self._replace())

    def _learn(
        self, sparql: str, seconds: float, shape: str | None = None, *, certain: bool = False
    ) -> None:
        """Remember the cost of a shape seen to take long twice (once may be a busy machine's
        doing), or once if `certain`; forget it when it has become quick. `shape`: the query's,
        if already computed (a quick job's is computed for nothing else)."""
        if seconds < LEARN_SECONDS and (shape is None or shape not in self._costs):
            if shape is not None:
                self._slow_once.pop(shape, None)
            return
        if seconds >= LEARN_SECONDS:
            self._order_until = asyncio.get_running_loop().time() + ORDER_SECONDS
        shape = shape if shape is not None else query_shape(sparql)
        known = self._costs.pop(shape, None)
        if known is None:
            known = self._slow_once.pop(shape, None)
            if known is None and certain:
                known = seconds
            if known is None:  # the first time: not trusted yet
                _remember(self._slow_once, shape, seconds)
                return
        cost = (known + seconds) / 2
        if cost >= LEARN_SECONDS:
            _remember(self._costs, shape, cost)

    # ------------------------------------------------------------------ spares

    def _plan_spare_check(self) -> None:
        """Look again when the busiest-for-least-long process will have run `spare_after`."""
        if self._spare_check is not None or self._closed:
            return
        started = [w.busy_since for w in self._workers if w.busy_since is not None]
        if not started:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, max(started) + self.spare_after - loop.time())
        self._spare_check = loop.call_later(delay, self._check_spares)

    def _check_spares(self) -> None:
        self._spare_check = None
        if self._closed or not self._waiting.has_quick():
            return
        now = asyncio.get_running_loop().time()
        if self._idle or not self._room_for_a_spare():
            return
        if all(
            w.busy_since is not None and now - w.busy_since >= self.spare_after
            for w in self._workers
        ):
            self._start_spare()
        self._plan_spare_check()

    def _spare_for_a_crowded_out_client(self, client: Hashable) -> None:
        """A quick job of a client none of whose jobs holds a process, while every process runs
        another client's: a spare at once (within `spares`), not after `spare_after`, so that
        one client's long queries do not keep the others waiting (`api.client_shares`)."""
        if self._idle or self._closed:
            return
        if any(w.current is None or w.current.client == client for w in self._workers):
            return
        if self._room_for_a_spare():
            self._start_spare()

    def _room_for_a_spare(self) -> bool:
        """Fewer spares running or starting than `spares`."""
        return sum(w.spare for w in self._workers) + self._starting_spares < self.spares

    def _start_spare(self) -> None:
        self._starting_spares += 1
        self._background_task(self._add_spare())

    async def _add_spare(self) -> None:
        try:
            await self._add_worker(spare=True)
        except Exception:
            log.exception("could not start a spare query process")
        finally:
            self._starting_spares -= 1

    def _stop_idle_spare(self, worker: _Worker, idle_from: float) -> None:
        if worker in self._idle and worker.idle_since == idle_from and not self._closed:
            self._idle.remove(worker)
            self._workers.discard(worker)
            self._background_task(self._stop(worker))

    # ------------------------------------------------------------------ processes

    async def _add_worker(self, *, spare: bool = False) -> None:
        worker = await self._launch()
        worker.spare = spare
        if self._closed:
            await self._stop(worker)
            return
        self._workers.add(worker)
        self.triples = self.triples or worker.triples
        worker.channel.on_frame = lambda frame: self._on_frame(worker, frame)
        worker.channel.on_lost = lambda exc: self._on_lost(worker, exc)
        self._release(worker)

    async def _launch(self) -> _Worker:
        ours, theirs = socket.socketpair()
        path = os.environ.get("PYTHONPATH")
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [*QUERY_PROCESS_PATH, path])),
        }
        config = json.dumps(
            {"source": self.source, "prefixes": self.prefixes, "memory_budget": self.memory_budget}
        )
        # started on the event loop's thread: the process's death signal follows that thread;
        # -S: without the `site` module (and the .pth files it runs), which would add megabytes
        # to every process; the path holds this package and pyoxigraph's, all a process imports
        process = subprocess.Popen(
            [sys.executable, "-S", "-m", "api.query_process", str(theirs.fileno()), config],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=environment,
        )
        theirs.close()
        channel = _Channel()
        last_words = _LastWords()
        loop = asyncio.get_running_loop()
        try:
            assert process.stderr is not None
            await loop.connect_read_pipe(lambda: last_words, process.stderr)
            await loop.create_unix_connection(lambda: channel, sock=ours)
        except BaseException:
            ours.close()
            process.kill()
            await asyncio.to_thread(process.wait, 10)
            raise
        worker = _Worker(process, channel, last_words)
        try:
            ready = channel.next_frame()
            expiry = loop.call_later(self.start_timeout, _expire, ready)
            try:
                message = pickle.loads(await ready)  # noqa: S301 (our process's)
            finally:
                expiry.cancel()
        except BaseException:
            await self._stop(worker)
            raise
        if not (isinstance(message, tuple) and message and message[0] == READY):
            await self._stop(worker)
            reason = message[1] if isinstance(message, tuple) and len(message) > 1 else message
            raise RuntimeError(f"a query process failed to start: {reason}")
        worker.triples = int(message[1])
        return worker

    @staticmethod
    async def _stop(worker: _Worker) -> None:
        worker.close()
        await asyncio.to_thread(worker.process.wait, 10)
        if worker.last_words is not None:  # its stderr read to the end: its last words known
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(worker.last_words.closed), LAST_WORDS_WAIT)

    async def _replace(self) -> None:
        delay = 0.5
        while not self._closed:
            try:
                await self._add_worker()
                return
            except Exception:
                log.exception("could not start a replacement query process; retrying")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    def _background_task(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def _remember(costs: dict[str, float], shape: str, cost: float) -> None:
    """A shape's cost, the most recently seen last; the least recently seen go past MAX_SHAPES."""
    costs[shape] = cost
    if len(costs) > MAX_SHAPES:
        del costs[next(iter(costs))]


def _fail(task: _Task, error: Exception) -> None:
    if task.expiry is not None:
        task.expiry.cancel()
    if not task.reply.done():
        task.reply.set_exception(error)


def _expire(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())


def worker_pid_alive(pid: int) -> bool:
    """Whether a process with this id still exists (signal 0 probes without signalling)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


__all__ = [
    "Job",
    "MemoryLimitError",
    "PoolBusyError",
    "PoolError",
    "QueryProcessDiedError",
    "QueryTimeoutError",
    "Reply",
    "WorkerLostError",
    "WorkerPool",
    "answer",
    "query_shape",
    "worker_pid_alive",
]
