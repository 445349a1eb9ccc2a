"""/sparql queries on a short path: an ASGI layer that answers them before the framework's router.

A researcher's own SPARQL is never repeated, so no cache helps it: what the server spends per
request around the query is what it costs. FastAPI's routing, dependency solving and its inner
middleware took more time per request than pyoxigraph took to answer the query. This layer sits
inside the app's own middleware (access log, CORS, error pages) and answers GET and POST
`/sparql` requests that carry a query with the same code the route runs
(`api.routers.sparql.answer_query`): the same decoding, guard, negotiation, ETag, time limit and
error answers. Everything else, including `/sparql` without a query (the editor, the service
description), goes on to the framework.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import ApiError, error_response
from api.routers.sparql import answer_query, read_protocol_request

PATH = "/sparql"
METHODS = frozenset({"GET", "POST"})


class LeanSparql:
    """Pure ASGI middleware: answers queries to /sparql, passes everything else on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] not in METHODS:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        state: Any = scope["app"].state
        response: Response
        try:
            store = state.store
            if store is None:
                raise ApiError(503, "the graph store is not ready")
            params = await read_protocol_request(request, state.settings)
            if params.query is None and scope["method"] == "GET":
                await self.app(scope, receive, send)  # the editor or the service description
                return
            if params.query is None:
                raise ApiError(
                    400, "no query in the request", "send the query as `query=` or as the body"
                )
            response = await answer_query(request, store, state.settings, params)
        except ApiError as error:
            response = error_response(
                request, error.status, error.error, error.detail, error.headers
            )
        except ClientDisconnect:
            response = Response(status_code=499)
        await response(scope, receive, send)
