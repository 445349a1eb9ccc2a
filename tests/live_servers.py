"""Starting and stopping real servers from the tests: a free loopback port, waiting until a
server answers, and stopping it by its process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Return once `url` answers below 500; fail if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up in {timeout} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


PROJECT = Path(__file__).resolve().parent.parent


def start_emkg(
    environment: dict[str, str], *options: str, timeout: float = 120.0
) -> tuple[subprocess.Popen[bytes], str]:
    """`emkg serve` on a free loopback port in its own session, up once /health answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port), *options],
        cwd=PROJECT,
        env={**os.environ, **environment},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/health", process, timeout)
    except RuntimeError:
        stop(process)
        raise
    return process, url


def start_oxigraph(
    location: Path, log: Path | None = None, timeout: float = 30.0
) -> tuple[subprocess.Popen[bytes], str]:
    """`oxigraph serve` (the test environment's, from PyPI `oxigraph`) on `location` and a free
    loopback port, up once it answers `ASK {}`; its output to `log` when given."""
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "oxigraph"),
        "serve",
        "--location",
        str(location),
        "--bind",
        f"127.0.0.1:{port}",
    ]
    if log is None:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:
        with log.open("wb") as stream:
            process = subprocess.Popen(command, stdout=stream, stderr=stream)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/query?query=ASK%7B%7D", process, timeout)
    except RuntimeError as error:
        stop(process)
        said = log.read_text(errors="replace") if log is not None else ""
        raise RuntimeError(f"oxigraph: {error}\n{said}") from error
    return process, url
