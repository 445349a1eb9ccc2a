"""`emkg serve --workers 2`: two server processes share nothing but the files, and answer alike."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from live_servers import start_emkg

PROJECT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.live
@pytest.mark.parametrize("in_memory", [True, False], ids=["in-memory", "on-disk"])
def test_two_worker_processes_answer_alike(tmp_path: Path, in_memory: bool) -> None:
    """Two server processes give the same answers; a graph too large for memory is loaded into
    one on-disk store, once, that both read; a small one is held by each query process."""
    limit = str(16 << 20) if in_memory else "0"
    server, url = start_emkg(
        {
            "EMKG_STORE_DIR": str(tmp_path / "store"),
            "EMKG_POOL_SIZE": "1",
            "EMKG_MEMORY_STORE_BYTES": limit,
        },
        "--workers",
        "2",
    )
    try:
        time.sleep(2)  # let the second process finish starting
        answers = {httpx.get(url + "/health", timeout=5).json()["version"] for _ in range(20)}
        counts = {
            httpx.get(url + "/queries/commitments", timeout=10).json()["count"] for _ in range(10)
        }
        uvicorn_workers = [p for p in _children(server.pid) if _children(p)]
        assert len(answers) == 1
        assert counts == {15}
        assert len(uvicorn_workers) == 2  # two server processes, each with its query workers
        stores = list((tmp_path / "store").glob("store-*"))
        assert len(stores) == (0 if in_memory else 1)  # on disk: one store, built once
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
