"""Run the API under uvicorn (called by `emkg serve`).

`--workers N` starts N uvicorn processes behind one port. They share nothing but the files:
each opens the graph folder and the on-disk query store (built once, under `EMKG_STORE_DIR`,
by default `<graph folder>/.store`), keeps its own pool of query processes (`EMKG_POOL_SIZE`,
by default the cores shared out among the processes) and its own answer cache. Options reach the processes as `EMKG_` environment variables, the same
ones the settings read.
"""

from __future__ import annotations

import os

import uvicorn

from api.settings import get_settings


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int | None = None,
    endpoint: str | None = None,
    graph_iri: str | None = None,
    pool_size: int | None = None,
) -> None:
    if endpoint is not None:
        os.environ["EMKG_ENDPOINT"] = endpoint
    if graph_iri is not None:
        os.environ["EMKG_GRAPH_IRI"] = graph_iri
    if pool_size is not None:
        os.environ["EMKG_POOL_SIZE"] = str(pool_size)
    get_settings.cache_clear()
    settings = get_settings()
    processes = max(1, workers or 1)
    os.environ["WEB_CONCURRENCY"] = str(processes)  # each process's share of the cores
    if processes > 1 and not settings.endpoint:
        if settings.auto_build:
            from graph.build import ensure_built

            ensure_built(settings.graph_dir)  # once, before the processes start
        os.environ.setdefault("EMKG_STORE_DIR", str(settings.graph_dir / ".store"))
        get_settings.cache_clear()
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=processes,
        log_level="info",
        access_log=False,  # api.logs writes one JSON line per request instead
    )
