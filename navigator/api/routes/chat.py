"""``POST /api/chat`` and ``POST /api/chat/stream``: cited answers, whole or as Server-Sent Events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from navigator.answer.chat import ChatInput, ChatService, ChatTurn
from navigator.answer.reply_parts import Event
from navigator.api.deps import get_chat
from navigator.api.schemas import (
    ChatRequest,
    ChatResponse,
    ErrorResponse,
)
from navigator.errors import NavigatorError

router = APIRouter()
_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResponse},
    422: {"model": ErrorResponse},
    503: {"model": ErrorResponse},
}


def _chat_input(request: ChatRequest) -> ChatInput:
    return ChatInput(request.message, request.language, request.conversation_id, request.audience)


@router.post("/api/chat", response_model=ChatResponse, responses=_ERRORS)
async def chat(request: ChatRequest, service: Annotated[ChatService, Depends(get_chat)]) -> ChatResponse:
    """One reply, complete."""
    turn = await run_in_threadpool(service.reply, _chat_input(request))
    return ChatResponse.from_turn(turn)


def _sse(event: str, data: str) -> str:
    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
    return f"event: {event}\n{lines}\n"


@router.post(
    "/api/chat/stream",
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "delta events, then one final event"},
        **_ERRORS,
    },
)
async def chat_stream(request: ChatRequest, service: Annotated[ChatService, Depends(get_chat)]) -> StreamingResponse:
    """Server-Sent Events: ``delta`` events (JSON ``{"text": ...}``) as the reply is written, then ``final``.

    Input errors are raised before the stream starts, so they get a normal JSON error response; an error
    during the stream becomes an ``error`` event with the same ``{"error": {...}}`` body.
    """
    events: Iterator[Event] = service.stream(_chat_input(request))
    first = await run_in_threadpool(next, events)  # validation errors surface here, before any byte is sent

    async def body() -> AsyncIterator[str]:
        try:
            yield _frame(*first)
            async for kind, value in iterate_in_threadpool(events):
                yield _frame(kind, value)
        except NavigatorError as exc:
            yield _sse("error", json.dumps({"error": {"code": exc.code, "message": str(exc)}}, ensure_ascii=False))

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(body(), media_type="text/event-stream", headers=headers)


def _frame(kind: str, value: object) -> str:
    if kind == "final":
        assert isinstance(value, ChatTurn)
        return _sse("final", ChatResponse.from_turn(value).model_dump_json())
    return _sse("delta", json.dumps({"text": value}, ensure_ascii=False))
