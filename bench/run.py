"""`make bench`: our service against Oxigraph server and rdflib-endpoint on the same graph.

Builds the graph into a temporary folder; then, one at a time and each on loopback, starts
Oxigraph server (`oxigraph serve-read-only` on a store loaded by `oxigraph load` and optimized),
our API under uvicorn (`--factory api.app:create_app`) with 1 and with 2 worker processes, and
rdflib-endpoint; sends each request of the mixes once in turn, to warm up, to compare the size of
every answer with Oxigraph's and to time one pass; then drives each system at 16 connections
with the mixes of bench/mixes.py. Raw mixes run for a fixed time under wrk; canned mixes, whose
queries take up to seconds, run as whole passes over their queries (about the same time's
work), so that no slow query is left uncounted in flight. Prints requests, req/s of successful
answers, p50 and p99 per system and mix, the ratios, build and start-up times and peak memory,
the CPU each system spends per raw query and, for ours, where it goes (bench/breakdown.py:
py-spy on every process while one connection sends never-repeated queries). Then the scale run
(bench/scale.py) unless told not to, and whether each target is met.

    .venv/bin/python -m bench.run [--duration 10] [--rdflib-duration 3] [--no-scale] [--json F]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import breakdown, driver
from bench.common import (
    ONTOLOGY,
    Server,
    build_graph,
    oxigraph_load,
    start_ours,
    start_oxigraph,
    start_rdflib,
)
from bench.mixes import Canned, Request, api_mix, load_canned, sparql_mix

#: the mixes every system runs; "api-*" only ours, when it has GET /queries
SPARQL_MIXES = ("canned-repeated", "canned-unique", "raw-repeated", "raw-unique")
API_MIXES = ("api-repeated", "api-unique")
REPEATED = ("canned-repeated", "raw-repeated", "api-repeated")
#: the other systems' mix that runs the same queries as ours' api mix (api-unique runs only the
#: date and amount queries, so it has none)
COUNTERPART = {"api-repeated": "canned-repeated", "api-unique": "-"}

#: raw never-repeated queries: our req/s at least this share of Oxigraph server's
TARGET_RAW_UNIQUE = {"ours-1w": 0.7, "ours-2w": 1.0}
#: every raw mix: our p99 at most this many times Oxigraph's, plus TARGET_P99_SLACK_MS
TARGET_P99_FACTOR = 2.0
TARGET_P99_SLACK_MS = 5.0
#: canned answers (the canned queries' SPARQL repeated, and GET /queries/{name}): req/s
TARGET_CANNED = 3.0
CANNED_MIXES = ("canned-repeated", "api-repeated")
RAW_MIXES = ("raw-repeated", "raw-unique")
TARGET_RDFLIB = 20.0
#: peak RSS of one uvicorn worker and its query processes on the letter's graph
TARGET_RSS_MIB = 150.0


@dataclass
class Options:
    duration: float = 10.0
    rdflib_duration: float = 3.0
    connections: int = 16
    threads: int = 2
    pool_size: int | None = None  # query processes per uvicorn worker; None: one per core
    use_wrk: bool | None = None
    systems: tuple[str, ...] = ("oxigraph", "ours-1w", "ours-2w", "rdflib-endpoint")
    profile_duration: float = 5.0  # the py-spy breakdown of ours-1w; 0 skips it


@dataclass
class SystemReport:
    name: str
    kind: str
    prep_s: float
    startup_s: float
    peak_rss_mb: float
    results: dict[str, driver.Result] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)  # request label -> size signature
    cpu: dict[str, breakdown.CpuUse] = field(default_factory=dict)  # raw mixes: CPU per request
    spent: breakdown.Breakdown | None = None  # ours-1w: where a raw query's time goes


def mix_requests(mix: str, sparql_path: str, canned: list[Canned]) -> list[Request]:
    """The requests of one mix for an endpoint at `sparql_path`."""
    unique = mix.endswith("-unique")
    if mix.startswith("api-"):
        return api_mix(unique, canned)
    everything = sparql_mix(sparql_path, unique, canned)
    prefix = "canned:" if mix.startswith("canned-") else "raw:"
    return [request for request in everything if request.label.startswith(prefix)]


def signature(response: httpx.Response) -> str:
    """The size of an answer: rows, a boolean, or triples; or the error status."""
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    try:
        if "json" in media_type:
            data = response.json()
            if isinstance(data, dict) and "boolean" in data:
                return f"ask {str(data['boolean']).lower()}"
            if isinstance(data, dict) and "results" in data:
                return f"{len(data['results']['bindings'])} rows"
            if isinstance(data, dict) and "rows" in data:  # GET /queries/{name}: paged
                total = data.get("total")
                return f"{total if isinstance(total, int) else len(data['rows'])} rows"
        lines = [line for line in response.text.splitlines() if line.strip()]
        return f"{len(lines)} triples"
    except ValueError:
        return "unreadable"


def check_answers(
    server: Server, requests: list[Request]
) -> tuple[dict[str, str], dict[str, float]]:
    """Each request once, in turn (also a warm-up): its answer's size and its seconds."""
    answers, seconds = {}, {}
    with httpx.Client(base_url=server.base, timeout=300) as client:
        for request in requests:
            began = time.perf_counter()
            response = client.request(
                request.method, request.path, content=request.body, headers=request.headers()
            )
            seconds[request.label] = time.perf_counter() - began
            answers[request.label] = signature(response)
    return answers, seconds


def wait_idle(server: Server, timeout: float = 300.0) -> None:
    """Until a trivial query is answered at once. A server does not stop the work of clients
    that went away: a cell must not start while the last one's queue is being worked off."""
    deadline = time.monotonic() + timeout
    probe = {"query": "ASK {}"}
    headers = {"Accept": "application/sparql-results+json"}
    with httpx.Client(base_url=server.base, timeout=timeout) as client:
        while time.monotonic() < deadline:
            began = time.perf_counter()
            try:
                client.post(server.sparql_path, data=probe, headers=headers)
            except httpx.HTTPError:
                time.sleep(0.5)
                continue
            if time.perf_counter() - began < 0.25:
                return
            time.sleep(0.2)


def has_queries_route(server: Server) -> bool:
    try:
        return httpx.get(server.base + "/queries", timeout=10).status_code == 200
    except httpx.HTTPError:
        return False


#: mixes whose queries take long enough that a run of fixed length would leave the slowest in
#: flight uncounted: they are run as a fixed number of whole passes instead (driver.run_fixed)
WHOLE_PASSES = ("canned-", "api-")
MAX_PASSES = 200


def measure(
    server: Server,
    mixes: tuple[str, ...],
    canned: list[Canned],
    options: Options,
    duration: float,
    timeout: float,
    first_number: int,
    progress: Callable[[str], None],
    sweep_s: dict[str, float],
    slow: bool = False,
    cpu: dict[str, breakdown.CpuUse] | None = None,
) -> dict[str, driver.Result]:
    """Drive the server with each mix in turn.

    Raw mixes run for `duration` (for a `slow` system, at least 1.5 passes over the mix, up to
    60 s). Canned mixes run as whole passes over their queries, as many as one pass in turn
    (`sweep_s`, timed when the answers were checked) says fill about `duration` at 2 queries at
    a time, at least one.
    """
    results = {}
    for index, mix in enumerate(mixes):
        requests = mix_requests(mix, server.sparql_path, canned)
        if not requests:
            continue
        sweep = sum(sweep_s.get(r.label, 0.0) for r in requests)
        number = first_number + index * 100_000_000
        wait_idle(server)
        if mix.startswith(WHOLE_PASSES):
            passes = max(1, min(MAX_PASSES, round(duration * 2 / sweep) if sweep else MAX_PASSES))
            progress(
                f"  {server.name} {mix}: {len(requests)} requests x {passes} passes "
                f"(one pass in turn: {sweep:.2f} s)"
            )
            results[mix] = driver.run_fixed(
                server.base,
                requests,
                total=passes * len(requests),
                connections=options.connections,
                timeout=timeout,
                first_number=number,
            )
        else:
            seconds = min(60.0, max(duration, 1.5 * sweep)) if slow else duration
            progress(f"  {server.name} {mix}: {len(requests)} requests, {seconds:.0f} s")
            use = breakdown.cpu_per_request(
                server,
                requests,
                duration=seconds,
                connections=options.connections,
                threads=options.threads,
                timeout=timeout,
                first_number=number,
                use_wrk=options.use_wrk,
            )
            assert use.result is not None
            results[mix] = use.result
            if cpu is not None:
                cpu[mix] = use
        server.note_memory()
    return results


def run_system(
    name: str,
    graph_dir: Path,
    workdir: Path,
    canned: list[Canned],
    options: Options,
    progress: Callable[[str], None],
    number: int,
    only: tuple[str, ...] | None = None,
) -> SystemReport:
    """Start one system, check its answers, drive it with every mix (or `only` these), stop it."""
    workdir.mkdir(parents=True, exist_ok=True)
    files = [graph_dir / "emkg.nt", ONTOLOGY]
    duration, timeout = options.duration, 30.0
    if name == "oxigraph":
        location = workdir / "oxigraph-store"
        prep = oxigraph_load(location, files)
        server = start_oxigraph(name, location, workdir, prep)
    elif name.startswith("ours-"):
        workers = int(name.removeprefix("ours-").removesuffix("w"))
        server = start_ours(name, graph_dir, workdir, workers=workers, pool_size=options.pool_size)
    elif name == "rdflib-endpoint":
        server = start_rdflib(name, files, workdir)
        duration, timeout = options.rdflib_duration, 60.0
    else:
        raise SystemExit(f"unknown system {name}")
    progress(f"{name}: up in {server.startup_s:.2f} s")
    try:
        mixes: tuple[str, ...] = SPARQL_MIXES
        checked = [
            request
            for mix in ("canned-repeated", "raw-repeated")
            for request in mix_requests(mix, server.sparql_path, canned)
        ]
        if server.kind == "ours" and has_queries_route(server):
            mixes = SPARQL_MIXES + API_MIXES
            checked += mix_requests("api-repeated", server.sparql_path, canned)
        if only is not None:
            mixes = tuple(mix for mix in mixes if mix in only)
        answers, sweep = check_answers(server, checked)
        cpu: dict[str, breakdown.CpuUse] = {}
        results = measure(
            server,
            mixes,
            canned,
            options,
            duration,
            timeout,
            number * 1_000_000_000,
            progress,
            sweep,
            slow=server.kind == "rdflib",
            cpu=cpu,
        )
        server.note_memory()
        spent = None
        if name == "ours-1w" and options.profile_duration > 0 and "raw-unique" in mixes:
            progress(f"  {name}: py-spy breakdown, raw-unique, 1 connection")
            wait_idle(server)
            spent = breakdown.breakdown(
                server,
                mix_requests("raw-unique", server.sparql_path, canned),
                duration=options.profile_duration,
                first_number=number * 1_000_000_000 + 900_000_000,
                use_wrk=options.use_wrk,
            )
        return SystemReport(
            name,
            server.kind,
            server.prep_s,
            server.startup_s,
            server.peak_rss_mb,
            results,
            answers,
            cpu,
            spent,
        )
    finally:
        server.stop()


# ---------------------------------------------------------------- the report


def _ratio(ours: float, theirs: float) -> str:
    if not theirs:
        return "inf" if ours else "-"
    return f"{ours / theirs:.2f}x"


def print_tables(
    reports: dict[str, SystemReport], build_s: float, options: Options
) -> dict[str, object]:
    """Print the tables and the breakdown; return the breakdown's figures."""
    ox = reports.get("oxigraph")
    rd = reports.get("rdflib-endpoint")
    print()
    print(
        f"Throughput and latency at {options.connections} connections. Raw mixes: "
        f"{'wrk' if options.use_wrk is not False and driver.have_wrk() else 'httpx'} for "
        f"{options.duration:g} s (rdflib-endpoint {options.rdflib_duration:g} s); canned and api "
        f"mixes: whole passes over their queries (httpx), about {options.duration:g} s of work."
    )
    header = (
        f"{'system':<16} {'mix':<16} {'requests':>8} {'s':>6} {'ok req/s':>9} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'errors':>6} {'vs oxigraph':>11} {'vs rdflib':>9}"
    )
    print(header)
    print("-" * len(header))
    for report in reports.values():
        for mix, result in report.results.items():
            base_mix = COUNTERPART.get(mix, mix)
            versus_ox = versus_rd = ""
            if report.kind == "ours":
                if ox and base_mix in ox.results:
                    versus_ox = _ratio(result.ok_rps, ox.results[base_mix].ok_rps)
                if rd and base_mix in rd.results:
                    versus_rd = _ratio(result.ok_rps, rd.results[base_mix].ok_rps)
            print(
                f"{report.name:<16} {mix:<16} {result.requests:>8} {result.seconds:>6.1f} "
                f"{result.ok_rps:>9.1f} {result.p50_ms:>8.2f} {result.p99_ms:>8.2f} "
                f"{result.errors:>6} {versus_ox:>11} {versus_rd:>9}"
            )
    print()
    print(f"Graph build (emkg build, fresh): {build_s:.2f} s")
    header = f"{'server':<16} {'load s':>8} {'start-up s':>11} {'peak RSS MiB':>13}"
    print(header)
    print("-" * len(header))
    for report in reports.values():
        load = f"{report.prep_s:.2f}" if report.prep_s else "-"
        print(f"{report.name:<16} {load:>8} {report.startup_s:>11.2f} {report.peak_rss_mb:>13.1f}")
    print(
        "  start-up: process start to the first 200 on /health (ours) or an ASK {} (others); "
        "peak RSS: VmHWM summed over the process tree; load: `oxigraph load` before start"
    )
    mismatches = answer_mismatches(reports)
    if mismatches:
        print()
        print("Answers that differ from Oxigraph's (size of the answer to each request once):")
        for line in mismatches:
            print("  " + line)
    ours = reports.get("ours-1w")
    loaded = {name: r.cpu["raw-unique"] for name, r in reports.items() if "raw-unique" in r.cpu}
    return breakdown.print_breakdown(ours.spent if ours else None, loaded)


def answer_mismatches(reports: dict[str, SystemReport]) -> list[str]:
    ox = reports.get("oxigraph")
    if ox is None:
        return []
    lines = []
    for report in reports.values():
        if report is ox:
            continue
        for label, answer in report.answers.items():
            reference = ox.answers.get(label.replace("api:", "canned:"))
            if reference is not None and answer != reference:
                lines.append(f"{report.name} {label}: {answer} (oxigraph: {reference})")
    return lines


def verdicts(reports: dict[str, SystemReport]) -> list[tuple[str, bool]]:
    """Each target of the small graph: a line saying what was measured, and whether it is met."""
    ox = reports.get("oxigraph")
    rd = reports.get("rdflib-endpoint")
    lines: list[tuple[str, bool]] = []
    for report in reports.values():
        if report.kind != "ours":
            continue
        name, results = report.name, report.results
        if ox:
            target = TARGET_RAW_UNIQUE.get(name)
            mine, theirs = results.get("raw-unique"), ox.results.get("raw-unique")
            if target is not None and mine and theirs:
                ratio = mine.ok_rps / theirs.ok_rps if theirs.ok_rps else 0.0
                lines.append(
                    (
                        f"{name} raw never-repeated: {mine.ok_rps:.0f} vs {theirs.ok_rps:.0f} "
                        f"req/s, {ratio:.2f}x Oxigraph (target >= {target:g}x)",
                        ratio >= target,
                    )
                )
            for mix in RAW_MIXES:
                mine, theirs = results.get(mix), ox.results.get(mix)
                if mine and theirs:
                    limit = TARGET_P99_FACTOR * theirs.p99_ms + TARGET_P99_SLACK_MS
                    lines.append(
                        (
                            f"{name} {mix}: p99 {mine.p99_ms:.1f} ms (target <= "
                            f"{TARGET_P99_FACTOR:g} x Oxigraph's {theirs.p99_ms:.1f} + "
                            f"{TARGET_P99_SLACK_MS:g} = {limit:.1f} ms)",
                            mine.p99_ms <= limit,
                        )
                    )
            theirs = ox.results.get("canned-repeated")
            for mix in CANNED_MIXES:
                mine = results.get(mix)
                if mine and theirs:
                    ratio = mine.ok_rps / theirs.ok_rps if theirs.ok_rps else 0.0
                    lines.append(
                        (
                            f"{name} {mix}: {ratio:.2f}x Oxigraph req/s (target >= "
                            f"{TARGET_CANNED:g}x)",
                            ratio >= TARGET_CANNED,
                        )
                    )
        if rd:
            for mix, result in results.items():
                theirs = rd.results.get(COUNTERPART.get(mix, mix))
                if theirs is None:
                    continue
                ratio = result.ok_rps / theirs.ok_rps if theirs.ok_rps else float("inf")
                lines.append(
                    (
                        f"{name} {mix}: {ratio:.1f}x rdflib-endpoint req/s (target >= "
                        f"{TARGET_RDFLIB:g}x)",
                        ratio >= TARGET_RDFLIB,
                    )
                )
        if name == "ours-1w":
            lines.append(
                (
                    f"{name} peak RSS with its query processes: {report.peak_rss_mb:.0f} MiB "
                    f"(target < {TARGET_RSS_MIB:g} MiB)",
                    report.peak_rss_mb < TARGET_RSS_MIB,
                )
            )
        errors = {mix: r.errors for mix, r in results.items() if r.errors}
        lines.append(
            (f"{name}: no errors" + (f" (errors: {errors})" if errors else ""), not errors)
        )
    return lines


def print_verdicts(lines: list[tuple[str, bool]]) -> list[str]:
    print()
    print("Targets:")
    out = []
    for text, ok in lines:
        line = f"{'met    ' if ok else 'NOT met'}  {text}"
        out.append(line)
        print("  " + line)
    met = sum(ok for _, ok in lines)
    print(f"  {met} of {len(lines)} targets met")
    return out


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    p.add_argument("--duration", type=float, default=10.0, help="seconds per system and mix")
    p.add_argument(
        "--rdflib-duration",
        type=float,
        default=None,
        help="seconds per mix for rdflib-endpoint (default: min(duration, 3))",
    )
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--threads", type=int, default=2, help="load generator threads (wrk)")
    p.add_argument(
        "--pool-size",
        type=int,
        default=None,
        help="our query processes per uvicorn worker (EMKG_POOL_SIZE; default: one per core)",
    )
    p.add_argument(
        "--profile-duration",
        type=float,
        default=5.0,
        help="seconds of the py-spy breakdown of ours-1w (0: none)",
    )
    p.add_argument(
        "--systems",
        default="oxigraph,ours-1w,ours-2w,rdflib-endpoint",
        help="comma-separated subset",
    )
    p.add_argument(
        "--httpx",
        action="store_true",
        help="use the asyncio+httpx load generator even if wrk is installed",
    )
    p.add_argument("--no-scale", action="store_true", help="skip the million-triple run")
    p.add_argument("--scale-triples", type=int, default=1_000_000)
    p.add_argument(
        "--scale-duration",
        type=float,
        default=None,
        help="seconds per cell at scale (default: duration)",
    )
    p.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, stores)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    options = Options(
        duration=args.duration,
        rdflib_duration=args.rdflib_duration
        if args.rdflib_duration is not None
        else min(args.duration, 3.0),
        connections=args.connections,
        threads=args.threads,
        pool_size=args.pool_size,
        use_wrk=False if args.httpx else None,
        systems=tuple(s.strip() for s in args.systems.split(",") if s.strip()),
        profile_duration=args.profile_duration,
    )
    if options.use_wrk is None and not driver.have_wrk():
        print(
            "wrk is not installed: using the asyncio+httpx load generator (a lower ceiling)",
            file=sys.stderr,
        )

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    workdir = Path(tempfile.mkdtemp(prefix="emkg-bench-"))
    try:
        progress(f"building the graph into {workdir / 'graph'}")
        graph_dir = workdir / "graph"
        build_s = build_graph(graph_dir)
        canned = load_canned()
        reports: dict[str, SystemReport] = {}
        for number, name in enumerate(options.systems):
            reports[name] = run_system(name, graph_dir, workdir, canned, options, progress, number)
        spent = print_tables(reports, build_s, options)
        targets = verdicts(reports)
        figures: dict[str, object] = {
            "build_s": build_s,
            "options": options.__dict__,
            "systems": {
                name: {
                    "prep_s": r.prep_s,
                    "startup_s": r.startup_s,
                    "peak_rss_mb": r.peak_rss_mb,
                    "results": {mix: res.as_dict() for mix, res in r.results.items()},
                    "answers": r.answers,
                    "cpu_us": {
                        mix: {role: round(use.per_request_us(role), 1) for role in use.cpu_s}
                        for mix, use in r.cpu.items()
                    },
                }
                for name, r in reports.items()
            },
            "breakdown": spent,
        }
        if not args.no_scale:
            from bench import scale

            small: dict[str, dict[str, driver.Result]] = {
                name: reports[name].results for name in ("ours-1w", "oxigraph") if name in reports
            }
            scaled = scale.run_scale(
                graph_dir,
                workdir,
                canned,
                scale.ScaleOptions(
                    triples=args.scale_triples,
                    duration=args.scale_duration or options.duration,
                    connections=options.connections,
                    threads=options.threads,
                    pool_size=options.pool_size,
                    use_wrk=options.use_wrk,
                ),
                small,
                progress,
            )
            figures["scale"] = scaled
            targets += scale.scale_targets(scaled)
        figures["targets"] = print_verdicts(targets)
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n")
            progress(f"figures written to {args.json}")
    finally:
        if args.keep:
            progress(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    print(f"\n(bench took {time.perf_counter() - started:.0f} s)", file=sys.stderr)
    sys.exit(code)
