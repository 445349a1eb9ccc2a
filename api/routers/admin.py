"""Administration: reload the graph, behind a bearer token (EMKG_ADMIN_TOKEN)."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request

from api.errors import ApiError
from api.reload import reload_graph

router = APIRouter(prefix="/admin", tags=["admin"])


@router.post("/reload", summary="Rebuild the graph and swap it in if it validates")
async def reload(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> dict[str, Any]:
    token = request.app.state.settings.admin_token
    if token is None:
        raise ApiError(403, "reload is disabled: the server has no EMKG_ADMIN_TOKEN")
    given = (authorization or "").removeprefix("Bearer ").strip()
    if not secrets.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise ApiError(401, "a valid admin token is needed", headers={"WWW-Authenticate": "Bearer"})
    return await reload_graph(request.app)
