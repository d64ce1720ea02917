"""The loaded index and its hybrid retriever, behind one ``search`` call used by the API, CLI and evals."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from langchain_core.embeddings import Embeddings

from navigator.errors import QueryRejectedError, QueryTooLongError
from navigator.retrieval.base import Query, Retriever, ScoredChunk
from navigator.retrieval.bm25 import BM25Retriever
from navigator.retrieval.dense import FaissRetriever, SentenceRetriever
from navigator.retrieval.expansion import GlossaryExpander
from navigator.retrieval.hybrid import HybridRetriever
from navigator.retrieval.index_store import LoadedIndex
from navigator.retrieval.late_interaction import LateInteractionOptions, LateInteractionReranker
from navigator.retrieval.vectors import QueryVectorCache

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class SearchOptions:
    """Fusion weights and limits (from ``RetrievalSettings``)."""

    candidates: int = 50
    rrf_k: int = 5
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    sentence_weight: float = 1.0
    english_dense_weight: float = 1.0  # the English companion's rankings, for English questions only
    english_sentence_weight: float = 1.0
    max_query_chars: int = 1000
    late_interaction: bool = True  # rerank the fused top passages token by token, when the index has the states
    late_depth: int = 30
    late_weight: float = 1.0


class Searcher:
    """Answers ``search(text, k)`` over one loaded index."""

    def __init__(
        self,
        index: LoadedIndex,
        embeddings: Embeddings,
        options: SearchOptions | None = None,
        expander: GlossaryExpander | None = None,
        detect_language: Callable[[str], str] | None = None,
        english_embeddings: Embeddings | None = None,
    ) -> None:
        self.index = index
        self.options = options or SearchOptions()
        self.expander = expander
        self.detect_language = detect_language  # names the language of queries that come without one
        self.queries = QueryVectorCache(embeddings)
        parts: dict[str, Retriever] = {
            "dense": FaissRetriever(index.chunk_index, index.chunks, self.queries),
            "sentence": SentenceRetriever(index.sentence_index, index.sentence_chunk, index.chunks, self.queries),
            "bm25": BM25Retriever(index.chunks),
        }
        self.retriever = HybridRetriever(parts, self.weights, self.options.candidates, self.options.rrf_k)
        # English questions also get the English companion's chunk and sentence rankings, when the index has them.
        self.english_queries: QueryVectorCache | None = None
        self.english_retriever: HybridRetriever | None = None
        if index.english is not None and english_embeddings is not None:
            self.english_queries = QueryVectorCache(english_embeddings)
            en = index.english
            parts |= {
                "english_dense": FaissRetriever(en.chunk_index, index.chunks, self.english_queries),
                "english_sentence": SentenceRetriever(
                    en.sentence_index, index.sentence_chunk, index.chunks, self.english_queries
                ),
            }
            o = self.options
            weights = dict(self.weights) | {
                "english_dense": o.english_dense_weight,
                "english_sentence": o.english_sentence_weight,
            }
            self.english_retriever = HybridRetriever(parts, weights, o.candidates, o.rrf_k)
        # Whether the model gives token states is known once it has loaded: the first search turns the reranker
        # off if it does not (constructors stay cheap).
        self.reranker: LateInteractionReranker | None = None
        if self.options.late_interaction and index.late is not None:
            rows = {c.id: i for i, c in enumerate(index.chunks)}
            late = LateInteractionOptions(self.options.late_depth, self.options.late_weight, self.options.rrf_k)
            self.reranker = LateInteractionReranker(index.late, rows, late)

    @property
    def weights(self) -> Mapping[str, float]:
        """Fusion weight per retriever."""
        o = self.options
        return {"dense": o.dense_weight, "sentence": o.sentence_weight, "bm25": o.bm25_weight}

    def check_query(self, text: str) -> str:
        """The query with whitespace collapsed.

        Raises:
            QueryRejectedError: the text is empty.
            QueryTooLongError: the text is longer than the configured limit.

        """
        text = " ".join(text.split())
        if not text:
            raise QueryRejectedError("The query is empty. Type a question.")
        if len(text) > self.options.max_query_chars:
            raise QueryTooLongError(
                f"The query has {len(text)} characters; the limit is {self.options.max_query_chars}. Shorten it."
            )
        return text

    def lexical_text(self, text: str, lang: str | None) -> str:
        """The query as lexical matching sees it: with English glossary terms added for other languages."""
        expansion = self.expander.expand(text, lang) if self.expander else ""
        return Query(text, lang, expansion).lexical_text

    def search(self, text: str, k: int = 10, lang: str | None = None) -> list[ScoredChunk]:
        """The ``k`` best chunks for ``text``.

        Raises:
            QueryRejectedError: the text is empty.
            QueryTooLongError: the text is longer than the configured limit.

        """
        text = self.check_query(text)
        if lang is None and self.detect_language is not None:
            lang = self.detect_language(text)
        expansion = self.expander.expand(text, lang) if self.expander else ""
        retriever = self.english_retriever if lang == "en" and self.english_retriever else self.retriever
        if self.reranker is None:
            return retriever.retrieve(Query(text, lang, expansion), k)
        fused = retriever.retrieve(Query(text, lang, expansion), max(k, self.options.late_depth))
        states = self.queries.states(text)
        if states is None:
            logger.warning("the embedding model gives no token states here; late-interaction reranking is off")
            self.reranker = None
            return fused[:k]
        return self.reranker.rerank(fused, states)[:k]
