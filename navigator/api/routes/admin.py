"""``POST /api/admin/reload`` and SIGHUP: serve a newly built index without restarting or dropping requests.

After ``navigator index build``, either send ``kill -HUP <pid of navigator serve>`` or call the route with
``Authorization: Bearer $NAVIGATOR_ADMIN_TOKEN``. The route exists only when that token is set (otherwise
404) and is left out of the OpenAPI schema. A reload that fails keeps the previous index serving.
"""

from __future__ import annotations

import logging
import secrets
import signal
import threading
from collections.abc import Callable
from contextlib import suppress
from types import FrameType
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool

from navigator.api.deps import SearcherHolder
from navigator.api.errors import error_response
from navigator.api.schemas import ReloadResponse
from navigator.config import Settings
from navigator.errors import NavigatorError

logger = logging.getLogger(__name__)

router = APIRouter()


@router.post("/api/admin/reload", response_model=ReloadResponse, include_in_schema=False)
async def reload_index(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> ReloadResponse | JSONResponse:
    """Load the index on disk again and serve it; 503 with the reason (the old index still serving) if it fails."""
    settings: Settings = request.app.state.settings
    if settings.admin_token is None:
        raise HTTPException(404, "Not Found")  # disabled: indistinguishable from a route that does not exist
    if not _authorised(authorization, settings.admin_token):
        response = error_response(
            401, "unauthorized", "Send the admin token as `Authorization: Bearer <NAVIGATOR_ADMIN_TOKEN>`."
        )
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    holder: SearcherHolder = request.app.state.searchers
    try:
        searcher = await run_in_threadpool(holder.reload, settings)
    except NavigatorError as exc:
        return error_response(503, exc.code, f"The new index was not loaded: {exc} {_still_serving(holder)}")
    manifest = searcher.index.manifest
    return ReloadResponse(index_built_at=manifest.built_at, chunks=manifest.chunks)


def install_reload_signal(holder: SearcherHolder, settings: Settings) -> Callable[[], None]:
    """Reload the index on SIGHUP, in a worker thread; returns a function that puts the previous handler back.

    Only in the main thread (``navigator serve``): signal handlers cannot be set elsewhere, and a test
    client or an embedding application keeps its own.
    """
    if not hasattr(signal, "SIGHUP") or threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_hangup(_signum: int, _frame: FrameType | None) -> None:
        # The handler runs between bytecodes of the event loop's thread: hand the slow load to a thread.
        threading.Thread(target=_reload_logged, args=(holder, settings), name="navigator-reload", daemon=True).start()

    previous: Any = signal.signal(signal.SIGHUP, on_hangup)
    logger.info("send SIGHUP to reload the index")

    def restore() -> None:
        signal.signal(signal.SIGHUP, previous if previous is not None else signal.SIG_DFL)

    return restore


def _reload_logged(holder: SearcherHolder, settings: Settings) -> None:
    with suppress(NavigatorError):  # the holder logs the reason and keeps the previous index serving
        holder.reload(settings)


def _authorised(header: str | None, token: SecretStr) -> bool:
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return False
    return secrets.compare_digest(given.strip().encode(), token.get_secret_value().encode())


def _still_serving(holder: SearcherHolder) -> str:
    try:
        manifest = holder.get().index.manifest
    except NavigatorError:
        return "No index is being served."
    return f"The index built at {manifest.built_at} ({manifest.chunks} chunks) is still being served."
