"""The three ways one client or one query could cost everyone else, played against a live server.

- `greedy_client`: one address keeps `greedy` connections busy with a heavy query while a light
  client at another address asks a quick one (its text varied, so no cached answer helps it);
  returns the light client's latencies and both clients' statuses.
- `memory_hungry`: one query that would grow its query process by gigabytes, while the memory
  of the whole server (the sum of its process tree's RSS, sampled every few milliseconds, and
  the VmHWM of the processes still alive) is watched; returns the peak and the answer.
- `killed_processes`: load from several connections while a query process is killed
  (SIGKILL, as the kernel's OOM killer would) every few seconds; returns requests and failures.

Clients on loopback play distinct addresses by binding their source address (Linux routes all
of 127/8 to lo). Used by `make load` (bench/load.py) and by tests/api/test_client_shares.py.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.common import process_tree, start_ours, tree_memory_mb

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f FILTER(?c = ?f) }"
LIGHT = "ASK {{ ?s ?p {n} }}"  # a new number each time: never a cached answer
HUNGRY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?a ?f LIMIT 5"
KILL_MIX = (
    "SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT {n}",
    "ASK {{ ?s ?p {n} }}",
    "SELECT (COUNT(*) AS ?c) WHERE {{ ?s a ?t }} LIMIT {n}",
)
LIGHT_P95_S = 0.5
PEAK_MB = 1500.0
GREEDY_ADDRESS = "127.0.0.2"
LIGHT_ADDRESS = "127.0.0.3"
KILL_ADDRESSES = ("127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7")


def client(address: str, timeout: float = 30.0) -> httpx.Client:
    """An HTTP client whose requests come from `address` (a loopback address other than .1)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=timeout)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@dataclass
class GreedyResult:
    seconds: float
    light_latencies: list[float] = field(default_factory=list)
    light_statuses: Counter[int] = field(default_factory=Counter)
    greedy_statuses: Counter[int] = field(default_factory=Counter)
    #: the first 429 of each limit: its setting -> (the error, the Retry-After header)
    refusals: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    @property
    def light_p95(self) -> float:
        return percentile(self.light_latencies, 0.95)

    @property
    def light_failures(self) -> int:
        return sum(n for status, n in self.light_statuses.items() if status != 200)

    def summary(self) -> str:
        greedy = ", ".join(f"{s}: {n}" for s, n in sorted(self.greedy_statuses.items()))
        light = ", ".join(f"{s}: {n}" for s, n in sorted(self.light_statuses.items()))
        return (
            f"light client: {len(self.light_latencies)} answers in {self.seconds:.1f} s, "
            f"p95 {self.light_p95 * 1000:.0f} ms, max {max(self.light_latencies or [0]) * 1000:.0f}"
            f" ms, statuses {light}; greedy client: statuses {greedy}"
        )


def greedy_client(
    base: str, seconds: float = 10.0, greedy: int = 8, pause: float = 0.05
) -> GreedyResult:
    """`greedy` connections from one address send HEAVY again and again (10 ms after a 429:
    a greedy client does not wait as told); one connection from another address sends LIGHT queries,
    `pause` seconds apart, for `seconds`."""
    result = GreedyResult(seconds)
    stop = threading.Event()
    lock = threading.Lock()

    def hog() -> None:
        with client(GREEDY_ADDRESS, timeout=60) as http:
            while not stop.is_set():
                try:
                    answer = http.get(base + "/sparql", params={"query": HEAVY})
                except httpx.HTTPError:
                    with lock:
                        result.greedy_statuses[0] += 1
                    continue
                if answer.status_code == 429:
                    time.sleep(0.01)  # not waiting as told, but not spinning the test's CPU
                with lock:
                    result.greedy_statuses[answer.status_code] += 1
                    if answer.status_code == 429:
                        with contextlib.suppress(ValueError, KeyError, TypeError):
                            body = answer.json()
                            result.refusals.setdefault(
                                body["detail"]["setting"],
                                (body["error"], answer.headers.get("retry-after")),
                            )

    hogs = [threading.Thread(target=hog, daemon=True) for _ in range(greedy)]
    for thread in hogs:
        thread.start()
    time.sleep(1.0)  # the greedy client has taken what it can
    deadline = time.monotonic() + seconds
    with client(LIGHT_ADDRESS) as http:
        for number in itertools.count(1):
            if time.monotonic() >= deadline:
                break
            began = time.perf_counter()
            try:
                status = http.get(
                    base + "/sparql", params={"query": LIGHT.format(n=number)}
                ).status_code
            except httpx.HTTPError:
                status = 0
            result.light_latencies.append(time.perf_counter() - began)
            result.light_statuses[status] += 1
            time.sleep(pause)
    stop.set()
    for thread in hogs:
        thread.join(70)
    return result


@dataclass
class MemoryResult:
    baseline_mb: float
    peak_mb: float
    seconds: float
    status: int
    error: str

    def summary(self) -> str:
        return (
            f"server memory {self.baseline_mb:.0f} MiB before, peak {self.peak_mb:.0f} MiB "
            f"(process tree, sampled); answer {self.status} after {self.seconds:.1f} s: "
            f"{self.error}"
        )


def memory_hungry(base: str, server_pid: int, address: str = LIGHT_ADDRESS) -> MemoryResult:
    """Send HUNGRY and watch the server's memory until the answer comes."""
    baseline = tree_memory_mb(server_pid)
    peak = baseline
    answer: list[httpx.Response | Exception] = []

    def ask() -> None:
        try:
            with client(address, timeout=120) as http:
                answer.append(http.get(base + "/sparql", params={"query": HUNGRY}))
        except httpx.HTTPError as exc:
            answer.append(exc)

    began = time.perf_counter()
    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    while thread.is_alive():
        peak = max(peak, tree_memory_mb(server_pid), tree_memory_mb(server_pid, "VmHWM"))
        time.sleep(0.005)
    seconds = time.perf_counter() - began
    peak = max(peak, tree_memory_mb(server_pid, "VmHWM"))
    got = answer[0]
    if isinstance(got, Exception):
        return MemoryResult(baseline, peak, seconds, 0, repr(got))
    try:
        error = str(got.json().get("error"))
    except ValueError:
        error = got.text[:200]
    return MemoryResult(baseline, peak, seconds, got.status_code, error)


def query_processes(server_pid: int) -> list[int]:
    """The server's query processes (`python -m api.query_process`), by id."""
    found = []
    for pid in process_tree(server_pid):
        with contextlib.suppress(OSError), open(f"/proc/{pid}/cmdline", "rb") as stream:
            if b"api.query_process" in stream.read():
                found.append(pid)
    return found


def _cpu_and_age(pid: int) -> tuple[float, float]:
    """A process's CPU seconds so far and its age in seconds (from /proc)."""
    with open(f"/proc/{pid}/stat", "rb") as stream:
        fields = stream.read().rsplit(b")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    with open("/proc/uptime", "rb") as stream:
        uptime = float(stream.read().split()[0])
    # after the command name: state is field 3, utime 14, stime 15, starttime 22 (1-based)
    return (int(fields[11]) + int(fields[12])) / ticks, uptime - int(fields[19]) / ticks


def busy_query_process(server_pid: int, timeout: float = 10.0, settled: float = 1.5) -> int:
    """The query process running a query: one that has used CPU in each of two 0.25 s looks,
    at least `settled` seconds old (younger ones may still be loading the graph)."""
    deadline = time.monotonic() + timeout
    seen: dict[int, float] = {}
    streak: dict[int, int] = {}
    while time.monotonic() < deadline:
        for pid in query_processes(server_pid):
            try:
                cpu, age = _cpu_and_age(pid)
            except (OSError, IndexError, ValueError):
                continue
            busy = pid in seen and cpu > seen[pid] and age >= settled
            streak[pid] = streak.get(pid, 0) + 1 if busy else 0
            seen[pid] = cpu
            if streak[pid] >= 2:
                return pid
        time.sleep(0.25)
    raise TimeoutError("no query process was running a query")


@dataclass
class KillResult:
    seconds: float
    kills: int
    statuses: Counter[int] = field(default_factory=Counter)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def failures(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != 200)

    def summary(self) -> str:
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        return (
            f"{self.requests} requests in {self.seconds:.0f} s with {self.kills} query processes "
            f"killed: {self.failures} failed ({statuses})"
        )


def killed_processes(
    base: str, server_pid: int, seconds: float = 24.0, every: float = 3.0
) -> KillResult:
    """Each of KILL_ADDRESSES' connections sends the KILL_MIX (numbers never repeated) for
    `seconds`; a query process is killed every `every` seconds, the processes taken in turn."""
    result = KillResult(seconds, 0)
    stop = threading.Event()
    lock = threading.Lock()
    numbers = itertools.count(1)

    def load(address: str) -> None:
        with client(address) as http:
            for template in itertools.cycle(KILL_MIX):
                if stop.is_set():
                    return
                query = template.format(n=next(numbers) + 1000)
                try:
                    status = http.get(base + "/sparql", params={"query": query}).status_code
                except httpx.HTTPError:
                    status = 0
                with lock:
                    result.statuses[status] += 1

    threads = [threading.Thread(target=load, args=(a,), daemon=True) for a in KILL_ADDRESSES]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(min(every, max(0.0, deadline - time.monotonic())))
        if time.monotonic() >= deadline:
            break
        victims = query_processes(server_pid)
        if victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(victims[result.kills % len(victims)], signal.SIGKILL)
                result.kills += 1
    stop.set()
    for thread in threads:
        thread.join(60)
    return result


def run_all(
    graph_dir: Path, workdir: Path, *, greedy_s: float = 10.0, kill_s: float = 24.0
) -> tuple[list[str], bool]:
    """The three scenarios, each on a fresh server with the default settings: the figures as
    lines to print, and whether each met its mark (the light client's p95 under 0.5 s without
    a failure and 429s for the greedy one; the memory-hungry query stopped at the memory limit
    with the server's peak under 1.5 GB; no failed request under kills)."""
    lines = []
    server = start_ours(
        "limits-greedy",
        graph_dir,
        workdir,
        extra_env={"EMKG_CACHE_BYTES": "0"},
        client_shares=True,
    )
    try:
        greedy = greedy_client(server.base, greedy_s)
    finally:
        server.stop()
    greedy_ok = (
        greedy.light_p95 < LIGHT_P95_S and not greedy.light_failures and greedy.greedy_statuses[429]
    )
    lines.append(f"  greedy client  {_mark(greedy_ok)} {greedy.summary()}")
    for setting, (error, retry_after) in sorted(greedy.refusals.items()):
        lines.append(f"                 429 ({setting}, Retry-After {retry_after}): {error}")
    server = start_ours("limits-memory", graph_dir, workdir, client_shares=True)
    try:
        memory = memory_hungry(server.base, server.pid)
    finally:
        server.stop()
    memory_ok = memory.status == 507 and memory.peak_mb < PEAK_MB
    lines.append(f"  memory hungry  {_mark(memory_ok)} {memory.summary()}")
    server = start_ours("limits-kills", graph_dir, workdir, client_shares=True)
    try:
        kills = killed_processes(server.base, server.pid, kill_s)
    finally:
        server.stop()
    kills_ok = kills.failures == 0 and kills.requests > 0
    lines.append(f"  killed procs   {_mark(kills_ok)} {kills.summary()}")
    return lines, bool(greedy_ok and memory_ok and kills_ok)


def _mark(ok: object) -> str:
    return "ok  " if ok else "MISS"


def main() -> int:
    from graph.build import DEFAULT_OUT, ensure_built

    workdir = Path(tempfile.mkdtemp(prefix="emkg-limits-"))
    try:
        lines, ok = run_all(ensure_built(DEFAULT_OUT), workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
