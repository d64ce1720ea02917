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


class _WordSpans:
    """Token spans as a whitespace tokenizer would give them (one token per word of the passage text)."""

    def __init__(self) -> None:
        self.calls = 0

    def token_spans(self, texts: list[str], prompt_name: str) -> list[list[tuple[int, int]]]:
        import re

        self.calls += 1
        assert prompt_name == "passage"
        return [[(m.start(), m.end()) for m in re.finditer(r"\S+", t)] for t in texts]


def _two_sentence_chunk() -> tuple[Chunk, LateInteractionIndex]:
    chunk = Chunk("c0", "d", "T", None, ("S",), "alpha beta. gamma.", ("alpha beta.", "gamma."))
    # "T. S.\n" holds 2 words, then "alpha", "beta.", "gamma.": five tokens along axes 3, 3, 0, 1, 2.
    states = _states([3, 3, 0, 1, 2], [20, 21, 10, 11, 12])
    return chunk, LateInteractionIndex.from_states([states], 4)


def test_sentence_match_places_each_sentence_on_its_own_token_rows():
    from navigator.retrieval.late_interaction import SentenceTokenMatch

    chunk, index = _two_sentence_chunk()
    spans = _WordSpans()
    match = SentenceTokenMatch(index, {"c0": 0}, spans)

    assert match.sentence_rows(chunk) == [(2, 4), (4, 5)]
    match.sentence_rows(chunk)
    assert spans.calls == 1  # placed once, then kept


def test_sentence_match_scores_a_unit_by_its_own_tokens_only():
    from navigator.retrieval.late_interaction import SentenceTokenMatch

    chunk, index = _two_sentence_chunk()
    match = SentenceTokenMatch(index, {"c0": 0}, _WordSpans())
    query = _states([2], [12])  # asks for what only the second sentence holds

    first, second, both = match.scores(query, chunk, [(0,), (1,), (0, 1)])

    assert second == pytest.approx(1.0) and both == pytest.approx(1.0)
    assert first == pytest.approx(0.0)


def test_sentence_match_gives_nothing_when_the_stored_states_are_not_this_texts_tokens():
    from navigator.retrieval.late_interaction import SentenceTokenMatch

    chunk, _ = _two_sentence_chunk()
    index = LateInteractionIndex.from_states([_states([0, 1], [10, 11])], 4)  # two rows: another text's
    match = SentenceTokenMatch(index, {"c0": 0}, _WordSpans())

    assert match.sentence_rows(chunk) == [None, None]
    assert match.scores(_states([0], [10]), chunk, [(0,), (1,)]) == [0.0, 0.0]
