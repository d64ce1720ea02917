"""``POST /api/feedback``: useful / not useful on one reply, with an optional comment."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from navigator.api.deps import ChatHolder
from navigator.api.schemas import ErrorResponse, FeedbackRequest, FeedbackResponse
from navigator.errors import StorageError

router = APIRouter()


@router.post(
    "/api/feedback",
    response_model=FeedbackResponse,
    status_code=201,
    responses={404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
)
async def feedback(body: FeedbackRequest, request: Request) -> FeedbackResponse:
    """Store the feedback, linked to the reply and its citations."""
    holder: ChatHolder = request.app.state.chat
    store = holder.store
    if store is None:
        raise StorageError("Feedback is not stored: no conversation database is configured.")
    feedback_id = await run_in_threadpool(
        store.add_feedback, body.conversation_id, body.message_index, useful=body.useful, comment=body.comment
    )
    return FeedbackResponse(id=feedback_id)
