"""Swap in a newly built graph while serving: only if it validates, and atomically.

A reload (POST /admin/reload with the admin token, or SIGHUP) rebuilds the graph from the source
letter into a staging folder beside the graph folder. The build validates it against the SHACL
shapes; a violation, a missing curated quote or a letter that does not parse leaves the running
store untouched and answers 422 with the reason. A valid graph is loaded into a new store first;
only then do its files replace the old ones (manifest last) and the app's store is switched in one
assignment. The old store is closed after the query time limit, so answers in flight finish.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from api.errors import ApiError
from api.settings import Settings
from api.stores.cache import CachedStore
from api.stores.embedded import EmbeddedStore

log = logging.getLogger("emkg.reload")


def _promote(staging: Path, graph_dir: Path) -> None:
    """Move the staging files over the graph folder's, the manifest last."""
    graph_dir.mkdir(parents=True, exist_ok=True)
    names = sorted(p.name for p in staging.iterdir() if p.name != "manifest.json")
    for name in [*names, "manifest.json"]:
        os.replace(staging / name, graph_dir / name)


async def reload_graph(app: FastAPI) -> dict[str, Any]:
    # the builder (and pyshacl with it) is loaded when a reload asks for it, not by every server
    from graph.build import BuildError, build, check_built
    from graph.curation import QuoteNotFoundError
    from graph.letter import LetterFormatError

    settings: Settings = app.state.settings
    if settings.endpoint:
        raise ApiError(409, "reload applies to the embedded store; publish to the external one")
    lock: asyncio.Lock = app.state.reload_lock
    async with lock:
        old = app.state.store
        settings.graph_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=settings.graph_dir.parent))
        try:
            try:
                await asyncio.to_thread(build, settings.source_file, staging, settings.base_iri)
                await asyncio.to_thread(check_built, staging)
            except (BuildError, QuoteNotFoundError, LetterFormatError, OSError) as error:
                log.warning("reload refused, keeping graph %s: %s", old and old.version, error)
                raise ApiError(
                    422,
                    "the new graph was not loaded; the last good graph is still served",
                    detail=str(error),
                ) from error
            fresh_settings = settings.model_copy(update={"graph_dir": staging})
            embedded = EmbeddedStore(fresh_settings, lambda path: path)
            await embedded.start()
            fresh = CachedStore(embedded, settings.cache_bytes)
            await asyncio.to_thread(_promote, staging, settings.graph_dir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        app.state.store = fresh
        log.info("reloaded: graph %s -> %s", old and old.version, fresh.version)
        if old is not None:
            _close_later(old, settings.query_timeout + 1)
        return {"status": "reloaded", "version": fresh.version, "triples": fresh.triple_count}


def _close_later(store: Any, delay: float) -> None:
    async def close() -> None:
        await asyncio.sleep(delay)
        await store.close()

    task = asyncio.get_running_loop().create_task(close())
    _pending.add(task)
    task.add_done_callback(_pending.discard)


_pending: set[asyncio.Task[None]] = set()
