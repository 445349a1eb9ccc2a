"""`make load`: a bounded load test of our service alone, on loopback.

Starts the API (uvicorn, the graph in output/, built first if stale) and keeps 16 connections
busy for 60 s with a mix of canned queries (by name through `GET /queries/{name}` when the
service has it, else their SPARQL through `/sparql`) and raw SPARQL, both repeated and never
repeated (bench/mixes.py); samples the memory of the server's process tree every 5 s. Reports
total requests, errors (there must be none), the answers' statuses, p50/p99, and whether memory
stayed flat: the last sample within 10 % of the sample at 10 s. Exits 1 when either fails.

Then the limits that keep the endpoint serving everyone (bench/limits.py, each on a fresh server
with the default settings): a greedy client beside a light one (the light client's p95 and
failures, the greedy client's 429s), a memory-hungry query (the server's peak memory and the
error it got), and load with a query process killed every 3 s (requests and failures). Skip
them with --no-limits.

    .venv/bin/python -m bench.load [--duration 60] [--connections 16] [--interval 5]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import driver, limits
from bench.common import Server, start_ours
from bench.mixes import Request, api_mix, load_canned, sparql_mix
from bench.run import has_queries_route

FLAT_TOLERANCE = 0.10
REFERENCE_AT_S = 10.0


def load_mix(server: Server) -> list[Request]:
    """Canned (by name when possible) and raw queries, repeated and never repeated."""
    canned = load_canned()
    requests: list[Request] = []
    if has_queries_route(server):
        requests += api_mix(False, canned) + api_mix(True, canned)
    else:
        requests += [
            r
            for r in sparql_mix(server.sparql_path, False, canned)
            if r.label.startswith("canned:")
        ]
        requests += [
            r for r in sparql_mix(server.sparql_path, True, canned) if r.label.startswith("canned:")
        ]
    for unique in (False, True):
        requests += [
            r for r in sparql_mix(server.sparql_path, unique, canned) if r.label.startswith("raw:")
        ]
    return requests


def sample_memory(
    server: Server, interval: float, stop: threading.Event, samples: list[tuple[float, float]]
) -> None:
    began = time.perf_counter()
    while True:
        samples.append((time.perf_counter() - began, server.rss_mb()))
        if stop.wait(interval):
            samples.append((time.perf_counter() - began, server.rss_mb()))
            return


def flat(samples: list[tuple[float, float]]) -> tuple[bool, str]:
    """Whether the last sample is within 10 % of the one at 10 s (or the first one after it)."""
    if len(samples) < 2:
        return True, "too short to tell"
    reference = next(((t, m) for t, m in samples if t >= REFERENCE_AT_S - 0.5), samples[1])
    last = samples[-1]
    change = (last[1] - reference[1]) / reference[1] if reference[1] else 0.0
    ok = abs(change) <= FLAT_TOLERANCE
    return ok, (
        f"{reference[1]:.1f} MiB at {reference[0]:.0f} s -> {last[1]:.1f} MiB at "
        f"{last[0]:.0f} s ({change:+.1%}, tolerance {FLAT_TOLERANCE:.0%})"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    p.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--threads", type=int, default=2, help="load generator threads (wrk)")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between memory samples")
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    p.add_argument(
        "--pool-size", type=int, default=None, help="query processes per worker (default: cores)"
    )
    p.add_argument("--graph-dir", type=Path, default=None, help="default: output/, built if stale")
    p.add_argument("--httpx", action="store_true", help="use the asyncio+httpx load generator")
    p.add_argument(
        "--no-limits", action="store_true", help="skip the fair-share, memory and kill scenarios"
    )
    args = p.parse_args(argv)

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    graph_dir = args.graph_dir
    if graph_dir is None:
        from graph.build import DEFAULT_OUT, ensure_built

        graph_dir = ensure_built(DEFAULT_OUT)
    workdir = Path(tempfile.mkdtemp(prefix="emkg-load-"))
    server = start_ours("ours", graph_dir, workdir, workers=args.workers, pool_size=args.pool_size)
    try:
        progress(f"our service up in {server.startup_s:.2f} s at {server.base}")
        requests = load_mix(server)
        progress(
            f"{len(requests)} request templates, {args.connections} connections, "
            f"{args.duration:g} s"
        )
        samples: list[tuple[float, float]] = []
        stop = threading.Event()
        sampler = threading.Thread(
            target=sample_memory, args=(server, args.interval, stop, samples), daemon=True
        )
        sampler.start()
        try:
            result = driver.run(
                server.base,
                requests,
                duration=args.duration,
                connections=args.connections,
                threads=args.threads,
                timeout=30.0,
                use_wrk=False if args.httpx else None,
            )
        finally:
            stop.set()
            sampler.join(30)
        server.note_memory()
        alive = server.process.poll() is None
    finally:
        server.stop()
        log_tail = server.tail(5)
    limit_lines: list[str] = []
    limits_ok = True
    try:
        if not args.no_limits:
            progress("limits: a greedy client, a memory-hungry query, killed query processes")
            limit_lines, limits_ok = limits.run_all(graph_dir, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    memory_ok, memory_line = flat(samples)
    print()
    print(
        f"Load: our service, {args.workers} uvicorn worker(s) x {args.pool_size or 'one per core'} query "
        f"processes, {args.connections} connections, {result.seconds:.1f} s ({result.tool})"
    )
    print(f"  requests     {result.requests} ({result.rps:.1f}/s)")
    print(f"  errors       {result.errors} {result.socket_errors or ''}")
    statuses = ", ".join(f"{code}: {count}" for code, count in sorted(result.statuses.items()))
    print(f"  statuses     {statuses}")
    print(
        f"  latency      p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, max {result.max_ms:.1f} ms"
    )
    print(
        "  memory (RSS of the process tree, MiB) every "
        f"{args.interval:g} s: " + ", ".join(f"{m:.0f}" for _, m in samples)
    )
    print(f"  peak RSS     {server.peak_rss_mb:.1f} MiB (VmHWM summed over the tree)")
    print(f"  memory flat  {'yes' if memory_ok else 'NO'}: {memory_line}")
    print(f"  server alive at the end: {'yes' if alive else 'NO'}")
    if limit_lines:
        print("  limits (a fresh server each, default settings):")
        print("\n".join(limit_lines))
    ok = result.errors == 0 and memory_ok and alive and result.requests > 0 and limits_ok
    print(f"  verdict      {'PASS' if ok else 'FAIL'}")
    if not ok and log_tail:
        print("  server log (last lines):\n" + log_tail)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
