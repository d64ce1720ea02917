"""Fitting the answerability model: logistic regression, out-of-fold scores and the threshold rules."""

from __future__ import annotations

import numpy as np

from evals.answerability.fit import L2, choose_sure_threshold, choose_threshold, held_out_probabilities
from evals.logistic import balanced_weights, fit_logistic
from navigator.answer.answerability import FEATURES


def _rows(n: int = 120, seed: int = 3) -> list[dict]:
    """Items whose lead quote is nearer the question when the quotes hold the answer (noisy, like real ones)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        holds = i % 2 == 0
        features = dict.fromkeys(FEATURES, 0.0) | {"lead_dense": float(rng.normal(0.85 if holds else 0.80, 0.03))}
        rows.append({"id": f"r{i}", "answerable": holds, "passage_holds": holds, "features": features})
    return rows


def test_fit_logistic_learns_the_direction_of_a_sign():
    rows = _rows()
    x = np.array([[r["features"][f] for f in FEATURES] for r in rows])
    y = np.array([1.0 if r["passage_holds"] else 0.0 for r in rows])

    _, _, weights, _ = fit_logistic(x, y, L2)

    assert weights[FEATURES.index("lead_dense")] > 0.5
    assert np.allclose(np.delete(weights, FEATURES.index("lead_dense")), 0.0)  # constant features learn nothing


def test_fit_logistic_without_standardising_weighs_a_rare_class_as_much_as_a_common_one():
    rng = np.random.default_rng(5)
    x = np.vstack([rng.normal(1.0, 0.5, (20, 2)), rng.normal(-1.0, 0.5, (200, 2))])
    y = np.r_[np.ones(20), np.zeros(200)]

    mean, scale, weights, bias = fit_logistic(x, y, 0.1, sample_weight=balanced_weights(y), standardise=False)

    assert np.all(mean == 0.0) and np.all(scale == 1.0)
    scores = x @ weights + bias
    assert (scores[:20] > 0).mean() > 0.9 and (scores[20:] < 0).mean() > 0.9  # balanced: no pull to the big class
    assert np.isclose(balanced_weights(y)[:20].sum(), balanced_weights(y)[20:].sum())


def test_held_out_scores_and_thresholds_follow_their_rules():
    rows = _rows()

    scores = held_out_probabilities(rows, repeats=3)
    threshold = choose_threshold(rows, scores, 0.10)
    sure = choose_sure_threshold(rows, scores, 0.7)

    assert len(scores) == len(rows) and all(0.0 <= s <= 1.0 for s in scores)
    found = [s for r, s in zip(rows, scores, strict=True) if r["passage_holds"]]
    withheld = sum(s < threshold for s in found) / len(found)
    assert 0.05 <= withheld <= 0.12  # about the 10% asked for
    assert sure is not None and sure >= threshold
    above = [r["passage_holds"] for r, s in zip(rows, scores, strict=True) if s >= sure]
    assert sum(above) / len(above) >= 0.7


def test_question_prior_is_stacked_out_of_fold_and_learns_which_questions_get_answers():
    from evals.answerability.fit import fit_question_prior, set_question_prior_out_of_fold

    rng = np.random.default_rng(11)
    rows = _rows(200)
    for r in rows:  # questions the documents answer lean one way in the embedding, the others the other way
        r["vector"] = [float(rng.normal(0.3 if r["passage_holds"] else -0.3, 0.5)), float(rng.normal(0, 0.5))]

    set_question_prior_out_of_fold(rows)
    weights, _ = fit_question_prior(rows)

    held = [r["features"]["question_prior"] for r in rows if r["passage_holds"]]
    missed = [r["features"]["question_prior"] for r in rows if not r["passage_holds"]]
    assert np.mean(held) > np.mean(missed) and weights[0] > 0
    # Out of fold: no row's sign comes from a fit that saw it, so it differs from the all-rows fit's.
    in_sample = [float(np.asarray(r["vector"]) @ weights) for r in rows]
    assert not np.allclose([r["features"]["question_prior"] for r in rows], in_sample)


def test_threshold_at_precision_is_the_lowest_score_keeping_the_share_of_positives():
    from evals.logistic import threshold_at_precision

    scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    positive = [True, True, False, True, False, False]

    assert threshold_at_precision(scores, positive, 0.75, min_count=1) == 0.6  # 3 of the top 4
    assert threshold_at_precision(scores, positive, 0.75, min_count=5) is None  # 3 of 5 falls short
    assert threshold_at_precision(scores, positive, 1.0, min_count=1) == 0.8
