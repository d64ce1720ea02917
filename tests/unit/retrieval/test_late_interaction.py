"""Late interaction: MaxSim with IDF-weighted question tokens, its fusion with the fused ranking, its files."""

from __future__ import annotations

import math

import numpy as np
import pytest

from navigator.errors import IndexNotReadyError
from navigator.models.base import TokenStates
from navigator.retrieval.base import Chunk, ScoredChunk
from navigator.retrieval.index_store import late_index_problems, read_late_index, write_late_index
from navigator.retrieval.late_interaction import LateInteractionIndex, LateInteractionOptions, LateInteractionReranker

E = np.eye(4, dtype=np.float32)


def _states(rows: list[int], ids: list[int]) -> TokenStates:
    return TokenStates(E[rows].astype(np.float16), np.array(ids, dtype=np.int32))


def _index() -> LateInteractionIndex:
    # chunk 0 has tokens along axes 0 and 1 (ids 10, 11); chunk 1 along 0 only (id 10); chunk 2 along 2 (id 12)
    return LateInteractionIndex.from_states([_states([0, 1], [10, 11]), _states([0], [10]), _states([2], [12])], 4)


def test_late_interaction_idf_weighs_rare_and_unseen_tokens_more():
    weights = _index().weights(np.array([10, 11, 99], dtype=np.int32))

    assert weights[0] == pytest.approx(math.log1p(3 / 3))  # in two of three chunks
    assert weights[1] == pytest.approx(math.log1p(3 / 2))  # in one
    assert weights[2] == pytest.approx(math.log1p(3))  # in none: a word of another language
    assert weights[0] < weights[1] < weights[2]


def test_late_interaction_maxsim_takes_each_query_tokens_best_match():
    index = _index()
    query = _states([0, 1], [10, 11])  # asks for both axes

    scores = index.maxsim(query, [0, 1, 2])

    w = index.weights(query.ids)
    assert scores[0] == pytest.approx(1.0)  # both tokens matched exactly
    assert scores[1] == pytest.approx(w[0] / w.sum())  # only the first
    assert scores[2] == pytest.approx(0.0)
    assert list(index.maxsim(query, [2, 0])) == pytest.approx([0.0, 1.0])  # in the order asked


def test_late_interaction_rerank_fuses_the_two_rankings_and_keeps_the_tail():
    chunks = [Chunk(f"c{i}", "doc", "Doc", None, (), f"text {i}", (f"text {i}",)) for i in range(5)]
    # fused order c0..c4; token matching puts c3 first, then c0, c1, c2 (c4 is below the depth)
    index = LateInteractionIndex.from_states(
        [_states([1], [1]), _states([2], [2]), _states([2], [3]), _states([0], [4]), _states([0], [5])], 4
    )
    query = TokenStates(np.array([[0.9, 0.3, 0.2, 0.0]], dtype=np.float16), np.array([7], dtype=np.int32))
    reranker = LateInteractionReranker(index, {c.id: i for i, c in enumerate(chunks)}, LateInteractionOptions(4))

    fused = [ScoredChunk(c, 1.0 - i / 10, "hybrid") for i, c in enumerate(chunks)]
    order = [s.chunk.id for s in reranker.rerank(fused, query)]

    # c0: 1/6 + 1/7, c3: 1/9 + 1/6, c1: 1/7 + 1/8 (tied with c2's 1/8 + 1/7 on token score, kept stable)
    assert order[:2] == ["c0", "c3"]
    assert order[-1] == "c4"
    assert sorted(order) == [c.id for c in chunks]


def test_late_interaction_files_round_trip_and_inconsistency_is_named(tmp_path):
    index = _index()
    write_late_index(tmp_path, index)

    loaded = read_late_index(tmp_path)

    assert late_index_problems(loaded, chunks=3, dimension=4) == []
    assert loaded.chunk_states(0).ids.tolist() == [10, 11]
    assert late_index_problems(loaded, chunks=4, dimension=4) == ["rows in late_offsets.npy (4 instead of 5)"]
    assert "shape of late_vectors.npy" in late_index_problems(loaded, chunks=3, dimension=8)[0]


def test_late_interaction_missing_file_is_refused_with_its_name(tmp_path):
    write_late_index(tmp_path, _index())
    (tmp_path / "late_vectors.npy").unlink()

    with pytest.raises(IndexNotReadyError, match=r"late_vectors\.npy is missing"):
        read_late_index(tmp_path)
