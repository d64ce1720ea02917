"""One place that turns errors into ``{"error": {"code", "message"}}`` with the right status.

Errors of ``/api/chat`` and ``/api/chat/stream`` with status 413, 422 or 429 also carry ``localised``: the text
for the family in the request's language (the body's ``language`` when valid, else English).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from navigator.errors import NavigatorError
from navigator.languages.locales import DEFAULT_LANGUAGE, LANGUAGES, get_locale

logger = logging.getLogger(__name__)

REQUEST_BODY_STATE = "request_body"
"""Request-state key under which ``api.limits.BodySizeLimitMiddleware`` keeps the raw body it read."""

SECURITY_HEADERS: Mapping[str, str] = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
"""Headers every response carries (``api.limits.SecurityHeadersMiddleware``; the 500 handler adds them itself)."""

_LOCALISED_PATHS = frozenset({"/api/chat", "/api/chat/stream"})


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    localised: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The JSON error body used for every failure (``localised`` is added only when given)."""
    error = {"code": code, "message": message}
    if localised is not None:
        error["localised"] = localised
    return JSONResponse({"error": error}, status_code=status, headers=dict(headers) if headers else None)


def _parsed_body(body: bytes | None) -> dict[str, object]:
    """The request's JSON object, or an empty dict when it is missing, too odd or not an object."""
    if not body:
        return {}
    try:
        parsed = json.loads(body)
    except ValueError:  # invalid JSON or not UTF-8
        return {}
    return parsed if isinstance(parsed, dict) else {}


def body_language(body: bytes | None) -> str:
    """The ``language`` field of a JSON request body when it is a supported code, else English."""
    language = _parsed_body(body).get("language")
    return language if isinstance(language, str) and language in LANGUAGES else DEFAULT_LANGUAGE


def localised_text(path: str, body: bytes | None, key: str, **values: object) -> str | None:
    """The locale text ``key`` in the request's language, for the chat paths only (None elsewhere)."""
    if path not in _LOCALISED_PATHS:
        return None
    return get_locale(body_language(body)).text(key, **values)


def _request_body(request: Request) -> bytes | None:
    body = request.scope.get("state", {}).get(REQUEST_BODY_STATE)
    return body if isinstance(body, bytes) else None


def _localised_for(request: Request, status: int) -> str | None:
    """The family-facing text for a 413 or 422 of a chat request (429s are answered in ``api.limits``)."""
    if status not in (413, 422) or request.scope.get("path") not in _LOCALISED_PATHS:
        return None
    body = _request_body(request)
    if status == 413:
        return localised_text(request.scope["path"], body, "error.too_long", limit=_query_limit(request))
    message = _parsed_body(body).get("message")
    key = "error.empty" if isinstance(message, str) and not message.strip() else "error.bad_request"
    return localised_text(request.scope["path"], body, key)


def _query_limit(request: Request) -> int:
    settings = getattr(request.app.state, "settings", None)
    return int(getattr(settings, "max_query_chars", 1000))


def install_error_handlers(app: FastAPI) -> None:
    """Map navigator errors, validation errors, HTTP errors and anything unexpected to JSON."""

    @app.exception_handler(NavigatorError)
    async def _navigator(request: Request, exc: NavigatorError) -> JSONResponse:
        localised = _localised_for(request, exc.http_status)  # QueryTooLongError 413, QueryRejectedError 422
        return error_response(exc.http_status, exc.code, str(exc), localised=localised)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body') or 'body'}: {e.get('msg')}"
            for e in exc.errors()
        )
        return error_response(
            422, "invalid_request", f"The request is not valid: {problems}", localised=_localised_for(request, 422)
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.__cause__, UnicodeDecodeError):  # FastAPI's 400 for a body that is not UTF-8
            message = "The request is not valid: the body is not UTF-8 JSON."
            return error_response(422, "invalid_request", message, localised=_localised_for(request, 422))
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(
            exc.status_code, code, str(exc.detail), localised=_localised_for(request, exc.status_code)
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        request_id = uuid.uuid4().hex[:12]
        logger.exception("unhandled error (request %s)", request_id, exc_info=exc)
        # Sent by Starlette's outermost error middleware, past the security-headers middleware: add them here.
        return error_response(
            500,
            "internal_error",
            f"Something went wrong (request {request_id}).",
            headers={**SECURITY_HEADERS, "Cache-Control": "no-store"},
        )
