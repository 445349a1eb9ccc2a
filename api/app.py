"""The FastAPI application: `create_app()` builds it, routers come from `api/routers/*.py`.

A router module joins the app by exposing `router = APIRouter(...)`; handlers reach the graph
through `StoreDep` and the settings through `api.settings.SettingsDep`:

    @router.get("/thing")
    async def thing(store: StoreDep) -> dict[str, object]:
        rows = await store.select(QUERY, {"entity": URIRef(iri)})
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import pkgutil
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware

import api.routers
from api.client_address import ClientAddress
from api.errors import ApiError, install_error_handlers
from api.logs import AccessLogMiddleware, configure_access_log
from api.middleware import HeadAsGet, UrlTooLong
from api.settings import Settings, get_settings
from api.stores import GraphLoader, QueryStore, open_store

log = logging.getLogger("emkg.app")

GZIP_MINIMUM_BYTES = 1024
EXPOSED_HEADERS = ["Link", "ETag", "X-Result-Truncated", "X-Total-Count", "Retry-After"]


async def get_store(request: Request) -> QueryStore:
    """The running store (a FastAPI dependency)."""
    store: QueryStore | None = getattr(request.app.state, "store", None)
    if store is None:
        raise ApiError(503, "the graph store is not ready")
    return store


StoreDep = Annotated[QueryStore, Depends(get_store)]


def default_graph_loader(settings: Settings) -> GraphLoader:
    """`graph.build.ensure_built` when auto-build is on and the builder exists; else as-is."""
    if settings.auto_build:
        try:
            from graph.build import ensure_built
        except ImportError:
            log.warning(
                "graph.build.ensure_built is not available; serving %s as it is", settings.graph_dir
            )
        else:
            return ensure_built

    def as_is(graph_dir: Path) -> Path:
        return graph_dir

    return as_is


async def _warm_up(store: QueryStore) -> None:
    """Run every canned query on its examples once, so their first answers come from the cache."""
    from api.catalogue import default_catalogue
    from api.stores.cache import CachedStore

    run = store.prefetch if isinstance(store, CachedStore) else store.select
    for query in default_catalogue().values():
        try:
            await run(query.sparql, query.bind(query.example))
        except Exception as error:  # a slow or failing example must not stop the server
            log.warning("warm-up of %s failed: %s", query.name, error)


def _reload_on_sighup(app: FastAPI) -> None:
    """SIGHUP rebuilds and swaps the graph, like POST /admin/reload (main thread only)."""
    from api.reload import reload_graph

    loop = asyncio.get_running_loop()

    def on_hangup() -> None:
        async def run() -> None:
            try:
                await reload_graph(app)
            except ApiError as error:
                log.warning("SIGHUP reload: %s (%s)", error.error, error.detail)

        task = loop.create_task(run())
        app.state.sighup_task = task

    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGHUP, on_hangup)


def discover_routers() -> list[APIRouter]:
    """The `router` of every module in api/routers, in module-name order."""
    routers: list[APIRouter] = []
    for module_info in sorted(pkgutil.iter_modules(api.routers.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"api.routers.{module_info.name}")
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            routers.append(router)
    return routers


def create_app(
    settings: Settings | None = None,
    *,
    graph_loader: GraphLoader | None = None,
    store: QueryStore | None = None,
) -> FastAPI:
    """The app, with its store opened at start-up and closed at shut-down.

    `store` injects a ready store (it is then not closed by the app); `graph_loader` replaces
    the builder call that prepares the graph directory.
    """
    settings = settings or get_settings()
    loader = graph_loader or default_graph_loader(settings)
    configure_access_log()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if store is not None:
            app.state.store = store
            yield
            return
        opened = await open_store(settings, loader)
        app.state.store = opened
        _reload_on_sighup(app)
        app.state.warm_up = asyncio.get_running_loop().create_task(_warm_up(opened))
        try:
            yield
        finally:
            app.state.warm_up.cancel()
            current = app.state.store
            app.state.store = None
            await opened.close()
            if current is not None and current is not opened:
                await current.close()

    app = FastAPI(
        title="EU migration knowledge graph",
        summary="The EU's migration commitments and their follow-up, as linked data",
        version="0.1.0",
        lifespan=lifespan,
        # FastAPI's own pages load Swagger UI and ReDoc from a CDN: /docs is served from
        # node_modules instead (api.routers.pages), and there is no /redoc
        docs_url=None,
        redoc_url=None,
        # no OpenTelemetry here: FastAPI's own hooks would look for providers on every request
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.store = None
    app.state.reload_lock = asyncio.Lock()
    install_error_handlers(app)
    from api.lean_sparql import LeanSparql  # imports the /sparql router, which imports this

    # innermost first: queries to /sparql on their short path; the URL limit and HEAD see the
    # request before any route; answers are compressed, then get CORS headers (errors too), and
    # every request is logged
    app.add_middleware(LeanSparql)
    app.add_middleware(UrlTooLong, limit=settings.max_url_bytes)
    app.add_middleware(HeadAsGet)
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_credentials=False,
        allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=EXPOSED_HEADERS,
    )
    app.add_middleware(AccessLogMiddleware)
    # outermost: who the client is (a trusted proxy's X-Forwarded-For), for everything inside
    app.add_middleware(ClientAddress, trusted=settings.trusted_proxies)
    for router in discover_routers():
        app.include_router(router)
    return app
