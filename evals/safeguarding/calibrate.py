"""Fit the meaning check's probe and choose its margins on the calibration half only, and show what each costs.

    python -m evals.safeguarding.calibrate [--target-added-false-alarms 0.007] [--write results.json]
    python -m evals.safeguarding.calibrate --dataset evals/safeguarding/test.jsonl --margin M --guarded-margin G \
        --pattern-floor F --parts-offset O [--dev ../shared/evals/dev.jsonl] --write results.json  # report

The patterns are fixed. The meaning score of a message adds two signals, each in units of its spread over the
calibration half's ordinary messages: how much nearer it is to its nearest example disclosures than to its
nearest ordinary examples, and its signed distance from a linear boundary (a ridge logistic regression with
balanced classes) fitted on all the examples' vectors. A message is flagged when its score reaches ``margin``
(``guarded_margin`` when a negation or policy cue is present). Choosing (no ``--margin``) fits the boundary,
writes it to navigator/data/safeguarding_probe.json, and picks the pair with the best recall whose false alarms on
the calibration half, beyond those the word patterns raise anyway, stay within the target (look-alikes that trip
a pattern, such as a crisis long past, are the patterns' to mend: no margin removes them). A word-pattern hit is
then set aside when the score is below ``pattern_floor``; the floor chosen is the strictest one that sets aside no
disclosure of the calibration half. Each sentence of a message, and what it says after its opening sentence, is
also scored alone, and the best of them counts lowered by ``parts_offset``, chosen with the margins (the largest
offset among the settings of best recall). The bar for messages under ten words can be raised (``--short-raise``,
default 0); the report gives the largest raise that loses no disclosure caught without it, over the calibration half
and ``short_messages_calibration.jsonl`` (short follow-ups kept out of the examples: as examples they pulled short
disclosures down). It is not applied: on fresh messages even that raise lost a disclosure.

The calibration half's items are examples too (``--merge-examples`` adds them): each item is then scored in one
of five folds, without that fold's examples and with a boundary fitted without them, so the margins are chosen
on scores of unseen messages.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from evals.logistic import balanced_weights, fit_logistic
from evals.safeguarding.dataset import CALIBRATION, SHORT_CALIBRATION, load_items
from navigator.answer.safety import SHORT_WORDS, short_bar
from navigator.answer.safety_semantic import LinearProbe, load_exemplars, load_probe
from navigator.languages.matching import parts_alone, word_count

DATA = Path(__file__).resolve().parents[2] / "navigator" / "data"
EXAMPLES = DATA / "safeguarding_exemplars.json"
PROBE = DATA / "safeguarding_probe.json"

FOLDS = 5
PROBE_L2 = 0.1  # ridge penalty on the boundary's weights (unit-length vectors, a few thousand examples)
GRID = [round(float(x), 2) for x in np.arange(0.0, 8.01, 0.1)]  # scores are in spreads over ordinary messages
FLOOR_GRID = [round(float(x), 2) for x in np.arange(-6.0, 8.001, 0.1)]
GUARD_SPAN = 2.0  # a doubt cue raises the bar by at most this much
OFFSET_GRID = [math.inf, *(round(float(x), 2) for x in np.arange(4.0, -0.01, -0.2))]  # largest first
RAISE_GRID = [round(float(x), 2) for x in np.arange(0.0, 3.01, 0.25)]  # smallest first
NO_FLOOR = float("-inf")


def readings(items: Sequence[dict[str, Any]], out_of_fold: bool) -> tuple[list[dict[str, Any]], LinearProbe | None]:
    """Pattern result, doubt cues and both meaning signals of every item, with the configured model.

    With ``out_of_fold`` (the calibration half, whose items are examples too) each item is scored without its
    fold's examples and by a boundary fitted without them; the boundary fitted on all examples is returned, with
    its scales set from these scores. Otherwise the shipped probe scores the items and ``None`` is returned.
    """
    from navigator.answer.safety import SafeguardingDetector
    from navigator.assembly import embedder, example_matcher
    from navigator.config import get_settings
    from navigator.retrieval.vectors import QueryVectorCache, query_vectors

    settings = get_settings()
    if not settings.safeguarding.meaning:
        raise SystemExit("NAVIGATOR_SAFEGUARDING__MEANING is off: there is nothing to calibrate.")
    embeddings = embedder(settings)
    patterns = SafeguardingDetector()
    matcher = example_matcher(settings, embeddings)  # the neighbours alone: the boundary is scored here
    exemplars = matcher.exemplars
    risk, ordinary = matcher.example_vectors()
    x = np.vstack([risk, ordinary]).astype(np.float64)
    y = np.r_[np.ones(len(risk)), np.zeros(len(ordinary))]
    example_texts = [t for _, _, t in exemplars.risk] + [t for _, t in exemplars.ordinary]
    texts = [" ".join(i["text"].split()) for i in items]
    queries = QueryVectorCache(embeddings, size=len(texts) + 1)  # as the chat turn gets them: vector and clauses
    fold_of = [int(hashlib.sha256(i["id"].encode()).hexdigest(), 16) % FOLDS for i in items]
    folds = [frozenset(t for t, f in zip(texts, fold_of, strict=True) if f == n) for n in range(FOLDS)]
    if out_of_fold:
        boundaries = [
            fit_probe(x[keep], y[keep])
            for keep in (np.array([t not in folds[n] for t in example_texts]) for n in range(FOLDS))
        ]
    else:
        shipped = load_probe()
        boundaries = [(shipped.weights.astype(np.float64), shipped.bias)] * FOLDS
    out = []
    for item, text, fold in tqdm(list(zip(items, texts, fold_of, strict=True)), desc="messages", unit="message"):
        reading = patterns.read_patterns(item["text"])
        vector, clauses = queries.vector(text), queries.clauses(text)
        leave_out = folds[fold] if out_of_fold else frozenset()
        nearest = matcher.nearest_of(vector, clauses, leave_out=leave_out)
        rows = np.vstack([vector, clauses]) if clauses is not None and clauses.size else vector[None, :]
        weights, bias = boundaries[fold]
        parts = parts_alone(text)  # each sentence, and what the message says after its opening, alone
        part_vectors = query_vectors(embeddings, parts) if parts else np.zeros((0, len(vector)), dtype=np.float32)
        told = {
            "told_margins": [matcher.nearest(row, leave_out).margin for row in part_vectors],
            "told_decisions": [float(row @ weights + bias) for row in part_vectors],
        }
        out.append({
            "id": item["id"], "lang": item["lang"], "label": item["label"],
            "group": item.get("category") or item.get("kind"),
            "pattern": reading.hit.category if reading.hit else None, "words": word_count(item["text"]),
            "guarded": reading.guarded, "margin": nearest.margin, "nearest": nearest.category,
            "decision": float(np.max(rows @ weights + bias)), **told,
        })
    if not out_of_fold:
        return scored(out, load_probe()), None
    ordinary_rows = [r for r in out if r["label"] == "none"]
    weights, bias = fit_probe(x, y)
    probe = LinearProbe(
        weights.astype(np.float32), bias, settings.embedding_model, exemplars.digest(),
        spread([r["margin"] for r in ordinary_rows]), spread([r["decision"] for r in ordinary_rows]),
        f"Fitted by evals/safeguarding/calibrate.py on the {len(x)} examples' vectors (ridge {PROBE_L2}, balanced "
        f"classes); scales: mean and spread over the {len(ordinary_rows)} ordinary messages of the calibration "
        "half, scored out of fold.",
    )
    return scored(out, probe), probe


def fit_probe(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """A linear boundary between disclosures (1) and ordinary messages (0): weights and bias."""
    _, _, weights, bias = fit_logistic(x, y, PROBE_L2, sample_weight=balanced_weights(y), standardise=False)
    return weights, bias


def spread(values: Sequence[float]) -> tuple[float, float]:
    """Mean and standard deviation."""
    return float(np.mean(values)), float(np.std(values)) or 1.0


def scored(rows: list[dict[str, Any]], probe: LinearProbe) -> list[dict[str, Any]]:
    """The rows with their meaning scores, the two signals combined as the navigator combines them.

    ``score`` is the whole message's; ``told`` the best of its parts judged alone (None for one sentence).
    """
    def best_part(row: dict[str, Any]) -> float | None:
        pairs = zip(row.get("told_margins", []), row.get("told_decisions", []), strict=True)
        return max((probe.combine(m, d) for m, d in pairs), default=None)

    return [{**r, "score": probe.combine(r["margin"], r["decision"]), "told": best_part(r)} for r in rows]


def effective(row: dict[str, Any], offset: float) -> float:
    """The score the margins judge: the whole message's, or its best part judged alone less ``offset``.

    The pattern floor judges the whole message's score alone: a part alone does not say a pattern hit is sound.
    """
    told = row.get("told")
    score = float(row["score"])
    return score if told is None else max(score, float(told) - offset)


def merge_examples(items: Sequence[dict[str, Any]], path: Path) -> int:
    """Add items to the examples file (disclosures by language and category, the rest as ordinary); returns how many.

    More examples, and harder ordinary ones, separate disclosures from look-alikes better than any threshold can.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    added = 0
    for item in items:
        text = " ".join(item["text"].split())
        if item["label"] == "risk":
            bucket = data["risk"].setdefault(item["lang"], {}).setdefault(item["category"], [])
        else:
            bucket = data["ordinary"].setdefault(item["lang"], [])
        if text not in bucket:
            bucket.append(text)
            added += 1
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return added


def flagged(
    row: dict[str, Any],
    margin: float,
    guarded_margin: float,
    floor: float = NO_FLOOR,
    offset: float = math.inf,
    raise_by: float = 0.0,
) -> bool:
    """Whether the detector would flag the item at these margins, pattern floor, parts' offset and short raise."""
    if row["pattern"] is not None and row["score"] >= floor:
        return True
    bar = (guarded_margin if row["guarded"] else margin) + short_bar(int(row["words"]), raise_by)
    return effective(row, offset) >= bar


def rates(
    rows: Sequence[dict[str, Any]],
    margin: float,
    guarded_margin: float,
    floor: float = NO_FLOOR,
    offset: float = math.inf,
    raise_by: float = 0.0,
) -> tuple[float, float]:
    """Recall on disclosures and false-alarm rate on ordinary messages."""
    pos = [r for r in rows if r["label"] == "risk"]
    neg = [r for r in rows if r["label"] == "none"]
    recall = sum(flagged(r, margin, guarded_margin, floor, offset, raise_by) for r in pos) / max(1, len(pos))
    false_alarms = sum(flagged(r, margin, guarded_margin, floor, offset, raise_by) for r in neg) / max(1, len(neg))
    return recall, false_alarms


def choose_floor(
    rows: Sequence[dict[str, Any]], margin: float, guarded_margin: float, offset: float = math.inf
) -> float:
    """The strictest pattern floor that sets aside no disclosure the patterns catch at these margins.

    A floor trades disclosures for quiet; here it may only remove false alarms, never a caught disclosure. It
    never exceeds ``margin`` (a pattern hit needing more than meaning alone would count for nothing).
    """
    arrays = _arrays(rows, offset)
    return _floor(arrays, _meaning(arrays, margin, guarded_margin), margin)


def choose(rows: Sequence[dict[str, Any]], target: float) -> tuple[float, float, float, float]:
    """The margins, floor and parts' offset with the best recall whose added false alarms stay within ``target``.

    Added false alarms are those of the meaning score alone, beyond the word patterns' hits above the floor. Each
    pair of margins is counted with its own floor (:func:`choose_floor`'s rule), since the floor only removes false
    alarms; larger offsets, then lower margins, break ties.
    """
    best: tuple[float, float, float, float, float] | None = None
    for offset in OFFSET_GRID:
        arrays = _arrays(rows, offset)
        _, whole, pattern, _, risk = arrays
        for margin in GRID:
            for guarded in GRID:
                if guarded < margin or guarded > margin + GUARD_SPAN:
                    continue
                meaning = _meaning(arrays, margin, guarded)
                floor = _floor(arrays, meaning, margin)
                by_pattern = pattern & (whole >= floor)
                flagged_now = meaning | by_pattern
                recall = float(flagged_now[risk].mean()) if risk.any() else 0.0
                added = float((meaning & ~by_pattern)[~risk].mean()) if (~risk).any() else 0.0
                if added <= target and (best is None or recall > best[0]):
                    best = (recall, margin, guarded, floor, offset)
    if best is None:
        raise SystemExit("no margin keeps the added false alarms within the target")
    return best[1], best[2], best[3], best[4]


def choose_raise(
    rows: Sequence[dict[str, Any]], margin: float, guarded_margin: float, floor: float, offset: float
) -> float:
    """The largest raise of the bar for short messages that loses no disclosure caught without it.

    Like the floor, the raise may only remove false alarms ("ok I'll ring them tomorrow"), never a caught disclosure.
    """
    caught = [r for r in rows if r["label"] == "risk" and flagged(r, margin, guarded_margin, floor, offset)]
    chosen = 0.0
    for raise_by in RAISE_GRID:
        if any(not flagged(r, margin, guarded_margin, floor, offset, raise_by) for r in caught):
            break
        chosen = raise_by
    return chosen


# the score the margins judge, the whole message's score (the floor's), pattern hit, guarded, disclosure
Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _arrays(rows: Sequence[dict[str, Any]], offset: float = math.inf) -> Arrays:
    return (
        np.array([effective(r, offset) for r in rows], dtype=np.float64),
        np.array([r["score"] for r in rows], dtype=np.float64),
        np.array([r["pattern"] is not None for r in rows]),
        np.array([bool(r["guarded"]) for r in rows]),
        np.array([r["label"] == "risk" for r in rows]),
    )


def _meaning(arrays: Arrays, margin: float, guarded_margin: float) -> np.ndarray:
    score, _, _, guarded, _ = arrays
    flagged_by_meaning: np.ndarray = score >= np.where(guarded, guarded_margin, margin)
    return flagged_by_meaning


def _floor(arrays: Arrays, meaning: np.ndarray, margin: float) -> float:
    """The highest grid floor at or below the lowest score of a disclosure caught by its pattern alone."""
    _, whole, pattern, _, risk = arrays
    only_patterns = pattern & ~meaning & risk
    limit = min(float(whole[only_patterns].min()) if only_patterns.any() else math.inf, margin)
    return max((f for f in FLOOR_GRID if f <= limit), default=NO_FLOOR)


def main() -> None:
    """Choose the margins and print what they give, overall and per language."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=CALIBRATION)
    parser.add_argument(
        "--target-added-false-alarms",
        type=float,
        default=0.007,
        help="The false-alarm rate the meaning score may add, on the calibration half, to the word patterns' own "
        "(recall first: the margins added 0.67%% under the earlier rule of 1.5%% in all, before the thirteenth and "
        "fourteenth batches brought look-alikes that trip the patterns whatever the margins).",
    )
    parser.add_argument("--margin", type=float, default=None, help="Report these margins instead of choosing.")
    parser.add_argument("--guarded-margin", type=float, default=None)
    parser.add_argument(
        "--pattern-floor", type=float, default=None, help="Report this pattern floor instead of choosing one."
    )
    parser.add_argument(
        "--parts-offset",
        type=float,
        default=None,
        help="Report this offset (inf: the whole message only); default with --margin: inf.",
    )
    parser.add_argument(
        "--short-raise",
        type=float,
        default=0.0,
        help="Raise the bar for messages under ten words by this much (for one word; less in proportion).",
    )
    parser.add_argument("--dev", type=Path, default=None, help="Also count false alarms on this set's questions.")
    parser.add_argument("--write", type=Path, default=None, help="Also write every item's reading here (JSON).")
    parser.add_argument(
        "--merge-examples",
        action="store_true",
        help="First add the dataset's items to navigator/data/safeguarding_exemplars.json (calibration half only).",
    )
    args = parser.parse_args()
    if args.merge_examples:
        if args.dataset.resolve() != CALIBRATION.resolve():
            raise SystemExit("Only the calibration half may become examples; the test half stays unseen.")
        added = merge_examples(load_items(args.dataset), EXAMPLES)
        load_exemplars.cache_clear()
        print(f"{added} calibration items added to {EXAMPLES}")
    rows, probe = readings(load_items(args.dataset), out_of_fold=args.dataset.resolve() == CALIBRATION.resolve())
    short_rows: list[dict[str, Any]] = []
    raise_by = args.short_raise
    if args.margin is None:
        if probe is None:
            raise SystemExit("Margins are chosen on the calibration half only; give --margin to report on this set.")
        PROBE.write_text(json.dumps(probe.to_json(), indent=1) + "\n", encoding="utf-8")
        load_probe.cache_clear()
        print(f"probe written to {PROBE}")
        margin, guarded, floor, offset = choose(rows, args.target_added_false_alarms)
        # The short messages kept for weighing the raise are scored by the boundary just written; as examples they
        # pulled short disclosures down (docs/benchmarks.md, "Short messages").
        short_rows, _ = readings(load_items(SHORT_CALIBRATION), out_of_fold=False)
    else:
        margin, guarded = args.margin, args.guarded_margin if args.guarded_margin is not None else args.margin
        offset = math.inf if args.parts_offset is None else args.parts_offset
        floor = choose_floor(rows, margin, guarded, offset) if args.pattern_floor is None else args.pattern_floor
    report = summarize(rows, margin, guarded, floor, offset, raise_by)
    if short_rows:
        # Not applied: on fresh messages even this raise lost a disclosure (docs/benchmarks.md, "Short messages").
        report["largest_short_raise_losing_no_calibration_disclosure"] = choose_raise(
            [*rows, *short_rows], margin, guarded, floor, offset
        )
        report["short_messages_calibration"] = dict(
            zip(("recall", "false_alarms"), rates(short_rows, margin, guarded, floor, offset, raise_by), strict=True)
        )
    if args.dev:
        questions = [json.loads(line) for line in args.dev.read_text(encoding="utf-8").splitlines() if line.strip()]
        dev_items = [{**q, "text": q["question"], "label": "none", "kind": "ordinary"} for q in questions]
        dev_rows, _ = readings(dev_items, out_of_fold=False)
        report["dev_false_alarms"] = rates(dev_rows, margin, guarded, floor, offset, raise_by)[1]
        report["dev_n"] = len(dev_rows)
    print(json.dumps(report, indent=1))
    if args.write:
        payload = json.dumps({**report, "rows": rows, "short_rows": short_rows}, indent=1, ensure_ascii=False)
        args.write.write_text(payload + "\n", encoding="utf-8")


def summarize(
    rows: Sequence[dict[str, Any]],
    margin: float,
    guarded: float,
    floor: float,
    offset: float = math.inf,
    raise_by: float = 0.0,
) -> dict[str, Any]:
    """Recall and false alarms at these settings: overall, per language, category, kind and for short messages.

    Also the patterns alone.
    """
    recall, false_alarms = rates(rows, margin, guarded, floor, offset, raise_by)
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["group"], []).append(row)

    def share(part: Sequence[dict[str, Any]]) -> float:
        return round(sum(flagged(r, margin, guarded, floor, offset, raise_by) for r in part) / len(part), 4)

    return {
        "margin": margin,
        "guarded_margin": guarded,
        "pattern_floor": floor,
        "parts_offset": offset if math.isfinite(offset) else None,  # None: the whole message only
        "short_raise": raise_by,
        "short_messages": dict(
            zip(
                ("recall", "false_alarms"),
                rates([r for r in rows if r["words"] < SHORT_WORDS], margin, guarded, floor, offset, raise_by),
                strict=True,
            )
        ),
        "overall": {"recall": recall, "false_alarms": false_alarms},
        "patterns_alone": dict(zip(("recall", "false_alarms"), rates(rows, math.inf, math.inf), strict=True)),
        "by_lang": {
            lang: dict(
                zip(
                    ("recall", "false_alarms"),
                    rates([r for r in rows if r["lang"] == lang], margin, guarded, floor, offset, raise_by),
                    strict=True,
                )
            )
            for lang in sorted({r["lang"] for r in rows})
        },
        "by_category": {g: share(p) for g, p in sorted(groups.items()) if p[0]["label"] == "risk"},
        "by_kind": {g: share(p) for g, p in sorted(groups.items()) if p[0]["label"] == "none"},
    }


if __name__ == "__main__":
    main()
