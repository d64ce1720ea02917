"""Ridge logistic regression by Newton's method, shared by the evaluation sets' fits (numpy only)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Fitted = tuple[np.ndarray, np.ndarray, np.ndarray, float]  # mean, scale, weights, bias


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    l2: float,
    *,
    sample_weight: np.ndarray | None = None,
    standardise: bool = True,
) -> Fitted:
    """(mean, scale, weights, bias) minimising weighted log-loss plus ``l2 / 2`` times the squared weights.

    With ``standardise`` the weights apply to features scaled to mean 0 and spread 1 (a dozen features on
    different scales); without it mean is 0 and scale 1 (unit-length embedding vectors). The bias is not shrunk.
    """
    if standardise:
        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        scale[scale < 1e-9] = 1.0
    else:
        mean, scale = np.zeros(x.shape[1]), np.ones(x.shape[1])
    z = (x - mean) / scale
    design = np.hstack([z, np.ones((len(z), 1))])
    weight = np.ones(len(y)) if sample_weight is None else sample_weight
    w = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ w, -30, 30)))
        gradient = design.T @ (weight * (p - y)) + penalty * w
        hessian = (design * (weight * p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return mean, scale, w[:-1], float(w[-1])


def balanced_weights(y: np.ndarray) -> np.ndarray:
    """Sample weights that give both classes the same total weight (a rare class is not drowned out)."""
    positives = max(1, int(y.sum()))
    negatives = max(1, len(y) - positives)
    return np.where(y > 0, len(y) / (2 * positives), len(y) / (2 * negatives))


def threshold_at_precision(
    scores: Sequence[float], positive: Sequence[bool], precision: float, min_count: int
) -> float | None:
    """The lowest score above which at least ``precision`` of the items (``min_count`` or more) are positive.

    None when no such score exists.
    """
    pairs = sorted(zip(scores, positive, strict=True), key=lambda pair: pair[0], reverse=True)
    best = None
    hits = 0
    for count, (score, is_positive) in enumerate(pairs, 1):
        hits += bool(is_positive)
        if count >= min_count and hits / count >= precision:
            best = float(score)
    return best
