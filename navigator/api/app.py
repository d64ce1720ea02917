"""The FastAPI app factory: settings in, app out; the index loads at start-up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from navigator import __version__
from navigator.api.deps import ChatHolder, SearcherHolder
from navigator.api.errors import install_error_handlers
from navigator.api.limits import (
    BodySizeLimitMiddleware,
    RateLimitMiddleware,
    SecurityHeadersMiddleware,
    TokenBucketLimiter,
)
from navigator.api.routes import admin, chat, feedback, health, search, widget
from navigator.assembly import open_store
from navigator.config import Settings, get_settings
from navigator.retrieval.searcher import Searcher


def create_app(settings: Settings | None = None, searcher: Searcher | None = None) -> FastAPI:
    """Build the app.

    Args:
        settings: configuration; read from the environment when omitted.
        searcher: an already loaded searcher (tests); otherwise the configured index loads at start-up.

    """
    settings = settings or get_settings()
    holder = SearcherHolder(searcher)
    store = open_store(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Every blocking call (search, chat, storage) runs in this loop's thread pool: bound it.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        if searcher is None:
            await run_in_threadpool(holder.load, settings)
        restore_signal = admin.install_reload_signal(holder, settings)  # SIGHUP reloads under `navigator serve`
        yield
        restore_signal()
        store.close()

    # No /docs or /redoc: both load their scripts from a CDN, which an offline server cannot reach and its content
    # security policy would refuse; the schema itself is served at /openapi.json for any OpenAPI viewer.
    app = FastAPI(title="SEND Navigator", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.searchers = holder
    app.state.chat = ChatHolder(settings, holder, store)
    install_error_handlers(app)
    # The last middleware added runs first: security headers, CORS, body size, rate limit, then the routes, so
    # 413 and 429 answers carry CORS and security headers, and a 429 can be written in the body's language.
    app.state.rate_limiter = TokenBucketLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
    app.add_middleware(
        RateLimitMiddleware, limiter=app.state.rate_limiter, trust_forwarded_for=settings.trust_forwarded_for
    )
    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes, max_query_chars=settings.max_query_chars
    )
    # Council pages on other origins call the API from the widget; no cookies are used, so no credentials.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["content-type"],
        allow_credentials=False,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.include_router(health.router)
    app.include_router(search.router)
    app.include_router(chat.router)
    app.include_router(feedback.router)
    app.include_router(admin.router)
    app.include_router(widget.router)
    return app
