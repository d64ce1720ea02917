"""Late-interaction reranking: the fused top passages ranked again by matching the question token by token.

A single vector per passage blurs a question's words into one point; comparing each question token with
every passage token (MaxSim, as in ColBERT) keeps them apart. The token states come from the embedding
model's second-to-last layer, where multilingual encoders align a word with its translation better than
in the last layer (which is trained for the pooled vector), so an Urdu or Polish question is matched word
by word against English passages. Question tokens are weighted by their rarity among the passages (IDF),
so "the" and "of" count for little; a word of another language, in no passage, counts as the rarest (its
best matches differ little from passage to passage, so common ones add much the same to every score). The
MaxSim ranking of the top ``depth`` passages is fused with their
fused ranking by reciprocal rank; no model beyond the embedding model runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from navigator.models.base import TokenStates
from navigator.retrieval.base import Chunk, ScoredChunk
from navigator.retrieval.hybrid import rrf_fuse


def quantize(states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows as int8 with one float32 scale each (row = q * scale).

    A quarter of float32's memory, and int8 converts to float32 for the product far faster than float16 does,
    with cosines all but unchanged (docs/benchmarks.md, "Retrieval quality").
    """
    states = states.astype(np.float32)
    scales = np.maximum(np.abs(states).max(axis=1), 1e-12) / 127.0
    quantized = np.round(states / scales[:, None]).astype(np.int8)
    return quantized, scales.astype(np.float32)


class LateInteractionIndex:
    """Every chunk's token states in one array, row ``offsets[i]`` to ``offsets[i + 1]`` for chunk ``i``.

    States are kept as int8 rows with a float32 scale each (``quantize``).
    """

    def __init__(self, vectors: np.ndarray, scales: np.ndarray, token_ids: np.ndarray, offsets: np.ndarray) -> None:
        self.vectors = vectors
        self.scales = scales
        self.token_ids = token_ids
        self.offsets = offsets
        chunks = len(offsets) - 1
        seen = [np.unique(token_ids[offsets[i] : offsets[i + 1]]) for i in range(chunks)]
        flat = np.concatenate(seen) if seen else np.zeros(0, dtype=np.int64)
        df = np.bincount(flat.astype(np.int64)) if flat.size else np.zeros(1, dtype=np.int64)
        # A token in no passage (a word of another language) gets the highest weight, like the rarest.
        self._idf = np.log1p(chunks / (1.0 + df)).astype(np.float32)
        self._unseen_idf = math.log1p(chunks)

    @classmethod
    def from_states(cls, states: Sequence[TokenStates], dimension: int) -> LateInteractionIndex:
        """The index of chunks' token states, in chunk order."""
        lengths = [len(s.ids) for s in states]
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        vectors = np.concatenate([s.vectors for s in states]) if states else np.zeros((0, dimension), np.float16)
        ids = np.concatenate([s.ids for s in states]) if states else np.zeros(0, np.int32)
        quantized, scales = quantize(vectors) if len(vectors) else (np.zeros((0, dimension), np.int8), np.zeros(0))
        return cls(quantized, scales.astype(np.float32), ids.astype(np.int32), offsets)

    def chunk_states(self, row: int) -> TokenStates:
        """The token states of chunk ``row`` (quantizing them again gives the same rows)."""
        start, end = int(self.offsets[row]), int(self.offsets[row + 1])
        states = self.vectors[start:end].astype(np.float32) * self.scales[start:end, None]
        return TokenStates(states.astype(np.float16), self.token_ids[start:end])

    def weights(self, token_ids: np.ndarray) -> np.ndarray:
        """IDF of each query token among the chunks."""
        known = token_ids < len(self._idf)
        out = np.full(len(token_ids), self._unseen_idf, dtype=np.float32)
        out[known] = self._idf[token_ids[known]]
        return out

    def maxsim(self, query: TokenStates, rows: Sequence[int]) -> np.ndarray:
        """For each chunk row: the IDF-weighted mean over query tokens of the best cosine with a chunk token."""
        if not len(rows) or not len(query.ids):
            return np.zeros(len(rows), dtype=np.float32)
        spans = [(int(self.offsets[r]), int(self.offsets[r + 1])) for r in rows]
        scores = np.zeros(len(rows), dtype=np.float32)
        filled = [i for i, (a, b) in enumerate(spans) if b > a]
        if not filled:
            return scores
        parts = [slice(spans[i][0], spans[i][1]) for i in filled]
        matrix = np.concatenate([self.vectors[p] for p in parts]).astype(np.float32)
        scales = np.concatenate([self.scales[p] for p in parts])
        sims = (query.vectors.astype(np.float32) @ matrix.T) * scales  # (query tokens, all candidate tokens)
        starts = np.cumsum([0] + [spans[i][1] - spans[i][0] for i in filled[:-1]])
        best = np.maximum.reduceat(sims, starts, axis=1)  # (query tokens, candidates)
        weights = self.weights(query.ids)
        scores[filled] = (weights @ best) / float(weights.sum())
        return scores

    def part_maxsim(self, query: TokenStates, parts: Sequence[Sequence[tuple[int, int]]]) -> list[float]:
        """``maxsim`` restricted to parts of a chunk (its sentences), each given as runs of index rows (start, end).

        The question is multiplied once with the rows the parts span; each part takes its own columns.
        """
        runs = [run for part in parts for run in part]
        if not runs or not len(query.ids):
            return [0.0] * len(parts)
        first, end = min(a for a, _ in runs), max(b for _, b in runs)
        states = self.vectors[first:end].astype(np.float32) * self.scales[first:end, None]
        sims = query.vectors.astype(np.float32) @ states.T  # (query tokens, rows first..end)
        weights = self.weights(query.ids)
        total = float(weights.sum())
        out = []
        for part in parts:
            if not part:
                out.append(0.0)
                continue
            columns = np.concatenate([np.arange(a - first, b - first) for a, b in part])
            out.append(float(weights @ sims[:, columns].max(axis=1)) / total)
        return out


@dataclass(frozen=True)
class LateInteractionOptions:
    """How many fused passages are ranked again, and the weight of the token-level ranking in their fusion."""

    depth: int = 30
    weight: float = 1.0
    rrf_k: int = 5


class LateInteractionReranker:
    """Fuses the top passages' fused ranking with their MaxSim ranking."""

    def __init__(
        self, index: LateInteractionIndex, chunk_rows: Mapping[str, int], options: LateInteractionOptions
    ) -> None:
        self.index = index
        self.chunk_rows = chunk_rows
        self.options = options

    def rerank(self, fused: Sequence[ScoredChunk], query: TokenStates) -> list[ScoredChunk]:
        """The top ``depth`` of ``fused`` in their new order, then the rest as they were."""
        head = list(fused[: self.options.depth])
        scores = self.index.maxsim(query, [self.chunk_rows[s.chunk.id] for s in head])
        order = np.argsort(-scores, kind="stable")
        by_tokens = [ScoredChunk(head[i].chunk, float(scores[i]), "late") for i in order]
        weights = {"fused": 1.0, "late": self.options.weight}
        reranked = rrf_fuse({"fused": head, "late": by_tokens}, weights, self.options.rrf_k)
        return reranked + list(fused[self.options.depth :])


@runtime_checkable
class TokenSpanSource(Protocol):
    """A model that says where in a text the tokens it keeps states for lie (the ONNX embedder)."""

    def token_spans(self, texts: list[str], prompt_name: str) -> list[list[tuple[int, int]]]:
        """Character spans of each text's kept tokens, in order."""
        ...


class SentenceTokenMatch:
    """Token-level matching of a question against single sentences of a chunk, from the chunk's stored states.

    The chunk's states were computed in context, once, at index build; a sentence's are the rows of its own tokens.
    Which rows those are is read from the tokenizer the first time a chunk is quoted from, and kept.
    """

    def __init__(
        self, index: LateInteractionIndex, chunk_rows: Mapping[str, int], spans: TokenSpanSource, cache: int = 4096
    ) -> None:
        self.index = index
        self.chunk_rows = chunk_rows
        self.spans = spans
        self._cache: dict[str, list[tuple[int, int] | None]] = {}
        self._cache_size = cache

    def sentence_rows(self, chunk: Chunk) -> list[tuple[int, int] | None]:
        """Each sentence's rows in the index (start, end), or None where the sentence cannot be placed."""
        found = self._cache.get(chunk.id)
        if found is not None:
            return found
        row = self.chunk_rows.get(chunk.id)
        rows: list[tuple[int, int] | None] = [None] * len(chunk.sentences)
        if row is not None:
            start, end = int(self.index.offsets[row]), int(self.index.offsets[row + 1])
            (spans,) = self.spans.token_spans([chunk.embedding_text], "passage")
            if len(spans) == end - start:  # the stored states are this text's tokens (else: none placed)
                rows = _sentence_rows(chunk, spans, start)
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        self._cache[chunk.id] = rows
        return rows

    def scores(self, query: TokenStates, chunk: Chunk, units: Sequence[Sequence[int]]) -> list[float]:
        """For each unit (its sentence indices), how well its own tokens match the question's.

        ``LateInteractionIndex.maxsim`` over the unit's rows only; 0 where its sentences cannot be placed.
        """
        rows = self.sentence_rows(chunk)
        parts = [[span for i in unit if i < len(rows) and (span := rows[i]) is not None] for unit in units]
        return self.index.part_maxsim(query, parts)


def _sentence_rows(chunk: Chunk, spans: Sequence[tuple[int, int]], first_row: int) -> list[tuple[int, int] | None]:
    """The index rows of each sentence: the tokens whose characters overlap the sentence's place in the text."""
    shift = len(chunk.embedding_text) - len(chunk.text)  # the title and heading path come first
    rows: list[tuple[int, int] | None] = []
    position = 0
    for sentence in chunk.sentences:
        at = chunk.text.find(sentence, position)
        if at < 0:
            rows.append(None)
            continue
        position = at + len(sentence)
        begin, end = shift + at, shift + at + len(sentence)
        inside = [k for k, (a, b) in enumerate(spans) if a < end and b > begin]
        rows.append((first_row + inside[0], first_row + inside[-1] + 1) if inside else None)
    return rows
