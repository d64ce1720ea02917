"""Fit the health-question probe on the answerability set's calibration half, and report it on the test half.

    python -m evals.answerability.health          # fit, write navigator/data/health_probe.json, report
    python -m evals.answerability.health --report [--write benchmarks/results/health_probe.json]  # fits nothing

Positives are the calibration questions their writers labelled ``medical_advice`` (a dose, a therapy, whether a
symptom is a condition); negatives every other question, answerable or not, including those about diagnosis
services. ``health_questions.jsonl`` adds 200 messages from another writer (half asking for health advice in
everyday words, "fits", "won't eat"; half SEND service questions about health needs), with halves of its own:
its calibration half joins the fit, its test half is reported beside the answerability set's. A ridge logistic
regression with balanced classes over the query vectors; the threshold is the lowest score at which, out of
fold, at least ``--precision`` of the questions above it are health questions: naming a health service first for
a SEND question costs less than missing one, but the list should fit the question.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evals.answerability.dataset import CALIBRATION, TEST, load_items
from evals.logistic import balanced_weights, fit_logistic, threshold_at_precision
from navigator.answer.question_probes import QuestionProbe, load_health_probe

PROBE_FILE = Path(__file__).resolve().parents[2] / "navigator" / "data" / "health_probe.json"
L2 = 0.03  # ridge penalty (best out-of-fold AUC on the calibration half of 0.03-1: 0.994)
FOLDS = 5
HEALTH_KIND = "medical_advice"
HEALTH_SET = Path(__file__).resolve().parent / "health_questions.jsonl"


def vectors(items: Sequence[dict[str, Any]]) -> np.ndarray:
    """The query vectors retrieval would compute for each question, with the configured model."""
    from navigator.assembly import embedder
    from navigator.config import get_settings
    from navigator.retrieval.vectors import query_vectors

    model = embedder(get_settings())
    texts = [i["question"] for i in items]
    return np.vstack([query_vectors(model, texts[k : k + 64]) for k in range(0, len(texts), 64)]).astype(np.float64)


def labels(items: Sequence[dict[str, Any]]) -> np.ndarray:
    """1 for a health question, 0 for any other (the answerability set's kind, or the health set's label)."""
    return np.array([1.0 if i.get("kind") == HEALTH_KIND or i.get("health") is True else 0.0 for i in items])


def health_set(half: str) -> list[dict[str, Any]]:
    """One half ("calibration" or "test") of the health set."""
    rows = [json.loads(line) for line in HEALTH_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["half"] == half]


def fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Weights and bias of the boundary."""
    _, _, weights, bias = fit_logistic(x, y, L2, sample_weight=balanced_weights(y), standardise=False)
    return weights, bias


def out_of_fold(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each question's score from a boundary fitted without its fold (folds dealt in file order)."""
    fold_of = np.arange(len(y)) % FOLDS
    scores = np.zeros(len(y))
    for fold in range(FOLDS):
        train = fold_of != fold
        weights, bias = fit(x[train], y[train])
        scores[~train] = x[~train] @ weights + bias
    return scores


def choose_threshold(scores: np.ndarray, y: np.ndarray, precision: float) -> float:
    """The lowest score above which at least ``precision`` of the questions are health questions (else the top)."""
    found = threshold_at_precision(scores.tolist(), (y == 1).tolist(), precision, min_count=5)
    return float(scores.max()) if found is None else found


def report(scores: np.ndarray, y: np.ndarray, threshold: float) -> dict[str, Any]:
    """How many questions of the kind are told, and how many other questions are taken for one."""
    flagged = scores >= threshold
    positives = int(y.sum())
    pos, neg = scores[y == 1], scores[y == 0]
    return {
        "of_the_kind": positives,
        "told": int((flagged & (y == 1)).sum()),
        "others_taken_for_it": int((flagged & (y == 0)).sum()),
        "others": int(len(y) - positives),
        "auc": round(float((pos[:, None] > neg[None, :]).mean()), 4) if len(pos) and len(neg) else None,
    }


def main() -> None:
    """Fit and write the probe (or report the shipped one) and print what it gives on both halves."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="Report the shipped probe; fit nothing.")
    parser.add_argument("--precision", type=float, default=0.8)
    parser.add_argument("--write", type=Path, default=None, help="Also write the figures here (JSON).")
    args = parser.parse_args()
    calibration = load_items(CALIBRATION) + health_set("calibration")
    test, health_test = load_items(TEST), health_set("test")
    cx, cy, tx, ty = vectors(calibration), labels(calibration), vectors(test), labels(test)
    hx, hy = vectors(health_test), labels(health_test)
    result: dict[str, Any] = {}
    if args.report:
        probe = load_health_probe()
    else:
        from navigator.config import get_settings

        held_out = out_of_fold(cx, cy)
        threshold = choose_threshold(held_out, cy, args.precision)
        weights, bias = fit(cx, cy)
        probe = QuestionProbe(
            weights.astype(np.float32),
            round(float(bias), 6),
            round(threshold, 4),
            get_settings().embedding_model,
            f"Fitted by evals/answerability/health.py on {CALIBRATION.name} and the calibration half of "
            f"{HEALTH_SET.name} ({len(cy)} questions, {int(cy.sum())} asking for health advice); threshold: "
            f"precision {args.precision:.0%} out of fold.",
        )
        PROBE_FILE.write_text(json.dumps(probe.to_json(), indent=1) + "\n", encoding="utf-8")
        load_health_probe.cache_clear()
        result["calibration_out_of_fold"] = report(held_out, cy, threshold)
        print(f"probe written to {PROBE_FILE}")
    result["test"] = report(tx @ probe.weights.astype(np.float64) + probe.bias, ty, probe.threshold)
    result["health_set_test"] = report(hx @ probe.weights.astype(np.float64) + probe.bias, hy, probe.threshold)
    print(json.dumps(result, indent=1))
    if args.write:
        args.write.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
