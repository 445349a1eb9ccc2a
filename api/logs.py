"""One structured JSON log line per request.

`AccessLogMiddleware` writes method, path, status and duration; handlers add what only they
know (the query's SHA-256 prefix, the rows answered) with `annotate(request, …)`.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from typing import Any

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("emkg.access")

_ANNOTATIONS = "emkg_log"


def configure_access_log() -> None:
    """Send access lines, bare JSON, to stderr (once per process)."""
    if access_log.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access_log.addHandler(handler)
    access_log.setLevel(logging.INFO)
    access_log.propagate = False


def query_digest(sparql: str) -> str:
    """The first 16 hex digits of the query's SHA-256: names a query in logs without its text."""
    return hashlib.sha256(sparql.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def annotate(request: Request, **fields: Any) -> None:
    """Add fields to this request's access log line."""
    request.scope.setdefault(_ANNOTATIONS, {}).update(fields)


class AccessLogMiddleware:
    """Pure ASGI middleware: times the request and logs it when the response has started."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            line: dict[str, Any] = {
                "method": scope.get("method"),
                "path": scope.get("path"),
                "status": status,
                "duration_ms": round((time.perf_counter() - began) * 1000, 2),
            }
            line.update(scope.get(_ANNOTATIONS, {}))
            access_log.info(orjson.dumps(line).decode())
