"""Errors as answers: JSON `{"error", "detail"}` (or plain text when the client prefers it).

Every failure the API can foresee is an `ApiError` with its HTTP status; the handlers installed
by `install_error_handlers` turn those, FastAPI's own errors and anything unforeseen into the
same shape, so that no input can produce a stack trace in a response.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from api.negotiation import negotiate

log = logging.getLogger("emkg.errors")

_REASONS = {
    400: "bad request",
    403: "forbidden",
    404: "not found",
    405: "method not allowed",
    406: "not acceptable",
    413: "request too large",
    415: "unsupported media type",
    422: "bad parameter",
    500: "internal error",
    502: "bad gateway",
    503: "service unavailable",
    504: "gateway timeout",
}


class ApiError(Exception):
    """A failure with the status and message the client should see."""

    def __init__(
        self,
        status: int,
        error: str,
        detail: object = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.detail = detail
        self.headers = dict(headers or {})


def bad_request(error: str, detail: object = None) -> ApiError:
    return ApiError(400, error, detail)


def forbidden(error: str, detail: object = None) -> ApiError:
    return ApiError(403, error, detail)


def not_acceptable(offers: list[str]) -> ApiError:
    return ApiError(406, "none of the media types in Accept can be produced", {"available": offers})


def too_large(limit: int) -> ApiError:
    return ApiError(413, f"the query is longer than {limit} bytes", {"max_bytes": limit})


def unsupported_media_type(media_type: str, supported: list[str]) -> ApiError:
    return ApiError(
        415, f"cannot read a request body of type {media_type!r}", {"supported": supported}
    )


def bad_parameter(error: str, detail: object = None) -> ApiError:
    return ApiError(422, error, detail)


def error_response(
    request: Request | None,
    status: int,
    error: str,
    detail: object = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The error body in JSON, or in plain text for clients whose Accept prefers it."""
    accept = request.headers.get("accept") if request is not None else None
    if negotiate(accept, ["application/json", "text/plain"]) == "text/plain":
        text = error if detail is None else f"{error}\n{_plain(detail)}"
        return Response(
            text + "\n", status, headers=headers, media_type="text/plain; charset=utf-8"
        )
    body = orjson.dumps({"error": error, "detail": detail}, default=str)
    return Response(body, status, headers=headers, media_type="application/json")


def _plain(detail: object) -> str:
    if isinstance(detail, str):
        return detail
    return orjson.dumps(detail, default=str, option=orjson.OPT_INDENT_2).decode()


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(request, exc.status, exc.error, exc.detail, exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    reason = _REASONS.get(exc.status_code, "error")
    detail: object = (
        None if exc.detail in (None, "", HTTPStatus(exc.status_code).phrase) else exc.detail
    )
    headers = exc.headers
    if exc.status_code == 405:
        from api.middleware import allowed_methods

        allow = ", ".join(allowed_methods(request))
        headers = {**(exc.headers or {}), "Allow": allow}
        detail = {"allowed": allow}
    return error_response(request, exc.status_code, reason, detail, headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems: list[dict[str, Any]] = [
        {"loc": list(item.get("loc", ())), "msg": item.get("msg", ""), "type": item.get("type")}
        for item in exc.errors()
    ]
    return error_response(request, 422, "bad parameter", problems)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    incident = uuid.uuid4().hex[:12]
    log.error(
        "unhandled error %s on %s %s", incident, request.method, request.url.path, exc_info=exc
    )
    return error_response(
        request, 500, "internal error", f"the failure is logged as incident {incident}"
    )


async def _client_gone(request: Request, exc: Exception) -> Response:
    """The client left before sending its whole request: nobody to answer, nothing to log."""
    return Response(status_code=499)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error, foreseen or not, in the contract's error shape."""
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
