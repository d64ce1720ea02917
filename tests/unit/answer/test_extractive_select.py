"""Which passages the extractive composer quotes: the highest-ranked always, others only when nearly as good."""

from __future__ import annotations

import numpy as np

from navigator.answer.base import CompositionRequest, Passage
from navigator.answer.extractive import ExtractiveComposer, StoredSentenceVectors
from navigator.retrieval.base import Chunk

SENTENCES = (
    "The local authority must issue the final plan within twenty weeks of the request.",
    "Parents can ask the school for a meeting with the special educational needs coordinator.",
    "Short breaks give disabled children enjoyable activities away from home.",
)


def _request(similarities: list[float]) -> tuple[CompositionRequest, StoredSentenceVectors]:
    """Three one-sentence passages, in rank order, whose sentences have these cosines with the question."""
    chunks = [Chunk(f"c{i}", f"doc{i}", f"Doc {i}", None, ("Section",), s, (s,)) for i, s in enumerate(SENTENCES)]
    vectors = np.array([[sim, float(np.sqrt(1 - sim * sim)), 0.0] for sim in similarities], dtype=np.float32)
    composer_vectors = StoredSentenceVectors(chunks, np.arange(len(chunks)), vectors)
    request = CompositionRequest(
        question="unrelated words",
        language="en",
        passages=[Passage(i + 1, c, 1.0 / (i + 1)) for i, c in enumerate(chunks)],
        query_vector=[1.0, 0.0, 0.0],
        lexical_text="unrelated words",
    )
    return request, composer_vectors


def test_extractive_select_quotes_the_highest_ranked_passage_even_when_its_sentence_scores_lower():
    request, vectors = _request([0.5, 0.95, 0.9])

    chosen = ExtractiveComposer(vectors).select(request)

    assert [c.passage.chunk.id for c in chosen] == ["c0", "c1", "c2"]


def test_extractive_select_drops_a_lower_ranked_passage_that_scores_well_below_the_best():
    request, vectors = _request([0.9, 0.95, 0.5])

    chosen = ExtractiveComposer(vectors).select(request)

    assert [c.passage.chunk.id for c in chosen] == ["c0", "c1"]
    composition = ExtractiveComposer(vectors).compose(request)
    assert [c.doc_id for c in composition.citations] == ["doc0", "doc1"]
    assert composition.text.splitlines()[0].endswith("[1]")
