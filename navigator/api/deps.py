"""The index the API serves, loaded at start-up and reloaded on demand; requests wait on nothing but the query.

A reload builds the new searcher completely before it replaces the reference, so requests in flight finish
on the old one and none is dropped; if the new index cannot be loaded, the old one keeps serving.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from fastapi import Request
from langchain_core.embeddings import Embeddings

from navigator.answer.chat import ChatOptions, ChatService
from navigator.answer.contacts import (
    handoff_contacts,
    risk_specific_contacts,
    safeguarding_contacts,
    safety_line_sources,
)
from navigator.answer.extractive import ExtractiveComposer, StoredSentenceVectors
from navigator.answer.generative import llm_composer_from_settings
from navigator.answer.language import LanguageDetector
from navigator.answer.named_terms import NamedTermCheck
from navigator.answer.redaction import redact_personal_data
from navigator.answer.safety import SafeguardingDetector
from navigator.answer.safety_semantic import ExemplarMatcher, load_exemplars
from navigator.answer.scope import GreetingDetector, ScopeClassifier, load_scope_data
from navigator.answer.signposting import Contacts
from navigator.config import Settings
from navigator.conversations import ConversationStore
from navigator.errors import IndexMismatchError, IndexNotReadyError, ModelError, NavigatorError
from navigator.glossary import load_glossary
from navigator.retrieval.embedders import SentenceTransformerEmbedder, query_vectors
from navigator.retrieval.expansion import GlossaryExpander
from navigator.retrieval.index_store import load_index
from navigator.retrieval.onnx_embedder import OnnxEmbedder
from navigator.retrieval.onnx_export import read_export_record
from navigator.retrieval.provision import resolve_model
from navigator.retrieval.searcher import Searcher, SearchOptions

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
                searcher = build_searcher(settings, *_reusable_embeddings(current, settings))
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


def _reusable_embeddings(current: Searcher | None, settings: Settings) -> tuple[Embeddings | None, Embeddings | None]:
    """The loaded models of the current searcher that are still the configured ones: a reload need not reload them."""

    def same(embeddings: Embeddings | None, model_id: str) -> Embeddings | None:
        if not isinstance(embeddings, SentenceTransformerEmbedder | OnnxEmbedder) or embeddings.model_id != model_id:
            return None
        try:
            wanted = _embedder(settings, model_id)  # loads nothing: says which runtime the settings now pick
        except ModelError:
            return None  # the reload itself reports it
        return embeddings if type(wanted) is type(embeddings) and wanted.model_path == embeddings.model_path else None

    if current is None:
        return None, None
    english = current.english_queries.embeddings if current.english_queries else None
    return same(current.queries.embeddings, settings.embedding_model), same(english, settings.english_model)


def embedder_from_settings(settings: Settings) -> SentenceTransformerEmbedder | OnnxEmbedder:
    """The configured embedding model (loaded on first use).

    Raises:
        ModelError: the default model is not provisioned (the message says to run `navigator models install`).

    """
    return _embedder(settings, settings.embedding_model)


def english_embedder_from_settings(settings: Settings) -> SentenceTransformerEmbedder | OnnxEmbedder:
    """The configured English companion model (loaded on first use).

    Raises:
        ModelError: the default companion is not provisioned (the message says to run `navigator models install`).

    """
    return _embedder(settings, settings.english_model)


def _embedder(settings: Settings, model_id: str) -> SentenceTransformerEmbedder | OnnxEmbedder:
    """The model run by the configured backend: ONNX Runtime needs the checked export `models install` writes."""
    path = resolve_model(model_id, settings.model_cache_dir)
    exported = read_export_record(Path(path)) is not None
    if settings.embedding_backend == "onnx" and not exported:
        raise ModelError(
            f"NAVIGATOR_EMBEDDING_BACKEND=onnx, but {path} has no checked ONNX export. Run `navigator models "
            "install` (it exports provisioned models) or set NAVIGATOR_EMBEDDING_BACKEND=torch."
        )
    if settings.embedding_backend != "torch" and exported:
        return OnnxEmbedder(model_id, path, settings.embedding_batch_size)
    return SentenceTransformerEmbedder(model_id, path, settings.embedding_batch_size)


def search_options(settings: Settings) -> SearchOptions:
    """The searcher's fusion weights and limits from the settings."""
    r = settings.retrieval
    return SearchOptions(
        candidates=r.candidates,
        rrf_k=r.rrf_k,
        dense_weight=r.dense_weight,
        bm25_weight=r.bm25_weight,
        sentence_weight=r.sentence_weight,
        english_dense_weight=r.english_dense_weight,
        english_sentence_weight=r.english_sentence_weight,
        max_query_chars=settings.max_query_chars,
        late_interaction=r.late_interaction,
        late_depth=r.late_depth,
        late_weight=r.late_weight,
    )


def build_searcher(
    settings: Settings, embeddings: Embeddings | None = None, english_embeddings: Embeddings | None = None
) -> Searcher:
    """Load the configured index (manifest checked) and warm the embedding models.

    Args:
        settings: which index and models.
        embeddings: an already loaded instance of the configured model (a reload); loaded from settings if None.
        english_embeddings: the same for the English companion model.

    """
    index = load_index(
        settings.index_dir,
        model_id=settings.embedding_model,
        max_words=settings.chunking.max_words,
        overlap_sentences=settings.chunking.overlap_sentences,
        english_model=settings.english_model,
    )
    embedder = embeddings or embedder_from_settings(settings)
    english_embedder = (english_embeddings or english_embedder_from_settings(settings)) if index.english else None
    options = search_options(settings)
    expander = None
    if settings.retrieval.expand_glossary:
        expander = GlossaryExpander(load_glossary())
        expander.warm_up()
    detector = LanguageDetector()
    searcher = Searcher(index, embedder, options, expander, lambda text: detector.detect(text).lang, english_embedder)
    searcher.queries.vector("warm-up")  # load weights now, not on the first user's request
    if searcher.english_queries is not None:
        searcher.english_queries.vector("warm-up")
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


def build_chat_service(settings: Settings, searcher: Searcher, store: ConversationStore | None) -> ChatService:
    """The chat service with the shipped data files and, when configured, the LLM composer."""
    index = searcher.index
    extractive = ExtractiveComposer(StoredSentenceVectors(index.chunks, index.sentence_chunk, index.sentence_vectors))
    glossary = searcher.expander.glossary if searcher.expander else load_glossary()
    scope = ScopeClassifier(searcher.queries.vector, load_scope_data())
    scope.warm_up()
    safeguarding = safeguarding_from_settings(settings, searcher.queries.embeddings)
    safeguarding.warm_up()
    return ChatService(
        searcher,
        extractive,
        glossary=glossary,
        contacts=Contacts(
            safeguarding_contacts(), handoff_contacts(), safety_line_sources(), risk_specific_contacts()
        ),
        safeguarding=safeguarding,
        greetings=GreetingDetector(load_scope_data().greetings),
        scope=scope,
        named_terms=NamedTermCheck(glossary),
        llm=llm_composer_from_settings(settings.llm),
        store=store,
        redact=redact_personal_data,
        options=ChatOptions(history_turns=settings.history_turns, min_evidence_score=settings.min_evidence_score),
    )


def safeguarding_from_settings(settings: Settings, embeddings: Embeddings) -> SafeguardingDetector:
    """Word patterns plus, unless switched off, the meaning check over the same model's query vectors.

    The examples' vectors are kept in ``model_cache_dir`` so that a server start does not embed them again.
    """
    options = settings.safeguarding
    matcher = None
    model_id = getattr(embeddings, "model_id", None)
    if options.meaning and model_id != options.calibrated_for:
        logger.warning(
            "safeguarding: the meaning check's margins were chosen for %s, not %s; only word patterns are used "
            "(run `python -m evals.safeguarding.calibrate` and set NAVIGATOR_SAFEGUARDING__CALIBRATED_FOR)",
            options.calibrated_for,
            model_id,
        )
    elif options.meaning:
        runtime = type(embeddings).__name__
        model_key = f"{settings.embedding_model}:{runtime}:{getattr(embeddings, 'model_path', '')}"
        matcher = ExemplarMatcher(
            lambda texts: query_vectors(embeddings, texts),
            load_exemplars(),
            model_key,
            options.neighbours,
            cache_dir=settings.model_cache_dir,
        )
    return SafeguardingDetector(matcher=matcher, margin=options.margin, guarded_margin=options.guarded_margin)


def open_store(settings: Settings) -> ConversationStore:
    """The SQLite conversation store named by the settings (opened lazily)."""
    return ConversationStore(
        settings.database_path,
        retention_days=settings.retention_days,
        redact=redact_personal_data,
        busy_timeout=settings.database_busy_timeout,
    )


def get_chat(request: Request) -> ChatService:
    """FastAPI dependency: the app's chat service."""
    holder: ChatHolder = request.app.state.chat
    return holder.get()
