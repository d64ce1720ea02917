"""The safeguarding meaning check with the real e5 model: clause vectors from the query's own run, and examples."""

from __future__ import annotations

import numpy as np
import pytest

from navigator.answer.safety import SafeguardingDetector
from navigator.answer.safety_semantic import ExemplarMatcher, load_exemplars
from navigator.models.onnx_runtime import OnnxEmbedder
from navigator.retrieval.vectors import QueryVectorCache, query_vectors

pytestmark = pytest.mark.model


def test_safeguarding_clause_vectors_come_from_the_query_run_and_match_the_clause_alone(e5: OnnxEmbedder) -> None:
    message = "My husband hits the children, what should I do?"

    vector, states, clauses = e5.query_with_clauses(message)

    assert float(np.dot(vector, e5.embed_query(message))) > 0.9999  # the same vector retrieval uses
    assert states is not None and len(states.ids) > 0
    assert clauses.shape == (2, 384)
    assert np.allclose(np.linalg.norm(clauses, axis=1), 1.0, atol=1e-4)
    (alone,) = query_vectors(e5, ["My husband hits the children"])
    # The first clause's pooled vector is nearer that clause embedded alone than the whole message's vector is.
    assert float(clauses[0] @ alone) > float(np.asarray(vector) @ alone) + 0.02
    assert e5.query_with_clauses("one clause only")[2].shape[0] == 0


def test_safeguarding_query_cache_keeps_vector_states_and_clauses_from_one_run(e5: OnnxEmbedder) -> None:
    cache = QueryVectorCache(e5)
    message = "Mój mąż bije dzieci, co mam zrobić?"

    clauses = cache.clauses(message)

    assert clauses.shape[0] == 2
    assert cache.vector(message) is cache.vector(message)
    assert cache.states(message) is not None


def test_safeguarding_question_tail_does_not_hide_a_disclosure(e5: OnnxEmbedder) -> None:
    """Whole-message similarity drops when "what should I do?" follows a disclosure; the clause keeps it."""
    matcher = ExemplarMatcher(lambda texts: query_vectors(e5, texts), load_exemplars(), "test-e5")
    detector = SafeguardingDetector(matcher=matcher, margin=0.005, guarded_margin=0.0175)
    cache = QueryVectorCache(e5)
    for message in (
        "Aabbahay wuu i garaacaa mar kasta oo uu cadhoodo, maxaan sameeyaa?",
        "Tata zamyka mnie w pokoju na cały dzień bez jedzenia, co mam robić?",
    ):
        whole = matcher.nearest(cache.vector(message)).margin
        best = matcher.nearest_of(cache.vector(message), cache.clauses(message)).margin
        assert best >= whole
        match = detector.detect(message, cache.vector(message), cache.clauses(message))
        assert match is not None, message
