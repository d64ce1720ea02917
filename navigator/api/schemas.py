"""Request and response bodies of the HTTP API (contract in docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from navigator.answer.contacts import contact_line
from navigator.languages.locales import get_locale

if TYPE_CHECKING:
    from navigator.answer.chat import ChatTurn
    from navigator.retrieval.base import ScoredChunk


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

    @classmethod
    def from_results(cls, results: Sequence[ScoredChunk]) -> SearchResponse:
        """The public JSON of ranked passages (scores rounded: more digits mean nothing)."""
        return cls(
            results=[
                SearchResultPublic(
                    doc_id=r.chunk.doc_id,
                    title=r.chunk.doc_title,
                    url=r.chunk.url,
                    section=r.chunk.section,
                    text=r.chunk.text,
                    score=round(r.score, 6),
                )
                for r in results
            ]
        )


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
    localised: str | None = Field(
        None, description="For a chat request's 413, 422 or 429: the message in the request's language"
    )


class ErrorResponse(BaseModel):
    """Every error response: ``{"error": {"code", "message"}}``."""

    error: ErrorBody


Language = Literal["en", "ur", "pa", "bn", "ar", "so", "pl", "ro", "ps", "zh", "ckb"]


class ChatRequest(BaseModel):
    """``POST /api/chat`` and ``POST /api/chat/stream``."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(..., description="The user's message, in any supported language")
    language: Language | None = Field(None, description="The language the user chose; wins for short or mixed text")
    conversation_id: str | None = Field(
        None, max_length=64, description="Id returned by an earlier reply, to continue that conversation"
    )
    audience: Literal["parent", "practitioner", "staff"] | None = Field(None, description="Who is asking")


class CitationPublic(BaseModel):
    """A numbered source: ``[n]`` in the answer refers to it."""

    n: int
    doc_id: str
    title: str
    url: str | None
    section: str
    quote: str = Field(..., description="The full text of the cited passage")
    section_label: str = Field(
        "",
        description="The deepest heading of `section` that says what it is about, in readable case, as quotes' "
        "source lines name it (clients show it in a sources list; empty when the passage has no heading)",
    )


class QuotePublic(BaseModel):
    """A sentence the answer quotes, in English as published, with the citation it belongs to."""

    n: int
    text: str = Field(..., description="The quoted sentence as the answer writes it (between quotation marks)")
    source: str = Field(..., description="Short name of the document and section it comes from")
    note: str | None = Field(
        None,
        description="A note in the reader's language on the line under the source (the quote's plan has ended); "
        "clients keep it with its quote",
    )


class HandoffPublic(BaseModel):
    """A human service to turn to."""

    id: str
    name: str
    url: str | None
    phone: str | None
    line: str | None = Field(
        None,
        description="The line of `answer` that names this service in the reply's language, when it has one "
        "(a client can make that line the link and skip repeating the service)",
    )


class GlossaryNotePublic(BaseModel):
    """A SEND term used by a cited passage, explained in the reply's language."""

    id: str
    term: str
    english: str
    explanation: str


class SafetyLinePublic(BaseModel):
    """The line every reply carries, whatever its status, so a missed disclosure still has a route to help."""

    text: str = Field(..., description="In the reply's language: 999 for a child in danger now, the Children's Trust")
    sources: list[str] = Field(..., description="Public pages where the numbers were confirmed")


class ChatResponse(BaseModel):
    """The reply (contract in docs/architecture.md).

    ``glossary``, ``direction``, ``message_index``, ``quotes``, ``unsure`` and ``safety_line`` extend the contract.
    """

    conversation_id: str
    message_index: int | None = Field(None, description="Which turn of the conversation this is (for feedback)")
    status: Literal["answered", "not_found", "out_of_scope", "safeguarding"]
    language: str
    detected_language: str
    direction: Literal["ltr", "rtl"]
    answer: str = Field(..., description="Plain text with [n] markers; every n is in citations")
    citations: list[CitationPublic]
    quotes: list[QuotePublic] = Field(
        default_factory=list, description="The English sentences the answer quotes (marked up as English by clients)"
    )
    handoff: list[HandoffPublic]
    glossary: list[GlossaryNotePublic]
    safety_line: SafetyLinePublic
    unsure: bool = Field(
        False,
        description="The quotes are the closest passages found, not an answer the navigator is sure of (the framing "
        "says so); clients may show them folded, with the people who can help after them",
    )

    @classmethod
    def from_turn(cls, turn: ChatTurn) -> ChatResponse:
        """The public JSON of a turn."""
        a = turn.answer
        locale = get_locale(a.language)
        lines = set(a.text.split("\n"))
        return cls(
            conversation_id=turn.conversation_id,
            message_index=turn.message_index,
            status=a.status,
            language=a.language,
            detected_language=a.detected_language,
            direction=a.direction,
            answer=a.text,
            citations=[CitationPublic(**asdict(c)) for c in a.citations],  # the same fields, by name
            quotes=[QuotePublic(n=q.n, text=q.text, source=q.source, note=q.note) for q in a.quotes],
            unsure="unsure" in a.notes,
            handoff=[
                HandoffPublic(
                    id=c.id, name=c.name, url=c.url, phone=c.phone, line=_written(contact_line(locale, c), lines)
                )
                for c in a.handoff
            ],
            glossary=[
                GlossaryNotePublic(id=g.term_id, term=g.term, english=g.english, explanation=g.explanation)
                for g in a.glossary
            ],
            safety_line=SafetyLinePublic(text=a.safety_line, sources=list(a.safety_sources)),
        )


class FeedbackRequest(BaseModel):
    """``POST /api/feedback``."""

    model_config = ConfigDict(extra="forbid")

    conversation_id: str = Field(..., max_length=64)
    message_index: int = Field(..., ge=0, le=1_000_000, description="The reply's message_index")
    useful: bool
    comment: str | None = Field(None, description="Optional; personal details are removed before it is stored")


class FeedbackResponse(BaseModel):
    """The stored feedback's id."""

    id: int
    status: Literal["stored"] = "stored"


class ReloadResponse(BaseModel):
    """``POST /api/admin/reload``: the index now served."""

    status: Literal["reloaded"] = "reloaded"
    index_built_at: str
    chunks: int


def _written(line: str, lines: set[str]) -> str | None:
    """``line`` when the reply's text has it as one of its lines."""
    return line if line in lines else None
