"""``POST /api/search``: ranked passages for a question."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from navigator.api.deps import get_searcher
from navigator.api.schemas import ErrorResponse, SearchRequest, SearchResponse
from navigator.retrieval.searcher import Searcher

router = APIRouter()


@router.post(
    "/api/search",
    response_model=SearchResponse,
    responses={413: {"model": ErrorResponse}, 422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
)
async def search(request: SearchRequest, searcher: Annotated[Searcher, Depends(get_searcher)]) -> SearchResponse:
    """Hybrid search; the model call runs in a worker thread so the event loop stays free."""
    results = await run_in_threadpool(searcher.search, request.query, request.k, request.lang)
    return SearchResponse.from_results(results)
