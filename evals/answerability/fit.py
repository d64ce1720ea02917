"""Fit the answerability model on the calibration half only, and report what it gives on any set.

    python -m evals.answerability.fit                       # fit on calibration.jsonl, write the model
    python -m evals.answerability.fit --report test.jsonl   # the shipped model on another set; fits nothing
    python -m evals.answerability.fit --report ../shared/evals/dev.jsonl

Each item goes through the navigator's own retrieval and quote choice (``ChatService.assess``); the model then
learns, from the signs ``navigator.answer.answerability`` reads, when the quotes hold the answer: positives are
answerable items whose quoted passages hold the evidence, negatives are unanswerable items and answerable ones
whose quotes miss it (quoting those would be a confident non-answer too). Each threshold (one for English
questions, one for the other languages) is the highest that withholds at most ``--withhold`` (10%) of that
group's answers found, over the calibration half scored out of fold
(averaged over 20 dealings of the folds, so that no single item sets it): a found answer is nearly always
given, and every non-answer that can be told apart is declined (the trade-off at other settings is in
docs/benchmarks.md). Nothing here reads the dev set unless it is given to ``--report``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from evals.answerability.dataset import CALIBRATION, load_items
from evals.logistic import Fitted, balanced_weights, fit_logistic, threshold_at_precision
from evals.matching import contains_evidence
from navigator.answer.answerability import FEATURES, AnswerabilityModel

MODEL_FILE = Path(__file__).resolve().parents[2] / "navigator" / "data" / "answerability_model.json"
FOLDS = 5
REPEATS = 20  # dealings of the folds whose out-of-fold scores are averaged
SUPPORT_GAP_STEP = 0.005
PRIOR_L2 = 0.1  # ridge penalty of the question-only sign (best out-of-fold AUC on the calibration half of 0.03-10)
L2 = 10.0  # ridge penalty on standardised weights: a few hundred items, a dozen correlated features


def readings(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each item's features, label and whether the chosen quotes hold its evidence, with the configured index."""
    from navigator.assembly import build_chat_service, build_searcher
    from navigator.config import get_settings

    settings = get_settings()
    searcher = build_searcher(settings)
    service = build_chat_service(settings, searcher, None)
    rows = []
    for item in tqdm(items, desc="questions", unit="question", mininterval=5):
        query = searcher.prepare(item["question"], item["lang"])
        assessment = service.assess(item["question"], query, item["lang"])
        verdict = assessment.verdict
        quotes = [u.unit.text for u in assessment.chosen]
        evidence = item.get("evidence") or ""
        # Every supporting quote the reply could carry, before the gap limit: to choose the limit (support_gap).
        considered = assessment.considered
        held_gaps = [
            considered[0].score - u.score
            for u in considered[1:]
            if evidence and contains_evidence(u.unit.text, evidence)
        ]
        rows.append({
            "id": item["id"],
            "lang": item["lang"],
            "audience": item["audience"],
            "kind": item.get("kind"),
            "answerable": bool(item["answerable"]),
            "features": dict(verdict.features) if verdict else None,
            "lead_holds": bool(evidence and quotes and contains_evidence(quotes[0], evidence)),
            "quotes_hold": bool(evidence and any(contains_evidence(q, evidence) for q in quotes)),
            "passage_holds": bool(
                evidence and any(contains_evidence(u.passage.chunk.text, evidence) for u in assessment.chosen)
            ),
            "support_gaps": held_gaps,
            "vector": list(assessment.request.query_vector or ()),  # for the question-only sign; not written out
        })
    return rows


def matrix(rows: Sequence[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Features (items without a quotable passage get zeros: they are declined whatever the model says)."""
    x = np.array([[(r["features"] or {}).get(f, 0.0) for f in FEATURES] for r in rows], dtype=np.float64)
    y = np.array([1.0 if good(r) else 0.0 for r in rows])
    return x, y


def good(row: dict[str, Any]) -> bool:
    """Whether quoting for this item gives its answer: answerable, and the quoted passages hold the evidence."""
    return bool(row["answerable"] and row["passage_holds"])


def probabilities(model: AnswerabilityModel, rows: Sequence[dict[str, Any]]) -> list[float]:
    """The model's probability per row; 0 for a row declined whatever it says (see :func:`answerable_at_all`)."""
    return [model.probability(r["features"]) if answerable_at_all(r) else 0.0 for r in rows]


def answerable_at_all(row: dict[str, Any]) -> bool:
    """Whether the model decides the row: it has quotes and asks for no fact that no passage found holds."""
    return bool(row["features"]) and not row["features"].get("strict_unmet")


def as_model(parts: Fitted, threshold: float, about: str) -> AnswerabilityModel:
    """The fitted parts as the navigator's model."""
    mean, scale, weights, bias = parts
    return AnswerabilityModel(
        FEATURES,
        tuple(round(float(v), 6) for v in mean),
        tuple(round(float(v), 6) for v in scale),
        tuple(round(float(v), 6) for v in weights),
        round(bias, 6),
        round(threshold, 4),
        about,
    )


def fit_question_prior(rows: Sequence[dict[str, Any]]) -> tuple[np.ndarray, float]:
    """Weights and bias over the question's vector for "quoting gives the answer", with balanced classes."""
    x = np.array([r["vector"] for r in rows], dtype=np.float64)
    y = np.array([1.0 if good(r) else 0.0 for r in rows])
    _, _, weights, bias = fit_logistic(x, y, PRIOR_L2, sample_weight=balanced_weights(y), standardise=False)
    return weights, bias


def set_question_prior_out_of_fold(rows: Sequence[dict[str, Any]]) -> None:
    """Give each row's features the question-only sign from a fit without its fold (stacking).

    The model over all signs is then fitted on signs it could have had for unseen questions; the shipped sign is
    fitted on every row.
    """
    fold_of = [int(hashlib.sha256(f"prior:{r['id']}".encode()).hexdigest(), 16) % FOLDS for r in rows]
    for fold in range(FOLDS):
        weights, bias = fit_question_prior([r for r, f in zip(rows, fold_of, strict=True) if f != fold])
        for row, f in zip(rows, fold_of, strict=True):
            if f == fold and row["features"]:
                row["features"]["question_prior"] = float(np.asarray(row["vector"]) @ weights + bias)


def held_out_probabilities(rows: Sequence[dict[str, Any]], repeats: int = REPEATS) -> list[float]:
    """Each row's probability from models fitted without it, averaged over several dealings of the folds.

    The threshold is read off the lowest scores of a few dozen found answers: with one dealing, which fold an
    item falls in moves it by a couple of items' worth.
    """
    totals = [0.0] * len(rows)
    for repeat in range(repeats):
        fold_of = [int(hashlib.sha256(f"{repeat}:{r['id']}".encode()).hexdigest(), 16) % FOLDS for r in rows]
        for fold in range(FOLDS):
            train = [r for r, f in zip(rows, fold_of, strict=True) if f != fold]
            model = as_model(fit_logistic(*matrix(train), L2), 0.5, "")
            for i, (row, f) in enumerate(zip(rows, fold_of, strict=True)):
                if f == fold and answerable_at_all(row):
                    totals[i] += model.probability(row["features"])
    return [total / repeats for total in totals]


def choose_threshold(rows: Sequence[dict[str, Any]], scores: Sequence[float], withhold: float) -> float:
    """The highest threshold that withholds at most ``withhold`` of the answers the navigator found.

    Every non-answer it can decline is declined, as long as an answer that was found is nearly always given.
    """
    positives = [s for r, s in zip(rows, scores, strict=True) if good(r)]
    if not positives:
        raise SystemExit("the set needs items whose quotes hold the answer")
    return float(np.quantile(positives, withhold))  # interpolated: no single item sets it


def split_rows(
    rows: Sequence[dict[str, Any]], scores: Sequence[float], english: Sequence[bool], *, want: bool
) -> tuple[list[dict[str, Any]], list[float]]:
    """The rows (and their scores) of English questions (``want``) or of the other languages."""
    kept = [(r, s) for r, s, e in zip(rows, scores, english, strict=True) if e == want]
    return [r for r, _ in kept], [s for _, s in kept]


def support_gap(rows: Sequence[dict[str, Any]], share: float) -> float | None:
    """The score gap below the lead within which ``share`` of the supporting quotes that held the answer lay.

    Rounded up to a step of 0.005; None when no supporting quote held an answer.
    """
    gaps = [g for r in rows for g in r.get("support_gaps", [])]
    if not gaps:
        return None
    return math.ceil(float(np.quantile(gaps, share)) / SUPPORT_GAP_STEP) * SUPPORT_GAP_STEP


def choose_sure_threshold(rows: Sequence[dict[str, Any]], scores: Sequence[float], precision: float) -> float | None:
    """The lowest threshold above which at least ``precision`` of the answered items hold the answer (None: none)."""
    return threshold_at_precision(scores, [good(r) for r in rows], precision, min_count=10)


def summarize(
    rows: Sequence[dict[str, Any]], scores: Sequence[float], threshold: float, english_threshold: float | None = None
) -> dict[str, Any]:
    """Declines of unanswerable and answerable items, overall and per language, kind and audience."""

    def passes(row: dict[str, Any], score: float) -> bool:
        english = english_threshold is not None and row["lang"] == "en"
        return score >= (english_threshold if english and english_threshold is not None else threshold)

    def rates(part: Sequence[tuple[dict[str, Any], float]]) -> dict[str, Any]:
        unans = [(r, s) for r, s in part if not r["answerable"]]
        ans = [(r, s) for r, s in part if r["answerable"]]
        answered = [r for r, s in ans if passes(r, s)]
        return {
            "unanswerable": len(unans),
            "unanswerable_declined": (
                round(sum(not passes(r, s) for r, s in unans) / len(unans), 4) if unans else None
            ),
            "answerable": len(ans),
            "answerable_declined": round(1 - len(answered) / len(ans), 4) if ans else None,
            "answered_quotes_hold_evidence": (
                round(sum(r["quotes_hold"] for r in answered) / len(answered), 4) if answered else None
            ),
            "answered_lead_holds_evidence": (
                round(sum(r["lead_holds"] for r in answered) / len(answered), 4) if answered else None
            ),
        }

    pairs = list(zip(rows, scores, strict=True))

    def by(key: str) -> dict[str, Any]:
        values = sorted({str(r.get(key)) for r in rows})
        return {v: rates([(r, s) for r, s in pairs if str(r.get(key)) == v]) for v in values}

    return {
        "threshold": threshold,
        "english_threshold": english_threshold,
        "overall": rates(pairs),
        "by_lang": by("lang"),
        "by_kind": by("kind"),
        "by_audience": by("audience"),
    }


def main() -> None:
    """Fit on the calibration half and write the model, or report the shipped model on a set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, default=None, help="Report the shipped model on this set instead.")
    parser.add_argument(
        "--withhold",
        type=float,
        default=0.10,
        help="The share of found answers (quotes holding the evidence) the threshold may withhold.",
    )
    parser.add_argument(
        "--sure-precision",
        type=float,
        default=0.7,
        help="Replies say the quotes answer only above the level where this share of answers held the evidence.",
    )
    parser.add_argument(
        "--support-share",
        type=float,
        default=0.8,
        help="Report the gap below the lead within which this share of answer-holding supporting quotes lay.",
    )
    parser.add_argument("--write", type=Path, default=None, help="Also write the summary and every row here (JSON).")
    args = parser.parse_args()
    if args.report is not None:
        from navigator.answer.answerability import load_model

        model = load_model()
        rows = readings(load_items(args.report))
        report = summarize(rows, probabilities(model, rows), model.threshold, model.english_threshold)
    else:
        rows = readings(load_items(CALIBRATION))
        set_question_prior_out_of_fold(rows)
        held_out = held_out_probabilities(rows)
        # One threshold for English questions, one for the others, each withholding the same share of the answers
        # found: with one for all, other languages' weaker signs put most of the withheld answers there.
        english = [r["lang"] == "en" for r in rows]
        threshold = choose_threshold(*split_rows(rows, held_out, english, want=False), args.withhold)
        english_threshold = choose_threshold(*split_rows(rows, held_out, english, want=True), args.withhold)
        about = (
            f"Fitted by evals/answerability/fit.py on {CALIBRATION.name} ({len(rows)} items); thresholds (English "
            f"questions, other languages): the highest withholding at most {args.withhold:.0%} of the answers found "
            f"in each, scored out of fold (mean of {REPEATS} "
            "dealings of the folds); question_prior stacked: fitted out of fold for these weights, on every item "
            f"for question_weights (ridge {PRIOR_L2})."
        )
        sure = choose_sure_threshold(rows, held_out, args.sure_precision)
        model = as_model(fit_logistic(*matrix(rows), L2), threshold, about)
        prior_weights, prior_bias = fit_question_prior(rows)
        model = replace(
            model,
            sure_threshold=None if sure is None else round(sure, 4),
            english_threshold=round(english_threshold, 4),
            question_weights=tuple(round(float(w), 6) for w in prior_weights),
            question_bias=round(prior_bias, 6),
        )
        MODEL_FILE.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
        report = {
            "cross_validated": summarize(rows, held_out, threshold, english_threshold),
            "weights": dict(zip(FEATURES, model.weights, strict=True)),
            "support_gap": support_gap(rows, args.support_share),  # ExtractiveOptions.max_support_gap
        }
        print(f"model written to {MODEL_FILE}")
    print(json.dumps({k: v for k, v in report.items() if k != "by_kind"}, indent=1))
    if args.write:
        kept = [{k: v for k, v in r.items() if k != "vector"} for r in rows]
        payload = json.dumps({**report, "rows": kept}, indent=1, ensure_ascii=False)
        args.write.write_text(payload + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
