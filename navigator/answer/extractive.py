"""The default composer: lead with the sentence that best answers the question, each quote with its ``[n]``.

No model runs here: sentence vectors were stored at index time, and the question was embedded once for
retrieval, so composing costs a few dot products.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from navigator.answer.answer_types import EVIDENCE_PATTERNS
from navigator.answer.base import Citation, Composition, CompositionRequest, Passage, Quote
from navigator.answer.sentence_units import SentenceUnit, asks, is_figures_row, is_testimonial, quotable_units
from navigator.answer.source_labels import source_label
from navigator.languages.matching import normalize
from navigator.retrieval.base import Chunk
from navigator.retrieval.late_interaction import SentenceTokenMatch
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
    dense: float = 0.0  # the unit's cosine with the question
    overlap: float = 0.0  # share of the question's terms the unit holds
    tokens: float = 0.0  # token-level match of the unit with the question (0 without token states)

    @property
    def words(self) -> int:
        """How many words quoting it costs."""
        return len(self.unit.text.split())


@dataclass(frozen=True)
class ExtractiveOptions:
    """How quotes are weighed and how many a reply carries."""

    max_quotes: int = 3  # the lead and at most two supporting quotes
    max_words: int = 100  # quoted words in all; the lead is kept whole however long it is
    lexical_weight: float = 0.1  # cosine differences between sentences are small; term overlap breaks ties
    # A supporting quote scores at most this much below the lead: the gap within which 4 in 5 supporting quotes
    # that held the answer lay on the answerability set's calibration half (`python -m evals.answerability.fit`).
    max_support_gap: float = 0.07
    near_duplicate: float = 0.7  # two quotes sharing this share of their words say the same thing
    evidence_bonus: float = 0.05  # a sentence holding the kind of fact asked for (a phone number …) comes first
    rank_weight: float = 0.02  # retrieval ranked whole passages, with more evidence than one sentence holds
    # Token-level match of the sentence (late interaction within the sentence) added to its cosine: on the
    # answerability set's calibration half, 0.5 put the sentence holding the answer first for 11 more questions in
    # other languages and changed English by one; 1 gained four more but lost English five (docs/benchmarks.md).
    token_weight: float = 0.5


def _repeats(candidate: ScoredUnit, chosen: Sequence[ScoredUnit], near: float) -> bool:
    """Whether the candidate says what a chosen quote already says.

    Overlapping chunks repeat sentences, and documents repeat themselves with a word changed (a committee's
    agenda and its minutes): a quote sharing ``near`` of its words with a chosen one adds nothing.
    """
    mine = normalize(candidate.unit.text).casefold()
    my_words = set(tokenize(candidate.unit.text))
    for other in chosen:
        theirs = normalize(other.unit.text).casefold()
        if mine in theirs or theirs in mine:
            return True
        same_chunk = other.passage.chunk.id == candidate.passage.chunk.id
        if same_chunk and set(other.unit.indices) & set(candidate.unit.indices):
            return True
        their_words = set(tokenize(other.unit.text))
        if my_words and their_words and len(my_words & their_words) / len(my_words | their_words) >= near:
            return True
    return False


_PROSE_CELL_WORDS = 12
# A bullet, then perhaps a paragraph number ("- 4.6 Delivery…").
_BULLET = re.compile(r"^(?:[-–•*|]\s*)*(?:\d+(?:\.\d+)+\s+(?=[A-Z]))?")
_CODE_CELL_WORDS = 3


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("|")]


def _prose_cell(cells: list[str]) -> str | None:
    """The one cell of a row that is a sentence, when the others are only codes or labels."""
    longest = max(cells, key=lambda cell: len(cell.split()))
    return longest if len(longest.split()) > _PROSE_CELL_WORDS else None


def quote_line(text: str) -> str:
    """A unit as one line of a reply, without a leading bullet; a table row reads "row (column: value; …)".

    An action-plan row quotes its sentence without the codes around it ("AGBR12 | Improve…"), and a row on its
    own line holding a sentence drops its ratings and labels; a row whose header does not line up with it quotes
    its own cells only; other rows read their cells in order.
    """
    parts = [_BULLET.sub("", part.strip()).strip(" |") for part in text.splitlines()]
    parts = [part for part in parts if part]
    if len(parts) == 1 and "|" in parts[0]:
        cells = _cells(parts[0])
        prose = _prose_cell(cells)
        long_cells = [c for c in cells if len(c.split()) > _CODE_CELL_WORDS]
        if prose is not None and long_cells == [prose]:
            return prose
        if prose is not None:
            # Beside other sentences, a rating or label ("Low", "Red") says nothing without its column's heading; a
            # date or a figure may be what was asked for, so it stays.
            return "; ".join(c for c in cells if c in long_cells or any(ch.isdigit() for ch in c))
        return "; ".join(cell for cell in cells if cell)  # cells read in order, without the table's bars
    if len(parts) == 2 and "|" in parts[0] and "|" in parts[1]:
        header, row = _cells(parts[0]), _cells(parts[1])
        prose = _prose_cell(row)
        if prose is not None:
            return prose  # an action-plan row: its sentence is the quote, the codes around it say nothing
        if len(header) == len(row) and len(row) > 1:
            pairs = [f"{h}: {v}" if h else v for h, v in zip(header[1:], row[1:], strict=True) if v]
            return f"{row[0]} ({'; '.join(pairs)})" if pairs else row[0]
        return "; ".join(cell for cell in row if cell)
    return " / ".join(parts)


class ExtractiveComposer:
    """Leads with the sentence that best answers the question, then at most two that add to it."""

    name = "extractive"

    def __init__(
        self,
        vectors: StoredSentenceVectors,
        options: ExtractiveOptions | None = None,
        tokens: SentenceTokenMatch | None = None,
    ) -> None:
        self.vectors = vectors
        self.options = options or ExtractiveOptions()
        self.tokens = tokens  # sentence-level token matching, when the index holds token states

    def scored_units(self, request: CompositionRequest) -> list[ScoredUnit]:
        """Every quotable unit of every passage that suits the question, best first.

        A table row of figures or a person's own words answers only a question that asks for figures or
        experiences; otherwise it would stand in for what the documents say is done.
        """
        query_terms = set(tokenize(request.lexical_text or request.question))
        query = np.asarray(request.query_vector, dtype=np.float32) if request.query_vector is not None else None
        out: list[ScoredUnit] = []
        for rank, passage in enumerate(request.passages):
            vectors = self.vectors.of(passage.chunk) if query is not None else None
            units = [
                unit
                for unit in quotable_units(passage.chunk)
                if (request.figures_asked or not is_figures_row(unit.text))
                and (request.experiences_asked or not is_testimonial(unit.text))
            ]
            matched = (
                self.tokens.scores(request.query_states, passage.chunk, [u.indices for u in units])
                if self.tokens is not None and request.query_states is not None
                else [0.0] * len(units)
            )
            for unit, tokens in zip(units, matched, strict=True):
                scored = self._score(passage, rank, unit, vectors, query, query_terms, request.expected_evidence)
                out.append(replace(scored, score=scored.score + self.options.token_weight * tokens, tokens=tokens))
        return sorted(out, key=lambda s: -s.score)

    def _score(
        self,
        passage: Passage,
        rank: int,
        unit: SentenceUnit,
        vectors: np.ndarray | None,
        query: np.ndarray | None,
        query_terms: set[str],
        evidence: tuple[str, ...],
    ) -> ScoredUnit:
        o = self.options
        dense = float(vectors[unit.main] @ query) if vectors is not None and query is not None else 0.0
        overlap = len(query_terms & set(tokenize(unit.text))) / len(query_terms) if query_terms else 0.0
        holds = any(EVIDENCE_PATTERNS[kind].search(unit.text) for kind in evidence if kind in EVIDENCE_PATTERNS)
        score = dense + o.lexical_weight * overlap + (o.evidence_bonus if holds else 0.0) - o.rank_weight * rank
        return ScoredUnit(passage, unit, score, dense, overlap)

    def select(self, request: CompositionRequest) -> list[ScoredUnit]:
        """The quotes a reply shows: :meth:`shown` of :meth:`choose` over the request's scored units."""
        return self.shown(self.choose(self.scored_units(request)))

    def choose(self, ranked: Sequence[ScoredUnit]) -> list[ScoredUnit]:
        """Every quote a reply could carry, from units already scored, best first: the lead and up to two more.

        Supporting quotes come from other passages first: when the lead's passage is not the one that answers, a
        second passage is a second chance, and a family sees where else the documents say it. They repeat nothing
        and fit the word budget. The answerability judge reads these; :meth:`shown` picks what the reply shows.
        """
        if not ranked:
            return []
        lead = ranked[0]
        other_passages = [c for c in ranked[1:] if c.passage.chunk.id != lead.passage.chunk.id]
        same_passage = [c for c in ranked[1:] if c.passage.chunk.id == lead.passage.chunk.id]
        chosen = [lead]
        words = lead.words
        for candidate in (*other_passages, *same_passage):
            if len(chosen) >= self.options.max_quotes:
                break
            too_long = words + candidate.words > self.options.max_words
            if too_long or _repeats(candidate, chosen, self.options.near_duplicate):
                continue
            chosen.append(candidate)
            words += candidate.words
        return chosen

    def shown(self, chosen: Sequence[ScoredUnit]) -> list[ScoredUnit]:
        """The quotes of ``chosen`` a reply shows: the lead and the supporting quotes within ``max_support_gap`` of it.

        A sentence that is itself a question ("Is this a key decision?") asks rather than tells: it is not shown,
        and the next quote leads. The judge has still weighed it, as part of what retrieval found.
        """
        if not chosen:
            return []
        floor = chosen[0].score - self.options.max_support_gap
        near = [chosen[0], *(c for c in chosen[1:] if c.score >= floor)]
        return [c for c in near if not asks(c.unit.text)]

    def compose(self, request: CompositionRequest) -> Composition:
        """The lead quote and its source, then the supporting quotes, each with its ``[n]``."""
        return self.compose_from(self.select(request))

    def compose_from(self, chosen: Sequence[ScoredUnit]) -> Composition:
        """The reply body quoting ``chosen`` in order; passages are numbered as they are first quoted."""
        if not chosen:
            return Composition(text="", citations=(), grounded=False)
        allowed = {c.passage.chunk.url for c in chosen if c.passage.chunk.url}
        numbers: dict[str, int] = {}
        citations: list[Citation] = []
        quotes: list[Quote] = []
        lines: list[str] = []
        for scored in chosen:
            chunk = scored.passage.chunk
            if chunk.id not in numbers:
                numbers[chunk.id] = len(numbers) + 1
                citations.append(Citation.of(numbers[chunk.id], chunk))
            n = numbers[chunk.id]
            quote = Quote(n, clean_quote(quote_line(scored.unit.text), allowed), source_label(chunk))
            quotes.append(quote)
            lines.append(quote.line())
        return Composition(
            text="\n".join(lines), citations=tuple(citations), score=chosen[0].score, quotes=tuple(quotes)
        )

    def stream(self, request: CompositionRequest) -> Iterator[str | Composition]:
        """The lead quote first, then each supporting quote, then the composition."""
        composition = self.compose(request)
        for i, line in enumerate(composition.text.splitlines()):
            yield ("\n" if i else "") + line
        yield composition
