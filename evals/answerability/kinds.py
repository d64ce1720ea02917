"""Fit the question-kind probes on the answerability set's calibration half, and report them on the test half.

    python -m evals.answerability.kinds           # fit, write navigator/data/question_kinds_probe.json, report
    python -m evals.answerability.kinds --report [--write benchmarks/results/question_kinds.json]  # fits nothing

For each kind a decline can point elsewhere for (one school's own arrangements, another council's area, one child's
own case, benefits or money), positives are the calibration half's unanswerable questions its writers gave that
kind; negatives are every other question, answerable or not. The boundary and its threshold are chosen as for the
health probe (``health.py``): balanced ridge logistic regression over the query vectors, and the lowest score at
which, out of fold, at least ``--precision`` of the questions above it are of the kind. A wrong pointer is worded
as a condition ("if your question is about one school…"), so it misleads little, but it should fit most questions it
is shown to.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from evals.answerability.dataset import CALIBRATION, TEST, load_items
from evals.answerability.health import choose_threshold, fit, out_of_fold, report, vectors
from navigator.answer.question_probes import DECLINE_KINDS, QuestionKinds, QuestionProbe, load_question_kinds

PROBE_FILE = Path(__file__).resolve().parents[2] / "navigator" / "data" / "question_kinds_probe.json"


def labels(items: list[dict[str, Any]], kind: str) -> np.ndarray:
    """1 for an unanswerable question of ``kind``, 0 for any other."""
    return np.array([1.0 if i.get("kind") == kind and not i["answerable"] else 0.0 for i in items])


def main() -> None:
    """Fit and write the probes (or report the shipped ones) and print what they give on both halves."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="Report the shipped probes; fit nothing.")
    parser.add_argument("--precision", type=float, default=0.8)
    parser.add_argument("--write", type=Path, default=None, help="Also write the figures here (JSON).")
    args = parser.parse_args()
    calibration, test = load_items(CALIBRATION), load_items(TEST)
    cx, tx = vectors(calibration), vectors(test)
    result: dict[str, Any] = {}
    if args.report:
        kinds = load_question_kinds()
    else:
        from navigator.config import get_settings

        probes = {}
        for kind in DECLINE_KINDS:
            cy = labels(calibration, kind)
            held_out = out_of_fold(cx, cy)
            threshold = choose_threshold(held_out, cy, args.precision)
            weights, bias = fit(cx, cy)
            probes[kind] = QuestionProbe(
                weights.astype(np.float32),
                round(float(bias), 6),
                round(threshold, 4),
                get_settings().embedding_model,
                f"Fitted by evals/answerability/kinds.py on {CALIBRATION.name} ({len(cy)} questions, {int(cy.sum())} "
                f"unanswerable ones of kind {kind}); threshold: precision {args.precision:.0%} out of fold.",
            )
            result[f"{kind}: calibration out of fold"] = report(held_out, cy, threshold)
        kinds = QuestionKinds(probes)
        PROBE_FILE.write_text(json.dumps(kinds.to_json(), indent=1) + "\n", encoding="utf-8")
        load_question_kinds.cache_clear()
        print(f"probes written to {PROBE_FILE}")
    for kind, probe in kinds.probes.items():
        scores = tx @ probe.weights.astype(np.float64) + probe.bias
        result[f"{kind}: test"] = report(scores, labels(test, kind), probe.threshold)
    # The pointer a question gets is the kind it passes by most: how often that is its own kind, on the test half.
    shown = [kinds.kind_of(v.astype(np.float32)) for v in tx]
    pointed = [(k, i) for k, i in zip(shown, test, strict=True) if k is not None]
    result["test: pointers shown / of the question's own kind"] = [
        len(pointed),
        sum(1 for k, i in pointed if k == i.get("kind") and not i["answerable"]),
    ]
    print(json.dumps(result, indent=1))
    if args.write:
        args.write.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
