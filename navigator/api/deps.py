"""The index the API serves, loaded once at start-up; requests wait on nothing but the query embedding."""

from __future__ import annotations

import logging
import threading

from fastapi import Request

from navigator.answer.chat import ChatOptions, ChatService, Contacts
from navigator.answer.contacts import handoff_contacts, safeguarding_contacts
from navigator.answer.extractive import ExtractiveComposer, StoredSentenceVectors
from navigator.answer.generative import llm_composer_from_settings
from navigator.answer.language import LanguageDetector
from navigator.answer.named_terms import NamedTermCheck
from navigator.answer.redaction import redact_personal_data
from navigator.answer.safety import SafeguardingDetector
from navigator.answer.scope import GreetingDetector, ScopeClassifier, load_scope_data
from navigator.config import Settings
from navigator.conversations import ConversationStore
from navigator.errors import IndexMismatchError, IndexNotReadyError, NavigatorError
from navigator.glossary import load_glossary
from navigator.retrieval.embedders import SentenceTransformerEmbedder
from navigator.retrieval.expansion import GlossaryExpander
from navigator.retrieval.index_store import load_index
from navigator.retrieval.provision import resolve_model
from navigator.retrieval.searcher import Searcher, SearchOptions

logger = logging.getLogger(__name__)


class SearcherHolder:
    """Holds the loaded ``Searcher``, or the reason there is none (served as a 503)."""

    def __init__(self, searcher: Searcher | None = None) -> None:
        self._searcher = searcher
        self._error: NavigatorError | None = None
        self._lock = threading.Lock()

    def load(self, settings: Settings) -> None:
        """Load the index and model named by ``settings``; on failure keep the error to report it."""
        with self._lock:
            try:
                self._searcher = build_searcher(settings)
                self._error = None
            except NavigatorError as exc:  # no index, another model's index, model not provisioned
                logger.error("no index loaded: %s", exc)
                self._error = exc

    def get(self) -> Searcher:
        """The searcher.

        Raises:
            IndexNotReadyError: nothing is loaded (the message says why and how to fix it).

        """
        if self._searcher is not None:
            return self._searcher
        if isinstance(self._error, IndexNotReadyError | IndexMismatchError):
            raise self._error
        raise IndexNotReadyError(
            f"No index is loaded{f' ({self._error})' if self._error else ''}. Run `navigator index build`."
        )


def embedder_from_settings(settings: Settings) -> SentenceTransformerEmbedder:
    """The configured embedding model (loaded on first use).

    Raises:
        ModelError: the default model is not provisioned (the message says to run `navigator models install`).

    """
    return SentenceTransformerEmbedder(
        settings.embedding_model,
        resolve_model(settings.embedding_model, settings.model_cache_dir),
        settings.embedding_batch_size,
    )


def build_searcher(settings: Settings) -> Searcher:
    """Load the configured index (manifest checked) and warm the embedding model."""
    index = load_index(
        settings.index_dir,
        model_id=settings.embedding_model,
        max_words=settings.chunking.max_words,
        overlap_sentences=settings.chunking.overlap_sentences,
    )
    embedder = embedder_from_settings(settings)
    r = settings.retrieval
    options = SearchOptions(
        r.candidates, r.rrf_k, r.dense_weight, r.bm25_weight, r.sentence_weight, settings.max_query_chars
    )
    expander = None
    if r.expand_glossary:
        expander = GlossaryExpander(load_glossary())
        expander.warm_up()
    detector = LanguageDetector()
    searcher = Searcher(index, embedder, options, expander, lambda text: detector.detect(text).lang)
    searcher.queries.vector("warm-up")  # load weights now, not on the first user's request
    return searcher


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
        self._lock = threading.Lock()

    @property
    def store(self) -> ConversationStore | None:
        """The conversation and feedback store."""
        return self._store

    def get(self) -> ChatService:
        """The chat service over the current index.

        Raises:
            IndexNotReadyError: no index is loaded.

        """
        searcher = self._searchers.get()
        with self._lock:
            if self._service is None or self._for is not searcher:
                self._service = build_chat_service(self._settings, searcher, self._store)
                self._for = searcher
            return self._service


def build_chat_service(settings: Settings, searcher: Searcher, store: ConversationStore | None) -> ChatService:
    """The chat service with the shipped data files and, when configured, the LLM composer."""
    index = searcher.index
    extractive = ExtractiveComposer(StoredSentenceVectors(index.chunks, index.sentence_chunk, index.sentence_vectors))
    glossary = searcher.expander.glossary if searcher.expander else load_glossary()
    scope = ScopeClassifier(searcher.queries.vector, load_scope_data())
    scope.warm_up()
    return ChatService(
        searcher,
        extractive,
        glossary=glossary,
        contacts=Contacts(safeguarding_contacts(), handoff_contacts()),
        safeguarding=SafeguardingDetector(),
        greetings=GreetingDetector(load_scope_data().greetings),
        scope=scope,
        named_terms=NamedTermCheck(glossary),
        llm=llm_composer_from_settings(settings.llm),
        store=store,
        redact=redact_personal_data,
        options=ChatOptions(history_turns=settings.history_turns, min_evidence_score=settings.min_evidence_score),
    )


def open_store(settings: Settings) -> ConversationStore:
    """The SQLite conversation store named by the settings (opened lazily)."""
    return ConversationStore(
        settings.database_path, retention_days=settings.retention_days, redact=redact_personal_data
    )


def get_chat(request: Request) -> ChatService:
    """FastAPI dependency: the app's chat service."""
    holder: ChatHolder = request.app.state.chat
    return holder.get()
