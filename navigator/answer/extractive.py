"""The default composer: quote the best sentence of each of the top passages, each with its ``[n]``.

No model runs here: sentence vectors were stored at index time, and the question was embedded once for
retrieval, so composing costs a few dot products.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from navigator.answer.answer_types import EVIDENCE_PATTERNS
from navigator.answer.base import Citation, Composition, CompositionRequest, Passage
from navigator.answer.sentence_units import SentenceUnit, quotable_units
from navigator.retrieval.base import Chunk
from navigator.retrieval.tokens import tokenize

# Corpus text is untrusted: a quoted sentence keeps no "[n]" of its own (the reader would take it for one of
# ours) and no link other than a cited passage's own URL (a scraped page must not send families elsewhere).
_MARKER_LIKE = re.compile(r"[ \t]*[\[［【]\s*\d{1,3}(?:\s*[-–,;，、]\s*\d{1,3})*\s*[\]］】]")
_URL_LIKE = re.compile(r"(?:https?://|www\.)[^\s<>\"\[\]]+", re.IGNORECASE)
_TRAILING = ".,;:!?)'»”’"


def clean_quote(text: str, allowed_urls: set[str]) -> str:
    """``text`` without marker-like brackets and without URLs other than ``allowed_urls``."""

    def keep_allowed(match: re.Match[str]) -> str:
        url = match.group(0)
        while url not in allowed_urls and url and url[-1] in _TRAILING:
            url = url[:-1]
        return match.group(0) if url in allowed_urls else match.group(0)[len(url) :]

    return " ".join(_URL_LIKE.sub(keep_allowed, _MARKER_LIKE.sub("", text)).split())


class StoredSentenceVectors:
    """The index's per-sentence vectors, looked up by chunk id."""

    def __init__(self, chunks: Sequence[Chunk], sentence_chunk: np.ndarray, vectors: np.ndarray) -> None:
        # Sentence rows are written chunk by chunk, in order, so each chunk's rows are one contiguous run.
        starts = np.searchsorted(sentence_chunk, np.arange(len(chunks) + 1))
        self._rows = {c.id: (int(starts[i]), int(starts[i + 1])) for i, c in enumerate(chunks)}
        self._vectors = vectors

    def of(self, chunk: Chunk) -> np.ndarray | None:
        """One row per sentence of ``chunk``, or None when the chunk is not in the index."""
        span = self._rows.get(chunk.id)
        if span is None or span[1] - span[0] != len(chunk.sentences):
            return None
        return self._vectors[span[0] : span[1]]


@dataclass(frozen=True)
class ScoredUnit:
    """A quotable unit of one passage with how well it answers the question."""

    passage: Passage
    unit: SentenceUnit
    score: float


@dataclass(frozen=True)
class ExtractiveOptions:
    """How many passages are quoted and how sentences are weighed."""

    max_quotes: int = 3
    lexical_weight: float = 0.1  # cosine differences between sentences are small; term overlap breaks ties
    min_relative_score: float = 0.9  # a further quote must score at least this share of the best one
    evidence_bonus: float = 0.05  # a sentence holding the kind of fact asked for (a phone number …) comes first


class ExtractiveComposer:
    """Picks one sentence (with the context it needs) from each of the best passages."""

    name = "extractive"

    def __init__(self, vectors: StoredSentenceVectors, options: ExtractiveOptions | None = None) -> None:
        self.vectors = vectors
        self.options = options or ExtractiveOptions()

    def best_units(self, request: CompositionRequest) -> list[ScoredUnit]:
        """The best unit of each passage, in passage order, for passages that have a quotable one."""
        query_terms = set(tokenize(request.lexical_text or request.question))
        query = np.asarray(request.query_vector, dtype=np.float32) if request.query_vector is not None else None
        best: list[ScoredUnit] = []
        for passage in request.passages:
            units = quotable_units(passage.chunk)
            if not units:
                continue
            vectors = self.vectors.of(passage.chunk) if query is not None else None
            scored = [
                ScoredUnit(passage, u, self._score(u, vectors, query, query_terms, request.expected_evidence))
                for u in units
            ]
            best.append(max(scored, key=lambda s: s.score))
        return best

    def _score(
        self,
        unit: SentenceUnit,
        vectors: np.ndarray | None,
        query: np.ndarray | None,
        query_terms: set[str],
        evidence: tuple[str, ...],
    ) -> float:
        dense = float(vectors[unit.main] @ query) if vectors is not None and query is not None else 0.0
        overlap = 0.0
        if query_terms:
            overlap = len(query_terms & set(tokenize(unit.text))) / len(query_terms)
        holds = any(EVIDENCE_PATTERNS[kind].search(unit.text) for kind in evidence if kind in EVIDENCE_PATTERNS)
        return dense + self.options.lexical_weight * overlap + (self.options.evidence_bonus if holds else 0.0)

    def select(self, request: CompositionRequest) -> list[ScoredUnit]:
        """The units to quote: the best of the highest-ranked passage, then others that score nearly as well.

        The highest-ranked passage is always quoted: retrieval ranked it first on the whole passage, with
        more evidence than one sentence's score holds (on the dev set, dropping it lost two right answers).
        """
        candidates = self.best_units(request)[: self.options.max_quotes]
        if not candidates:
            return []
        top = max(c.score for c in candidates)
        return [c for i, c in enumerate(candidates) if i == 0 or c.score >= self.options.min_relative_score * top]

    def compose(self, request: CompositionRequest) -> Composition:
        """Quoted sentences, one line each, followed by their citation numbers."""
        chosen = self.select(request)
        if not chosen:
            return Composition(text="", citations=(), grounded=False)
        lines = []
        citations = []
        allowed = {c.passage.chunk.url for c in chosen if c.passage.chunk.url}
        for n, scored in enumerate(chosen, 1):
            lines.append(f"{clean_quote(scored.unit.text, allowed)} [{n}]")
            citations.append(Citation.of(n, scored.passage.chunk))
        best = max(c.score for c in chosen)
        return Composition(text="\n".join(lines), citations=tuple(citations), score=best)

    def stream(self, request: CompositionRequest) -> Iterator[str | Composition]:
        """The composed lines as deltas (they are ready at once), then the composition."""
        composition = self.compose(request)
        for i, line in enumerate(composition.text.splitlines()):
            yield ("\n" if i else "") + line
        yield composition
