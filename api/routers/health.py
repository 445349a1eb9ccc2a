"""/health: liveness, with the graph's triple count and version."""

from __future__ import annotations

from fastapi import APIRouter

from api.app import StoreDep

router = APIRouter(tags=["service"])


@router.get("/health", summary="Liveness, triple count and graph version")
async def health(store: StoreDep) -> dict[str, object]:
    return {"status": "ok", "triples": store.triple_count, "version": store.version}
