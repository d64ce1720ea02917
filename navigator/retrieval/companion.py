"""The English companion: a second, English-trained embedder whose rankings are fused in for English questions.

multilingual-e5-small carries every language, but on English parents' paraphrases ("sent home at lunchtime"
for a passage on part-time timetables) an English-only model trained on a billion English pairs
(all-mpnet-base-v2) ranks the answering passage higher often enough that fusing both lifts English hit@5 on the
dev set (docs/benchmarks.md). It was not trained on other languages, so it never reads a question in one; it reads
the English words that question's own words stand for (``TranslatedRetriever``), when the word translations find
any. Its chunk and sentence vectors live in the index beside e5's, under their own model name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import faiss
import numpy as np
from langchain_core.embeddings import Embeddings

from navigator.retrieval.base import Query, Retriever, ScoredChunk
from navigator.retrieval.dense import build_faiss
from navigator.retrieval.vectors import embed_cached, text_key


@dataclass(frozen=True)
class EnglishModel:
    """The companion model for a build: its configured name and its embeddings."""

    model_id: str
    embeddings: Embeddings


@dataclass(frozen=True)
class EnglishVectors:
    """The companion's chunk and sentence indexes, row for row like e5's."""

    chunk_index: faiss.Index
    sentence_index: faiss.Index


def embed_texts(
    model: EnglishModel,
    chunk_texts: Sequence[str],
    sentence_texts: Sequence[str],
    cache: dict[str, np.ndarray],
    batch_size: int,
    progress: Callable[[int], None] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Chunk and sentence vectors from the companion, reusing cached ones."""
    chunk_keys = [text_key(model.model_id, t) for t in chunk_texts]
    sentence_keys = [text_key(model.model_id, t) for t in sentence_texts]
    chunks = embed_cached(model.embeddings, chunk_texts, chunk_keys, cache, batch_size, progress)
    sentences = embed_cached(model.embeddings, sentence_texts, sentence_keys, cache, batch_size, progress)
    return chunks, sentences


def distinct_texts(model_id: str, chunk_texts: Sequence[str], sentence_texts: Sequence[str]) -> int:
    """How many texts a build embeds with the companion (for the progress bar)."""
    return len({text_key(model_id, t) for t in chunk_texts}) + len({text_key(model_id, t) for t in sentence_texts})


def vectors_index(chunk_vectors: np.ndarray, sentence_vectors: np.ndarray) -> EnglishVectors:
    """Exact inner-product indexes over the companion's vectors (built at load: a second or less)."""
    return EnglishVectors(build_faiss(chunk_vectors), build_faiss(sentence_vectors))


class TranslatedRetriever:
    """A companion ranking of the English words a question in another language stands for (none without them)."""

    def __init__(self, companion: Retriever) -> None:
        self.companion = companion

    def retrieve(self, query: Query, top_k: int) -> list[ScoredChunk]:
        """The companion's ranking of ``query.english_words`` ([] when the question has none)."""
        if not query.english_words:
            return []
        return self.companion.retrieve(Query(query.english_words, "en"), top_k)
