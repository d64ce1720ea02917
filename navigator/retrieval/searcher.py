"""The loaded index and its hybrid retriever, behind one ``search`` call used by the API, CLI and evals."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from navigator.errors import QueryRejectedError, QueryTooLongError
from navigator.languages.matching import parts_alone
from navigator.models.base import TokenStates
from navigator.retrieval.base import Chunk, Query, Retriever, ScoredChunk
from navigator.retrieval.bm25 import BM25Retriever
from navigator.retrieval.companion import TranslatedRetriever
from navigator.retrieval.dense import FaissRetriever, SentenceRetriever
from navigator.retrieval.expansion import GlossaryExpander
from navigator.retrieval.hybrid import HybridRetriever
from navigator.retrieval.index_store import LoadedIndex
from navigator.retrieval.late_interaction import (
    LateInteractionOptions,
    LateInteractionReranker,
    SentenceTokenMatch,
    TokenSpanSource,
)
from navigator.retrieval.options import SearchOptions
from navigator.retrieval.vectors import QueryVectorCache, query_vectors

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreparedQuery:
    """A question checked, in a known language, with its glossary expansion: what one turn searches and compares.

    The vectors come from the searcher's query cache on first use (one model run gives the vector, the clause
    vectors and the token states), so a caller that never needs them (a greeting) costs no model call.
    """

    query: Query
    _vectors: QueryVectorCache

    @property
    def text(self) -> str:
        """The checked text (whitespace collapsed)."""
        return self.query.text

    @property
    def lang(self) -> str | None:
        """The language it was prepared for."""
        return self.query.lang

    @property
    def lexical_text(self) -> str:
        """The text lexical matching sees: with English glossary terms added for other languages."""
        return self.query.lexical_text

    @property
    def vector(self) -> np.ndarray:
        """The unit-length query vector."""
        return self._vectors.vector(self.query.text)

    @property
    def clauses(self) -> np.ndarray:
        """Vectors of the text's clauses, from the same model run (no rows when the model cannot give them)."""
        return self._vectors.clauses(self.query.text)

    def parts_alone(self) -> np.ndarray | None:
        """Vectors of the text's sentences and of what it says after its opening, each embedded alone, or None.

        One batched model run of its own; None for a text of one sentence.
        """
        parts = parts_alone(self.query.text)
        return query_vectors(self._vectors.embeddings, parts) if parts else None


class Searcher:
    """Answers ``search(text, k)`` over one loaded index; ``prepare`` once, then search and compare with it."""

    def __init__(
        self,
        index: LoadedIndex,
        embeddings: Embeddings,
        options: SearchOptions | None = None,
        expander: GlossaryExpander | None = None,
        detect_language: Callable[[str], str] | None = None,
        english_embeddings: Embeddings | None = None,
        *,
        max_query_chars: int = 1000,
    ) -> None:
        self.index = index
        self.max_query_chars = max_query_chars
        self.options = options or SearchOptions()
        self.expander = expander
        self.detect_language = detect_language  # names the language of queries that come without one
        self.queries = QueryVectorCache(embeddings)
        self.bm25 = BM25Retriever(index.chunks)  # also the corpus vocabulary the answerability judge consults
        parts: dict[str, Retriever] = {
            "dense": FaissRetriever(index.chunk_index, index.chunks, self.queries),
            "sentence": SentenceRetriever(index.sentence_index, index.sentence_chunk, index.chunks, self.queries),
            "bm25": self.bm25,
        }
        o = self.options
        self.retriever = HybridRetriever(parts, self.weights, o.candidates, o.rrf_k)
        # English questions also get the English companion's chunk and sentence rankings, when the index has them;
        # other questions get its rankings of the English words their own words stand for.
        self.english_queries: QueryVectorCache | None = None
        self.english_retriever: HybridRetriever | None = None
        if index.english is not None and english_embeddings is not None:
            self.english_queries = QueryVectorCache(english_embeddings)
            en = index.english
            companion: dict[str, Retriever] = {
                "english_dense": FaissRetriever(en.chunk_index, index.chunks, self.english_queries),
                "english_sentence": SentenceRetriever(
                    en.sentence_index, index.sentence_chunk, index.chunks, self.english_queries
                ),
            }
            weights = dict(self.weights) | {
                "english_dense": o.english_dense_weight,
                "english_sentence": o.english_sentence_weight,
            }
            self.english_retriever = HybridRetriever(parts | companion, weights, o.candidates, o.rrf_k)
            translated = {f"translated_{name[8:]}": TranslatedRetriever(part) for name, part in companion.items()}
            weights = dict(self.weights) | dict.fromkeys(translated, o.translated_weight)
            self.retriever = HybridRetriever(parts | translated, weights, o.candidates, o.rrf_k)
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
        if len(text) > self.max_query_chars:
            raise QueryTooLongError(
                f"The query has {len(text)} characters; the limit is {self.max_query_chars}. Shorten it."
            )
        return text

    def prepare(self, text: str, lang: str | None = None) -> PreparedQuery:
        """``text`` checked, its language named (detected when not given) and its glossary expansion added.

        Raises:
            QueryRejectedError: the text is empty.
            QueryTooLongError: the text is longer than the configured limit.

        """
        text = self.check_query(text)
        if lang is None and self.detect_language is not None:
            lang = self.detect_language(text)
        words = self.expander.english_words(text, lang) if self.expander else ""  # looked up once for both uses
        expansion = self.expander.expand(text, lang, words) if self.expander else ""
        return PreparedQuery(Query(text, lang, expansion, words if self.english_queries else ""), self.queries)

    def query_states(self, query: PreparedQuery) -> TokenStates | None:
        """The question's token states from the turn's model run (None when late interaction is off)."""
        return self.queries.states(query.text) if self.reranker is not None else None

    def sentence_match(self, spans: TokenSpanSource) -> SentenceTokenMatch | None:
        """Token-level matching of questions against single sentences, over this index's states (None without)."""
        if self.reranker is None:
            return None
        return SentenceTokenMatch(self.reranker.index, self.reranker.chunk_rows, spans)

    def token_match(self, query: PreparedQuery, chunks: Sequence[Chunk]) -> list[float] | None:
        """How well each chunk matches the question token by token (IDF-weighted MaxSim); None without states.

        Word-level matching across languages, from the token states the turn's model run already gave.
        """
        if self.reranker is None:
            return None
        states = self.queries.states(query.text)
        if states is None:
            return None
        rows = [self.reranker.chunk_rows[c.id] for c in chunks if c.id in self.reranker.chunk_rows]
        if len(rows) != len(chunks):
            return None
        return [float(x) for x in self.reranker.index.maxsim(states, rows)]

    def search(self, text: str | PreparedQuery, k: int = 10, lang: str | None = None) -> list[ScoredChunk]:
        """The ``k`` best chunks for ``text`` (a prepared query is searched as it is; ``lang`` is then ignored).

        Raises:
            QueryRejectedError: the text is empty.
            QueryTooLongError: the text is longer than the configured limit.

        """
        query = (text if isinstance(text, PreparedQuery) else self.prepare(text, lang)).query
        retriever = self.english_retriever if query.lang == "en" and self.english_retriever else self.retriever
        if self.reranker is None:
            return retriever.retrieve(query, k)
        fused = retriever.retrieve(query, max(k, self.options.late_depth))
        states = self.queries.states(query.text)
        if states is None:
            logger.warning("the embedding model gives no token states here; late-interaction reranking is off")
            self.reranker = None
            return fused[:k]
        return self.reranker.rerank(fused, states)[:k]
