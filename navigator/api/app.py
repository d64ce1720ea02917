"""The FastAPI app factory: settings in, app out; the index loads at start-up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from navigator import __version__
from navigator.api.deps import ChatHolder, SearcherHolder, open_store
from navigator.api.errors import install_error_handlers
from navigator.api.routes import chat, feedback, health, search
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
        if searcher is None:
            await run_in_threadpool(holder.load, settings)
        yield
        store.close()

    app = FastAPI(title="SEND Navigator", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.state.searchers = holder
    app.state.chat = ChatHolder(settings, holder, store)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(search.router)
    app.include_router(chat.router)
    app.include_router(feedback.router)
    return app
