"""Servers for the benchmarks: start one on loopback, time it until it answers, read its memory
from /proc, stop it (and whatever it started) by process id.

Three kinds: our API under uvicorn (`--factory api.app:create_app`, 1 or more uvicorn worker
processes, each with its own pool of query processes), `oxigraph serve-read-only` on a store
loaded with `oxigraph load`, and `rdflib-endpoint serve` on the same files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
ONTOLOGY = PROJECT_ROOT / "ontology" / "emk.ttl"
HOST = "127.0.0.1"
START_TIMEOUT_S = 300.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def tool(name: str) -> str:
    """A console script of this virtual environment (or from PATH)."""
    local = VENV_BIN / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed (pip install -e '.[dev]')")
    return found


# ---------------------------------------------------------------- /proc


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stream:
                stat = stream.read()
        except OSError:
            continue
        # the command name is in parentheses and may hold spaces: read after the last ')'
        fields = stat[stat.rfind(b")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def process_tree(pid: int) -> list[int]:
    """The process and all its living descendants."""
    children = _children_map()
    tree, stack = [], [pid]
    while stack:
        current = stack.pop()
        tree.append(current)
        stack.extend(children.get(current, []))
    return tree


def _status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as stream:
            for line in stream:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def tree_memory_mb(pid: int, key: str = "VmRSS") -> float:
    """`key` (VmRSS now, VmHWM peak) summed over the process tree, in MiB."""
    return sum(_status_kb(p, key) for p in process_tree(pid)) / 1024


# ---------------------------------------------------------------- servers


@dataclass
class Server:
    """A server process on loopback and what the benchmark needs to know about it."""

    name: str
    kind: str  # ours, oxigraph, rdflib
    base: str
    sparql_path: str
    health_path: str
    process: subprocess.Popen[bytes]
    log: Path
    prep_s: float = 0.0  # loading before the process starts (oxigraph load)
    startup_s: float = 0.0  # process start to first 200 on the health URL
    peak_rss_mb: float = 0.0
    known_pids: set[int] = field(default_factory=set)

    @property
    def pid(self) -> int:
        return self.process.pid

    def note_memory(self) -> float:
        """Update and return the peak RSS of the process tree (sum of VmHWM)."""
        tree = process_tree(self.pid)
        self.known_pids.update(tree)
        self.peak_rss_mb = max(self.peak_rss_mb, tree_memory_mb(self.pid, "VmHWM"))
        return self.peak_rss_mb

    def rss_mb(self) -> float:
        self.known_pids.update(process_tree(self.pid))
        return tree_memory_mb(self.pid, "VmRSS")

    def stop(self) -> None:
        """SIGINT, then SIGKILL; then any descendant seen alive is killed by its id."""
        with contextlib.suppress(Exception):
            self.known_pids.update(process_tree(self.pid))
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        for pid in sorted(self.known_pids - {self.pid}):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _launch(
    name: str,
    kind: str,
    command: list[str],
    port: int,
    sparql_path: str,
    health_path: str,
    workdir: Path,
    env: dict[str, str] | None = None,
    prep_s: float = 0.0,
) -> Server:
    log = workdir / f"{name}.log"
    began = time.perf_counter()
    with log.open("wb") as stream:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env={**os.environ, **(env or {})},
            stdout=stream,
            stderr=stream,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C reaches us, and we stop it
        )
    server = Server(
        name, kind, f"http://{HOST}:{port}", sparql_path, health_path, process, log, prep_s
    )
    try:
        wait_until_ok(server)
    except BaseException:
        server.stop()
        raise
    server.startup_s = time.perf_counter() - began
    server.note_memory()
    return server


def wait_until_ok(server: Server, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    url = server.base + server.health_path
    with httpx.Client(timeout=2.0) as client:
        while True:
            if server.process.poll() is not None:
                raise RuntimeError(
                    f"{server.name} exited with {server.process.returncode}:\n{server.tail()}"
                )
            with contextlib.suppress(httpx.TransportError):
                status = client.get(url).status_code
                if status == 200:
                    return
                if status in (404, 405):
                    raise RuntimeError(f"{server.name}: {url} answers {status}:\n{server.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{server.name} did not answer in {timeout:g} s:\n{server.tail()}"
                )
            time.sleep(0.02)


def start_ours(
    name: str,
    graph_dir: Path,
    workdir: Path,
    *,
    workers: int = 1,
    pool_size: int | None = None,
    extra_env: dict[str, str] | None = None,
    client_shares: bool = False,
) -> Server:
    """Our API under uvicorn with `workers` processes (each loads the store and starts its own
    pool of `pool_size` query processes, by default the cores shared out among the workers);
    the graph as built, no auto-build.

    The load generator is one address playing many clients, so the limits per client
    (`api.client_shares`) are off unless `client_shares` (bench/limits.py measures them)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "api.app:create_app",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
        "--no-proxy-headers",  # as `emkg serve`: the app reads X-Forwarded-For itself
    ]
    env = {
        "EMKG_GRAPH_DIR": str(graph_dir),
        "EMKG_AUTO_BUILD": "false",
        **({"EMKG_POOL_SIZE": str(pool_size)} if pool_size else {}),
        "EMKG_ENDPOINT": "",
        "WEB_CONCURRENCY": str(workers),  # as `emkg serve --workers` sets it
        **({} if client_shares else {"EMKG_CLIENT_QUERIES": "0"}),
        **({} if client_shares else {"EMKG_CLIENT_SECONDS_PER_MINUTE": "0"}),
        **(extra_env or {}),
    }
    return _launch(name, "ours", command, port, "/sparql", "/health", workdir, env)


def oxigraph_load(location: Path, files: list[Path]) -> float:
    """`oxigraph load` the files into a new store, then `oxigraph optimize` it for reading (as
    Oxigraph advises before a read-heavy workload); the seconds both took."""
    shutil.rmtree(location, ignore_errors=True)
    began = time.perf_counter()
    for command in (
        [tool("oxigraph"), "load", "--location", str(location), "--file", *map(str, files)],
        [tool("oxigraph"), "optimize", "--location", str(location)],
    ):
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - began


def start_oxigraph(name: str, location: Path, workdir: Path, prep_s: float = 0.0) -> Server:
    port = free_port()
    command = [
        tool("oxigraph"),
        "serve-read-only",
        "--location",
        str(location),
        "--bind",
        f"{HOST}:{port}",
    ]
    return _launch(
        name, "oxigraph", command, port, "/query", "/query?query=ASK%7B%7D", workdir, prep_s=prep_s
    )


def start_rdflib(name: str, files: list[Path], workdir: Path) -> Server:
    port = free_port()
    command = [
        tool("rdflib-endpoint"),
        "serve",
        *map(str, files),
        "--host",
        HOST,
        "--port",
        str(port),
    ]
    # rdflib-endpoint's CLI serves the SPARQL endpoint at the root
    return _launch(name, "rdflib", command, port, "/", "/?query=ASK%7B%7D", workdir)


# ---------------------------------------------------------------- graph directories


def build_graph(out_dir: Path) -> float:
    """A fresh build of the project's letter into `out_dir`; the seconds it took."""
    from graph.build import build

    began = time.perf_counter()
    build(out_dir=out_dir)
    return time.perf_counter() - began


def graph_dir_for(data: Path, directory: Path, triples: int | None = None) -> Path:
    """A graph directory the embedded store can serve: emkg.nt (linked or copied) and a
    manifest.json whose version is a hash of the file."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "emkg.nt"
    if target.resolve() != data.resolve():
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        try:
            os.link(data, target)
        except OSError:
            shutil.copyfile(data, target)
    digest = hashlib.sha256()
    lines = 0
    with target.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
            lines += block.count(b"\n")
    manifest = {"version": digest.hexdigest()[:16], "triples": triples or lines}
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return directory
