"""Run the API under uvicorn (called by `emkg serve`)."""

from __future__ import annotations

from functools import partial

import uvicorn

from api.app import create_app
from api.settings import get_settings


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int | None = None,
    endpoint: str | None = None,
    graph_iri: str | None = None,
) -> None:
    """Serve the app factory; `workers` sizes the query worker pool, not uvicorn processes.

    One uvicorn process suffices: queries run in the pool's processes, never on the event loop,
    and several uvicorn processes would each load the store and start a pool of their own.
    """
    changes: dict[str, object] = {}
    if workers is not None:
        changes["pool_size"] = workers
    if endpoint is not None:
        changes["endpoint"] = endpoint
    if graph_iri is not None:
        changes["graph_iri"] = graph_iri
    settings = get_settings().model_copy(update=changes)
    uvicorn.run(
        partial(create_app, settings),
        factory=True,
        host=host,
        port=port,
        log_level="info",
        access_log=False,  # api.logs writes one JSON line per request instead
    )
