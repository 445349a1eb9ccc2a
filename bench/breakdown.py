"""Where a never-repeated query's time goes: CPU per request, by process and by part of the work.

`cpu_per_request` drives a server with a mix (wrk or httpx, as the benchmark does) and reads
the CPU time (user + system, from /proc) that each process of the server's tree and the load
generator spent, per answered request.

`breakdown` does the same for our service with py-spy (a dev dependency) attached to every
process of the tree: the samples of each process split its CPU time into five parts.

- HTTP server and framework: uvicorn, ASGI middleware (access log, CORS), our handler's glue,
  writing the response;
- request parsing and the guard: decoding the protocol's parameters, reading the body,
  `api.sparql_guard`, content negotiation;
- the hop to the query process: the queue, pickling, the socket on both sides;
- evaluation: pyoxigraph parsing, planning and running the query (it evaluates lazily, while
  the capped TSV or N-Triples is written: `api.stores.encoding.capped_*`);
- serialisation: rewriting those lines in the requested format (`tsv_as`, `ntriples_as`).

The samples are taken at one connection, one request at a time: under full load, a process that
wakes another on the same core is often preempted in that very write, and wall-clock samples
would then charge the hop for time the process did not run. CPU per request under the full
16-connection load is measured beside it, without py-spy.
"""

from __future__ import annotations

import collections
import contextlib
import os
import resource
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench import driver
from bench.common import Server, process_tree, tool
from bench.mixes import Request

FRAMEWORK = "HTTP server and framework"
PARSING = "request parsing and the guard"
HOP = "hop to the query process"
EVALUATION = "evaluation (pyoxigraph)"
SERIALISATION = "serialisation"
PARTS = (FRAMEWORK, PARSING, HOP, EVALUATION, SERIALISATION)

#: functions of the server process that read the request and guard the query
PARSING_FUNCTIONS = frozenset(
    {
        "read_protocol_request",
        "parse_urlencoded",
        "_form_decode",
        "percent_decode",
        "_read_body",
        "_content_type_of",
        "choose_media_type",
        "negotiate",
        "parse_accept",
        "check_query",
        "inspect_query",
    }
)
HOP_FILES = ("api/workers.py", "api/query_process.py", "api/stores/embedded.py")
EVALUATION_FUNCTIONS = frozenset(
    {"evaluate", "capped_tsv", "capped_ntriples", "encode_boolean", "solution_rows"}
)
SERIALISATION_FUNCTIONS = frozenset({"tsv_as", "ntriples_as"})
IDLE_FUNCTIONS = frozenset({"wait_for_job"})  # a query process waiting for its next job


@dataclass
class CpuUse:
    """CPU seconds per process role over a run, and the run's answered requests (roles: server,
    query process, load generator)."""

    requests: int
    seconds: float
    cpu_s: dict[str, float] = field(default_factory=dict)  # role -> CPU seconds
    result: driver.Result | None = None

    def per_request_us(self, role: str) -> float:
        return self.cpu_s.get(role, 0.0) / self.requests * 1e6 if self.requests else 0.0

    @property
    def total_us(self) -> float:
        return sum(self.per_request_us(role) for role in self.cpu_s if role != "load generator")


@dataclass
class Breakdown:
    cpu: CpuUse
    parts_us: dict[str, float]
    samples: int
    note: str = ""


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stream:
            fields = stream.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def roles(server: Server) -> dict[int, str]:
    """Each process of the server's tree: "server" (what answers HTTP) or "query process"."""
    named = {}
    for pid in process_tree(server.pid):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as stream:
                command = stream.read().replace(b"\0", b" ")
        except OSError:
            continue
        named[pid] = "query process" if b"api.query_process" in command else "server"
    return named


def cpu_per_request(
    server: Server,
    requests: list[Request],
    *,
    duration: float,
    connections: int,
    threads: int,
    first_number: int,
    use_wrk: bool | None,
    timeout: float = 30.0,
) -> CpuUse:
    """Drive the server and count the CPU its processes and the load generator used."""
    pids = roles(server)
    before = {pid: _cpu_seconds(pid) for pid in pids}
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = driver.run(
        server.base,
        requests,
        duration=duration,
        connections=connections,
        threads=min(threads, connections),
        timeout=timeout,
        first_number=first_number,
        use_wrk=use_wrk,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    use = CpuUse(result.ok, result.seconds, result=result)
    for pid, role in pids.items():
        spent = _cpu_seconds(pid) - before[pid]
        use.cpu_s[role] = use.cpu_s.get(role, 0.0) + max(0.0, spent)
    if result.tool == "wrk":
        use.cpu_s["load generator"] = (after.ru_utime + after.ru_stime) - (
            children.ru_utime + children.ru_stime
        )
    return use


def classify(role: str, frames: list[str]) -> str | None:
    """The part of the work a sample belongs to; None for a process waiting for work.

    A frame reads `function (file:line)`, the outermost first."""
    functions = [frame.split(" (", 1)[0].rsplit(".", 1)[-1] for frame in frames]
    if role == "query process":
        if IDLE_FUNCTIONS.intersection(functions):
            return None
        if SERIALISATION_FUNCTIONS.intersection(functions):
            return SERIALISATION
        if EVALUATION_FUNCTIONS.intersection(functions):
            return EVALUATION
        return HOP
    if PARSING_FUNCTIONS.intersection(functions) or any(
        "api/sparql_guard.py" in frame for frame in frames
    ):
        return PARSING
    if any(path in frame for frame in frames for path in HOP_FILES):
        return HOP
    return FRAMEWORK


def read_samples(path: Path, role: str) -> collections.Counter[str]:
    """py-spy's raw (collapsed) output: `frame;frame;… count` per line, by part."""
    parts: collections.Counter[str] = collections.Counter()
    with contextlib.suppress(OSError), path.open(encoding="utf-8", errors="replace") as stream:
        for line in stream:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack or not count.isdigit():
                continue
            part = classify(role, stack.split(";"))
            if part is not None:
                parts[part] += int(count)
    return parts


def breakdown(
    server: Server,
    requests: list[Request],
    *,
    duration: float,
    first_number: int,
    use_wrk: bool | None,
    rate: int = 250,
) -> Breakdown | None:
    """py-spy on every process of our server while one connection sends the mix."""
    spy = None
    with contextlib.suppress(SystemExit):
        spy = tool("py-spy")
    if spy is None:
        return None
    pids = roles(server)
    with tempfile.TemporaryDirectory(prefix="emkg-spy-") as directory:
        outputs = {pid: Path(directory) / f"{pid}.txt" for pid in pids}
        spies = [
            subprocess.Popen(
                [
                    spy,
                    "record",
                    "--nonblocking",
                    "--rate",
                    str(rate),
                    "--duration",
                    str(max(1, round(duration))),
                    "--format",
                    "raw",
                    "--output",
                    str(outputs[pid]),
                    "--pid",
                    str(pid),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for pid in pids
        ]
        try:
            cpu = cpu_per_request(
                server,
                requests,
                duration=duration,
                connections=1,
                threads=1,
                first_number=first_number,
                use_wrk=use_wrk,
            )
        finally:
            errors = []
            for process in spies:
                try:
                    _, stderr = process.communicate(timeout=duration + 30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    _, stderr = process.communicate()
                if process.returncode:
                    errors.append(stderr.decode(errors="replace").strip().splitlines()[-1:])
        by_role: dict[str, collections.Counter[str]] = {}
        for pid, role in pids.items():
            by_role.setdefault(role, collections.Counter()).update(read_samples(outputs[pid], role))
    parts_us = dict.fromkeys(PARTS, 0.0)
    samples = 0
    for role, counts in by_role.items():
        total = sum(counts.values())
        samples += total
        if not total:
            continue
        for part, count in counts.items():
            parts_us[part] += cpu.per_request_us(role) * count / total
    note = f"py-spy failed: {errors}" if errors and not samples else ""
    return Breakdown(cpu, parts_us, samples, note)


def print_breakdown(
    ours: Breakdown | None,
    loaded: dict[str, CpuUse],
) -> dict[str, object]:
    """Print the breakdown and the CPU per request under load; return the figures."""
    figures: dict[str, object] = {}
    print()
    print("Where a never-repeated raw query's time goes (raw-unique mix):")
    if ours is None:
        print("  (py-spy is not installed: pip install -e '.[dev]'; CPU per request only)")
    else:
        cpu = ours.cpu
        print(
            f"  ours, 1 worker, 1 connection: {cpu.requests} requests in {cpu.seconds:.1f} s, "
            f"{ours.samples} py-spy samples; CPU µs per request: server "
            f"{cpu.per_request_us('server'):.0f}, query processes "
            f"{cpu.per_request_us('query process'):.0f}"
        )
        if ours.note:
            print("  " + ours.note)
        total = sum(ours.parts_us.values())
        header = f"  {'part':<34} {'µs/request':>10} {'share':>6}"
        print(header)
        print("  " + "-" * (len(header) - 2))
        for part in PARTS:
            value = ours.parts_us[part]
            share = value / total if total else 0.0
            print(f"  {part:<34} {value:>10.0f} {share:>6.0%}")
        print(f"  {'total':<34} {total:>10.0f}")
        figures["breakdown_us"] = {part: round(ours.parts_us[part], 1) for part in PARTS}
        figures["breakdown_cpu_us"] = {
            role: round(cpu.per_request_us(role), 1) for role in cpu.cpu_s
        }
    if loaded:
        print("  CPU µs per answered request under the benchmark's load (16 connections):")
        for name, use in loaded.items():
            roles_text = ", ".join(
                f"{role} {use.per_request_us(role):.0f}" for role in sorted(use.cpu_s)
            )
            rate = f"{use.result.ok_rps:.0f} req/s" if use.result else ""
            print(f"    {name:<10} {use.total_us:>5.0f} ({roles_text}; {rate})")
        figures["loaded_cpu_us"] = {
            name: {role: round(use.per_request_us(role), 1) for role in use.cpu_s}
            for name, use in loaded.items()
        }
    return figures
