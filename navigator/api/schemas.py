"""Request and response bodies of the HTTP API (contract in docs/architecture.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SearchRequest(BaseModel):
    """``POST /api/search``."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(..., description="The question, in any supported language")
    k: int = Field(10, ge=1, le=50, description="How many passages to return")
    lang: str | None = Field(None, max_length=8, description="Language of the query, when known")


class SearchResultPublic(BaseModel):
    """One retrieved passage."""

    doc_id: str
    title: str
    url: str | None
    section: str
    text: str
    score: float


class SearchResponse(BaseModel):
    """Passages, best first."""

    results: list[SearchResultPublic]


class HealthResponse(BaseModel):
    """``GET /healthz`` when an index is loaded."""

    status: str
    documents: int
    chunks: int
    model: str
    index_built_at: str


class ErrorBody(BaseModel):
    """The error object."""

    code: str
    message: str


class ErrorResponse(BaseModel):
    """Every error response: ``{"error": {"code", "message"}}``."""

    error: ErrorBody
