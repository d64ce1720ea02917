"""Runs of texts for ONNX Runtime: bounded in count and in padded tokens, in order, covering every text."""

from __future__ import annotations

import pytest

from navigator.models.onnx_runtime import token_batches


def test_token_batches_short_texts_go_max_texts_at_a_time() -> None:
    assert token_batches([10] * 70, 32, 3072) == [range(0, 32), range(32, 64), range(64, 70)]


def test_token_batches_long_texts_go_a_few_at_a_time() -> None:
    runs = token_batches([100, 200, 384, 384, 384, 384, 384, 384, 384, 384, 384], 32, 1024)
    assert runs == [range(0, 2), range(2, 4), range(4, 6), range(6, 8), range(8, 10), range(10, 11)]


@pytest.mark.parametrize("lengths", [[5, 900, 3, 40, 40, 2000, 1], list(range(1, 300, 7)), [3000], []])
def test_token_batches_cover_every_text_once_within_the_budget(lengths: list[int]) -> None:
    runs = token_batches(lengths, 4, 1000)
    assert [i for run in runs for i in run] == list(range(len(lengths)))
    for run in runs:
        assert 1 <= len(run) <= 4
        # A run may exceed the budget only when it is one text longer than the budget on its own.
        assert len(run) * max(lengths[i] for i in run) <= 1000 or len(run) == 1
