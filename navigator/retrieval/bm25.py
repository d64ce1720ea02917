"""Okapi BM25 over chunks, with the script-aware tokenizer; small enough to hold in memory as arrays."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from navigator.retrieval.base import Chunk, Query, ScoredChunk
from navigator.retrieval.tokens import tokenize


class BM25Retriever:
    """Lexical ranking: finds exact terms (EHCP, SENCO, 20 weeks) that embeddings blur."""

    def __init__(self, chunks: Sequence[Chunk], k1: float = 1.2, b: float = 0.75) -> None:
        self._chunks = list(chunks)
        self._k1, self._b = k1, b
        docs = [tokenize(f"{c.section} {c.text}") for c in self._chunks]
        lengths = np.array([len(d) for d in docs], dtype=np.float32)
        self._avg_len = float(lengths.mean()) if len(docs) else 0.0
        self._norm = k1 * (1 - b + b * lengths / max(self._avg_len, 1e-9))
        postings: dict[str, list[tuple[int, int]]] = {}
        for i, doc in enumerate(docs):
            for term, tf in Counter(doc).items():
                postings.setdefault(term, []).append((i, tf))
        n = len(docs)
        self._postings = {
            term: (
                np.array([p[0] for p in plist], dtype=np.int32),
                np.array([p[1] for p in plist], np.float32),
            )
            for term, plist in postings.items()
        }
        self._idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in postings.items()}

    def knows(self, term: str) -> bool:
        """Whether any chunk holds ``term`` (in ``tokenize``'s folded form)."""
        return term in self._postings

    def scores(self, text: str) -> np.ndarray:
        """BM25 score of every chunk for ``text`` (zeros where no term matches)."""
        scores = np.zeros(len(self._chunks), dtype=np.float32)
        for term, qtf in Counter(tokenize(text)).items():
            posting = self._postings.get(term)
            if posting is None:
                continue
            ids, tfs = posting
            scores[ids] += qtf * self._idf[term] * tfs * (self._k1 + 1) / (tfs + self._norm[ids])
        return scores

    def retrieve(self, query: Query, top_k: int) -> list[ScoredChunk]:
        """Chunks with any matching term, best first."""
        scores = self.scores(query.lexical_text)
        matched = np.flatnonzero(scores > 0)
        order = matched[np.argsort(-scores[matched], kind="stable")][:top_k]
        return [ScoredChunk(self._chunks[i], float(scores[i]), "bm25") for i in order]
