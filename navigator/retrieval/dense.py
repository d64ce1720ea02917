"""Dense retrieval in FAISS inner-product indexes: whole chunks, and single sentences (small-to-big)."""

from __future__ import annotations

from collections.abc import Sequence

import faiss
import numpy as np

from navigator.retrieval.base import Chunk, Query, ScoredChunk
from navigator.retrieval.vectors import QueryVectorCache


def build_faiss(vectors: np.ndarray) -> faiss.Index:
    """An exact inner-product index: at a few thousand vectors, exact search costs well under a millisecond."""
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


class FaissRetriever:
    """Ranks chunks by cosine between the query and the chunk's passage embedding."""

    def __init__(self, index: faiss.Index, chunks: Sequence[Chunk], queries: QueryVectorCache) -> None:
        self._index = index
        self._chunks = list(chunks)
        self._queries = queries

    def retrieve(self, query: Query, top_k: int) -> list[ScoredChunk]:
        """The ``top_k`` nearest chunks."""
        vector = self._queries.vector(query.text)[None, :]
        scores, ids = self._index.search(vector, min(top_k, len(self._chunks)))
        return [
            ScoredChunk(self._chunks[i], float(s), "dense") for s, i in zip(scores[0], ids[0], strict=True) if i >= 0
        ]


class SentenceRetriever:
    """Small-to-big: match the query against single sentences, return the chunk that holds the best one.

    A short, specific sentence matches a paraphrased question better than a long passage's average vector.
    """

    def __init__(
        self,
        index: faiss.Index,
        sentence_chunk: np.ndarray,
        chunks: Sequence[Chunk],
        queries: QueryVectorCache,
        fanout: int = 4,
    ) -> None:
        self._index = index
        self._sentence_chunk = sentence_chunk
        self._chunks = list(chunks)
        self._queries = queries
        self._fanout = fanout

    def retrieve(self, query: Query, top_k: int) -> list[ScoredChunk]:
        """Chunks ordered by their best-matching sentence."""
        vector = self._queries.vector(query.text)[None, :]
        n = min(top_k * self._fanout, self._index.ntotal)
        scores, ids = self._index.search(vector, n)
        best: dict[int, float] = {}
        for score, sid in zip(scores[0], ids[0], strict=True):
            if sid < 0:
                continue
            chunk_id = int(self._sentence_chunk[sid])
            if chunk_id not in best:
                best[chunk_id] = float(score)
        ranked = sorted(best.items(), key=lambda item: -item[1])[:top_k]
        return [ScoredChunk(self._chunks[c], s, "sentence") for c, s in ranked]
