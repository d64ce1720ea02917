"""Settings in, working objects out: the one place that decides which model, index, data and composer are used.

The CLI, the API, the evaluations and the benchmarks all build through here, so a component never reaches into
another layer to find its parts, and a new backend (a database, a vector store) is wired in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

from navigator.answer.answerability import AnswerabilityJudge
from navigator.answer.answerability import load_model as load_answerability_model
from navigator.answer.chat import ChatOptions, ChatService
from navigator.answer.contacts import (
    Contacts,
    handoff_contacts,
    risk_specific_contacts,
    safeguarding_contacts,
    safety_line_sources,
)
from navigator.answer.extractive import ExtractiveComposer, StoredSentenceVectors
from navigator.answer.generative import LLMComposer
from navigator.answer.named_terms import NamedTermCheck
from navigator.answer.question_probes import QuestionKinds, QuestionProbe, load_health_probe, load_question_kinds
from navigator.answer.redaction import redact_personal_data
from navigator.answer.safety import SafeguardingDetector
from navigator.answer.safety_semantic import ExemplarMatcher, LinearProbe, load_exemplars, load_probe
from navigator.answer.scope import GreetingDetector, ScopeClassifier, load_scope_data
from navigator.config import LLMSettings, Settings
from navigator.corpus.documents import load_documents
from navigator.errors import ConfigError, ModelError
from navigator.languages.detection import LanguageDetector
from navigator.languages.family_phrases import load_family_phrases
from navigator.languages.glossary import Glossary, load_glossary
from navigator.languages.word_translations import load_word_translations
from navigator.models.onnx_runtime import OnnxEmbedder, read_export_record
from navigator.models.provenance import weights_sha256
from navigator.models.registry import resolve_model
from navigator.models.torch_runtime import SentenceTransformerEmbedder
from navigator.retrieval.companion import EnglishModel
from navigator.retrieval.expansion import GlossaryExpander
from navigator.retrieval.index_build import build_index
from navigator.retrieval.index_store import IndexManifest, load_index
from navigator.retrieval.late_interaction import TokenSpanSource
from navigator.retrieval.searcher import Searcher
from navigator.retrieval.vectors import query_vectors
from navigator.storage.conversations import ConversationStore

logger = logging.getLogger(__name__)


def reusable_embeddings(current: Searcher | None, settings: Settings) -> tuple[Embeddings | None, Embeddings | None]:
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


def embedder(settings: Settings) -> SentenceTransformerEmbedder | OnnxEmbedder:
    """The configured embedding model (loaded on first use).

    Raises:
        ModelError: the default model is not provisioned (the message says to run `navigator models install`).

    """
    return _embedder(settings, settings.embedding_model)


def english_embedder(settings: Settings) -> SentenceTransformerEmbedder | OnnxEmbedder:
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
    model = embeddings or embedder(settings)
    english_model = (english_embeddings or english_embedder(settings)) if index.english else None
    expander = None
    if settings.retrieval.expand_glossary:
        words = load_word_translations() if settings.retrieval.translate_words else None
        expander = GlossaryExpander(load_glossary(), load_family_phrases(), words)
        expander.warm_up()
    detector = LanguageDetector()
    searcher = Searcher(
        index,
        model,
        settings.retrieval,
        expander,
        lambda text: detector.detect(text).lang,
        english_model,
        max_query_chars=settings.max_query_chars,
    )
    searcher.queries.vector("warm-up")  # load weights now, not on the first user's request
    if searcher.english_queries is not None:
        searcher.english_queries.vector("warm-up")
    return searcher


def build_chat_service(settings: Settings, searcher: Searcher, store: ConversationStore | None) -> ChatService:
    """The chat service with the shipped data files and, when configured, the LLM composer."""
    index = searcher.index
    model = searcher.queries.embeddings
    # Sentences are also matched token by token when the index holds token states and the model can place them.
    tokens = searcher.sentence_match(model) if isinstance(model, TokenSpanSource) else None
    vectors = StoredSentenceVectors(index.chunks, index.sentence_chunk, index.sentence_vectors)
    extractive = ExtractiveComposer(vectors, tokens=tokens)
    glossary = searcher.expander.glossary if searcher.expander else load_glossary()
    scope = ScopeClassifier(searcher.queries.vector, load_scope_data())
    scope.warm_up()
    safeguarding = build_safeguarding(settings, searcher.queries.embeddings)
    safeguarding.warm_up()
    return ChatService(
        searcher,
        extractive,
        glossary=glossary,
        contacts=Contacts(safeguarding_contacts(), handoff_contacts(), safety_line_sources(), risk_specific_contacts()),
        safeguarding=safeguarding,
        greetings=GreetingDetector(load_scope_data().greetings),
        scope=scope,
        llm=llm_composer(settings.llm),
        store=store,
        redact=redact_personal_data,
        judge=answerability_judge(settings, glossary, searcher.bm25.knows),
        options=ChatOptions(history_turns=settings.history_turns),
        health=health_probe(settings),
        kinds=question_kinds(settings),
    )


_P = TypeVar("_P", QuestionKinds, QuestionProbe)


def _fitted_probe(settings: Settings, load: Callable[[], _P], what: str) -> _P | None:
    """A shipped question probe when it loads and was fitted on the configured model's vectors; else None.

    Without it, ``what`` (logged) is lost and declines name the usual services.
    """
    try:
        probe = load()
    except ConfigError as exc:
        logger.error("%s: declines name the usual services only: %s", what, exc)
        return None
    if probe.model != settings.embedding_model:
        fitted, configured = probe.model, settings.embedding_model
        logger.warning("%s: fitted for %s, not %s; declines name the usual services only", what, fitted, configured)
        return None
    return probe


def question_kinds(settings: Settings) -> QuestionKinds | None:
    """The probes telling questions a decline can say who answers (one school, another council, one's own case)."""
    return _fitted_probe(settings, load_question_kinds, "question kinds")


def health_probe(settings: Settings) -> QuestionProbe | None:
    """The health-question probe (a health question's decline names NHS 111 first)."""
    return _fitted_probe(settings, load_health_probe, "health questions")


def answerability_judge(
    settings: Settings, glossary: Glossary, known: Callable[[str], bool] | None = None
) -> AnswerabilityJudge:
    """The shipped answerability model, at the configured threshold when one is set.

    ``known`` is the corpus vocabulary (whether the lexical index holds a word).
    """
    model = load_answerability_model()
    if settings.answer_threshold is not None:
        model = replace(model, threshold=settings.answer_threshold, english_threshold=None)
    return AnswerabilityJudge(model, named_terms=NamedTermCheck(glossary), known=known)


def example_matcher(settings: Settings, embeddings: Embeddings, probe: LinearProbe | None = None) -> ExemplarMatcher:
    """The meaning check's comparison with the shipped examples, their vectors cached in ``model_cache_dir``.

    Raises:
        ConfigError: the examples or the probe are malformed, or the probe was fitted on other examples.

    """
    runtime = type(embeddings).__name__
    model_key = f"{settings.embedding_model}:{runtime}:{getattr(embeddings, 'model_path', '')}"
    return ExemplarMatcher(
        lambda texts: query_vectors(embeddings, texts),
        load_exemplars(),
        model_key,
        settings.safeguarding.neighbours,
        cache_dir=settings.model_cache_dir,
        probe=probe,
    )


def build_safeguarding(settings: Settings, embeddings: Embeddings) -> SafeguardingDetector:
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
        try:
            matcher = example_matcher(settings, embeddings, load_probe())
        except ConfigError as exc:  # the margins are in the probe's units: without it only patterns are sound
            logger.error("safeguarding: the meaning check is off, only word patterns are used: %s", exc)
    return SafeguardingDetector(
        matcher=matcher,
        margin=options.margin,
        guarded_margin=options.guarded_margin,
        pattern_floor=options.pattern_floor,
        parts_offset=options.parts_offset,
        short_raise=options.short_raise,
    )


def open_store(settings: Settings) -> ConversationStore:
    """The SQLite conversation store named by the settings (opened lazily)."""
    return ConversationStore(
        settings.database_path,
        retention_days=settings.retention_days,
        redact=redact_personal_data,
        busy_timeout=settings.database_busy_timeout,
    )


def llm_composer(llm: LLMSettings) -> LLMComposer | None:
    """The configured LLM composer, or ``None`` when ``provider`` is ``"none"``.

    Nothing is contacted here; the first request reaches the server.

    Args:
        llm: The validated LLM settings.

    Returns:
        A composer over ``ChatOpenAI`` (no retries, the configured timeout) or ``ChatOllama``, or ``None``.

    Raises:
        ConfigError: The provider is set but the base URL or model is missing.

    """
    if llm.provider == "none":
        return None
    base_url, model_name = (llm.base_url or "").strip(), (llm.model or "").strip()
    if not base_url or not model_name:
        raise ConfigError(
            f"NAVIGATOR_LLM__PROVIDER={llm.provider} needs NAVIGATOR_LLM__BASE_URL and NAVIGATOR_LLM__MODEL; "
            "set them, or set NAVIGATOR_LLM__PROVIDER=none."
        )
    model: BaseChatModel
    if llm.provider == "openai":
        from langchain_openai import ChatOpenAI  # imported on use: the SDK is slow to import

        model = ChatOpenAI(
            model=model_name,
            base_url=base_url,
            # Local OpenAI-compatible servers ignore the key, but the SDK refuses to start without one.
            api_key=llm.api_key or SecretStr("not-needed"),
            timeout=llm.timeout_seconds,
            max_retries=0,  # one slow try is enough: the extractive answer is the fallback
            temperature=llm.temperature,
            max_tokens=llm.max_tokens,
        )
    else:
        from langchain_ollama import ChatOllama

        model = ChatOllama(
            model=model_name,
            base_url=base_url,
            temperature=llm.temperature,
            num_predict=llm.max_tokens,
            client_kwargs={"timeout": llm.timeout_seconds},
        )
    return LLMComposer(model, endpoint=base_url)


def build_index_from_settings(
    settings: Settings, progress: Callable[[str, int], Callable[[int], None]] | None
) -> IndexManifest:
    """Load the corpus and model named by ``settings`` and build the index."""
    documents = load_documents(settings.documents_path)
    english = None
    if settings.english_model:
        english = EnglishModel(settings.english_model, english_embedder(settings))
    embeddings = embedder(settings)
    manifest = build_index(
        documents,
        embeddings,
        settings.index_dir,
        model_id=settings.embedding_model,
        max_words=settings.chunking.max_words,
        overlap_sentences=settings.chunking.overlap_sentences,
        batch_size=settings.embedding_batch_size,
        progress=progress,
        english_model=english,
        late_interaction=settings.retrieval.late_interaction,
        model_sha256=weights_sha256(getattr(embeddings, "model_path", None)),
    )
    # The safeguarding examples' vectors too, so that the server's first chat reply does not wait for them.
    build_safeguarding(settings, embeddings).warm_up()
    return manifest
