"""Run the API under uvicorn (called by `emkg serve`).

`--workers N` starts N uvicorn processes behind one port. They share nothing but the files:
each opens the graph folder and the on-disk query store (built once, under `EMKG_STORE_DIR`,
by default `<graph folder>/.store`), keeps its own pool of query processes (`EMKG_POOL_SIZE`,
by default the cores shared out among the processes) and its own answer cache. Options reach the processes as `EMKG_` environment variables, the same
ones the settings read.
"""

from __future__ import annotations

import asyncio
import os

import orjson
import uvicorn

from api.middleware import URL_HINT, URL_TOO_LONG
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
        http=http_protocol(),
        # the app reads X-Forwarded-For itself, from EMKG_TRUSTED_PROXIES only
        # (api.client_address); uvicorn's own handling would believe it from 127.0.0.1
        proxy_headers=False,
    )


def http_protocol() -> type[asyncio.Protocol] | str:
    """uvicorn's httptools protocol answering a request line too long for its parser (about
    64 KiB) as the app answers one over `EMKG_MAX_URL_BYTES`: 414, JSON, CORS headers, not
    uvicorn's plain-text 400. Without httptools, uvicorn's own choice."""
    return LongUrlAnswered if LongUrlAnswered is not None else "auto"


def _long_url_protocol() -> type[asyncio.Protocol] | None:
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:
        return None

    class LongUrlAnswered(HttpToolsProtocol):  # type: ignore[misc]
        def send_400_response(self, msg: str) -> None:
            if len(getattr(self, "url", b"")) < get_settings().max_url_bytes:
                super().send_400_response(msg)
                return
            body = orjson.dumps({"error": URL_TOO_LONG, "detail": {"hint": URL_HINT}})
            head = [
                b"HTTP/1.1 414 URI Too Long",
                b"content-type: application/json",
                b"content-length: " + str(len(body)).encode("ascii"),
                b"access-control-allow-origin: *",
                b"connection: close",
            ]
            self.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
            self.transport.close()

    LongUrlAnswered.__qualname__ = "LongUrlAnswered"  # importable by name: worker processes
    return LongUrlAnswered


LongUrlAnswered = _long_url_protocol()
