"""Debian's Virtuoso 7 (`virtuoso-t`, installed by `make setup-virtuoso`) as a real external
store for the tests: a fresh database in a scratch folder with its own `virtuoso.ini`, the SQL
and HTTP servers on free loopback ports, and a user allowed SPARQL updates who publishes through
the Graph Store Protocol with digest authentication (`/sparql-graph-crud-auth`)."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import time
from pathlib import Path

import httpx
from live_servers import free_port

INI = """\
[Database]
DatabaseFile = virtuoso.db
ErrorLogFile = virtuoso.log
LockFile = virtuoso.lck
TransactionFile = virtuoso.trx
xa_persistent_file = virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = virtuoso-temp.db
TransactionFile = virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
MaxClientConnections = 8
CheckpointInterval = 60
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
ThreadsPerQuery = 1
DirsAllowed = .
CaseMode = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = .
MaxClientConnections = 8
ServerThreads = 8
EnabledDavVSP = 0

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 60
MaxQueryCostEstimationTime = 0
"""
USER = "emkg"


def available() -> bool:
    return shutil.which("virtuoso-t") is not None and shutil.which("isql-vt") is not None


def start(folder: Path) -> tuple[subprocess.Popen[bytes], str, str, int]:
    """Start `virtuoso-t -f` in `folder`; return the process, its HTTP URL, the publishing
    user's password and the SQL port, once the SPARQL endpoint answers."""
    sql_port, http_port = free_port(), free_port()
    (folder / "virtuoso.ini").write_text(
        INI.format(sql_port=sql_port, http_port=http_port), encoding="utf-8"
    )
    log = (folder / "console.log").open("wb")
    process = subprocess.Popen(
        ["virtuoso-t", "-f", "-c", "virtuoso.ini"],
        cwd=folder,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{http_port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"virtuoso-t exited: {_log(folder)}")
        try:
            if httpx.get(url + "/sparql", params={"query": "ASK {}"}, timeout=1).is_success:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"virtuoso did not come up in 60 s: {_log(folder)}")
        time.sleep(0.1)
    password = secrets.token_urlsafe(12)
    sql(sql_port, f"DB.DBA.USER_CREATE('{USER}', '{password}'); GRANT SPARQL_UPDATE TO \"{USER}\";")
    return process, url, password, sql_port


def sql(port: int, statements: str) -> str:
    """Run SQL as the database administrator (the fresh database's default login)."""
    done = subprocess.run(
        ["isql-vt", f"127.0.0.1:{port}", "dba", "dba", f"exec={statements}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0 or "Error" in done.stdout:
        raise RuntimeError(f"isql-vt failed: {done.stdout}{done.stderr}")
    return done.stdout


def _log(folder: Path) -> str:
    parts = []
    for name in ("console.log", "virtuoso.log"):
        path = folder / name
        if path.is_file():
            parts.append(path.read_text(errors="replace")[-2000:])
    return "\n".join(parts)
