"""``GET /healthz``: is an index loaded, and which."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from navigator.api.deps import get_searcher
from navigator.api.schemas import HealthResponse
from navigator.retrieval.searcher import Searcher

router = APIRouter()


@router.get("/healthz", response_model=HealthResponse)
def healthz(searcher: Annotated[Searcher, Depends(get_searcher)]) -> HealthResponse:
    """Ready when an index is loaded; 503 with the reason otherwise."""
    manifest = searcher.index.manifest
    return HealthResponse(
        status="ok",
        documents=manifest.documents,
        chunks=manifest.chunks,
        model=manifest.model,
        index_built_at=manifest.built_at,
    )
