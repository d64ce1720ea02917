"""The index the API serves, loaded at start-up and reloaded on demand; requests wait on nothing but the query.

A reload builds the new searcher completely before it replaces the reference, so requests in flight finish
on the old one and none is dropped; if the new index cannot be loaded, the old one keeps serving.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import suppress

from fastapi import Request

from navigator.answer.chat import ChatService
from navigator.assembly import build_chat_service, build_searcher, reusable_embeddings
from navigator.config import Settings
from navigator.errors import IndexMismatchError, IndexNotReadyError, NavigatorError
from navigator.retrieval.searcher import Searcher
from navigator.storage.conversations import ConversationStore

logger = logging.getLogger(__name__)


class SearcherHolder:
    """Holds the loaded ``Searcher``, or the reason there is none (served as a 503)."""

    def __init__(self, searcher: Searcher | None = None) -> None:
        self._searcher = searcher
        self._error: NavigatorError | None = None
        self._lock = threading.Lock()  # guards the reference; held only to read or swap it
        self._loading = threading.Lock()  # one load at a time
        self._preparers: list[Callable[[Searcher], None]] = []

    def prepare_with(self, preparer: Callable[[Searcher], None]) -> None:
        """Run ``preparer`` on every reloaded searcher before it serves (e.g. to build what depends on it)."""
        self._preparers.append(preparer)

    def load(self, settings: Settings) -> None:
        """Load the index and model named by ``settings`` at start-up; on failure keep the error to report it."""
        with suppress(NavigatorError):  # logged, and kept for get() to report
            self._load(settings, prepare=False)

    def reload(self, settings: Settings) -> Searcher:
        """Load the index on disk again and serve it; requests in flight finish on the previous one.

        Returns:
            The new searcher.

        Raises:
            IndexNotReadyError: the new index is missing or damaged (the previous one, if any, keeps serving).
            IndexMismatchError: the new index was built for other settings (likewise).

        """
        return self._load(settings, prepare=True)

    def get(self) -> Searcher:
        """The searcher.

        Raises:
            IndexNotReadyError: nothing is loaded (the message says why and how to fix it).
            IndexMismatchError: the index on disk was built for other settings.

        """
        with self._lock:
            searcher, error = self._searcher, self._error
        if searcher is not None:
            return searcher
        if isinstance(error, IndexNotReadyError | IndexMismatchError):
            raise error
        if error is not None:  # the model, not the index: its message names the fix
            raise IndexNotReadyError(f"No index is loaded: {error}")
        raise IndexNotReadyError("No index is loaded yet. Run `navigator index build`, then start the server.")

    def _load(self, settings: Settings, *, prepare: bool) -> Searcher:
        with self._loading:
            with self._lock:
                current = self._searcher
            try:
                searcher = build_searcher(settings, *reusable_embeddings(current, settings))
                for preparer in self._preparers if prepare else []:
                    preparer(searcher)
            except NavigatorError as exc:
                self._failed(exc, current)
                raise
            except Exception as exc:  # a bug or a damaged model folder: still a 503 with a reason, not a crash
                logger.exception("loading the index failed")
                error = IndexNotReadyError(
                    f"The index at {settings.index_dir} could not be loaded ({type(exc).__name__}: {exc}). "
                    "Run `navigator index build`; the server log has the details."
                )
                self._failed(error, current)
                raise error from exc
            with self._lock:
                self._searcher, self._error = searcher, None
            manifest = searcher.index.manifest
            logger.info("serving the index built at %s (%d chunks)", manifest.built_at, manifest.chunks)
            return searcher

    def _failed(self, error: NavigatorError, current: Searcher | None) -> None:
        if current is None:
            logger.error("no index loaded: %s", error)
            with self._lock:
                self._error = error
        else:
            logger.error(
                "reload failed; still serving the index built at %s: %s", current.index.manifest.built_at, error
            )


def get_searcher(request: Request) -> Searcher:
    """FastAPI dependency: the app's searcher."""
    holder: SearcherHolder = request.app.state.searchers
    return holder.get()


class ChatHolder:
    """Builds the chat service on first use from the loaded searcher (so a missing index stays a 503)."""

    def __init__(self, settings: Settings, searchers: SearcherHolder, store: ConversationStore | None) -> None:
        self._settings = settings
        self._searchers = searchers
        self._store = store
        self._service: ChatService | None = None
        self._for: Searcher | None = None
        self._next: tuple[Searcher, ChatService] | None = None  # built by prepare() for a reloaded index
        self._lock = threading.Lock()
        searchers.prepare_with(self.prepare)

    @property
    def store(self) -> ConversationStore | None:
        """The conversation and feedback store."""
        return self._store

    def get(self) -> ChatService:
        """The chat service over the current index.

        Raises:
            IndexNotReadyError: no index is loaded.

        """
        with self._lock:  # the searcher is read under the lock, so requests never see an older one again
            searcher = self._searchers.get()
            if self._service is None or self._for is not searcher:
                if self._next is not None and self._next[0] is searcher:
                    self._service = self._next[1]
                else:
                    self._service = build_chat_service(self._settings, searcher, self._store)
                self._for, self._next = searcher, None
            return self._service

    def prepare(self, searcher: Searcher) -> None:
        """Build the service for a reloaded searcher before it serves, so no request waits for the build."""
        with self._lock:
            if self._service is None:
                return  # nothing built yet: the first chat request builds it, as at start-up
        service = build_chat_service(self._settings, searcher, self._store)
        with self._lock:
            self._next = (searcher, service)


def get_chat(request: Request) -> ChatService:
    """FastAPI dependency: the app's chat service."""
    holder: ChatHolder = request.app.state.chat
    return holder.get()
