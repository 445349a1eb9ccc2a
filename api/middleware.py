"""HTTP behaviour every route shares: HEAD wherever GET works, a JSON 414 for a URL that is too
long, and the methods a path allows (for a 405's `Allow`). Compression (gzip on
`Accept-Encoding`) is Starlette's `GZipMiddleware`, added with these in `api.app`."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from starlette.requests import Request
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
URL_TOO_LONG = "URL too long"
URL_HINT = "send a long query as POST (form or application/sparql-query)"


class HeadAsGet:
    """HEAD answered as GET without the body: the same status and headers, Content-Length
    included, wherever GET works."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # the rest of the body is dropped too
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


class UrlTooLong:
    """A request whose path and query string pass `limit` bytes gets 414 in the contract's
    JSON error shape (inside the CORS middleware, so with its headers), before any route."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
            if length > self.limit:
                response = error_response(
                    Request(scope),
                    414,
                    URL_TOO_LONG,
                    {"limit_bytes": self.limit, "hint": URL_HINT},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def allowed_methods(request: Request) -> list[str]:
    """The methods some route of the app answers at this request's path, HEAD with GET."""
    allowed: list[str] = []
    scope: MutableMapping[str, Any] = dict(request.scope)
    for method in METHODS:
        for route in request.app.router.routes:
            match, _ = route.matches({**scope, "method": method})
            if match == Match.FULL:
                allowed.append(method)
                break
    if "GET" in allowed:
        allowed.insert(allowed.index("GET") + 1, "HEAD")
    return allowed
