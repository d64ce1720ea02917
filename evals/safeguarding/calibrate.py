"""Choose the meaning check's margins on the calibration half only, and show what each choice costs.

    python -m evals.safeguarding.calibrate [--target-false-alarms 0.005] [--write results.json]
    python -m evals.safeguarding.calibrate --dataset evals/safeguarding/test.jsonl --margin M --guarded-margin G \
        --pattern-floor F [--dev ../shared/evals/dev.jsonl] --write results.json   # report, choose nothing

The patterns are fixed; the meaning check adds a message when it is nearer to example disclosures than to
ordinary examples by at least ``margin`` (``guarded_margin`` when a negation or policy cue is present). For each
candidate pair the script counts, on the calibration half, the disclosures caught and the ordinary messages
flagged, and picks the pair with the best recall whose false alarms stay within the target. A word-pattern hit
is then set aside when the message is at least ``pattern_floor`` nearer to ordinary examples; the floor chosen is
the strictest one that sets aside no disclosure of the calibration half.

The calibration half's items are examples too (``--merge-examples`` adds them): each item is then scored in one
of five folds without that fold's examples, so the margins are chosen on scores of unseen messages.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from evals.safeguarding.dataset import CALIBRATION, load_items

EXAMPLES = Path(__file__).resolve().parents[2] / "navigator" / "data" / "safeguarding_exemplars.json"

FOLDS = 5
GRID = [round(float(x), 4) for x in np.arange(-0.02, 0.101, 0.0025)]
FLOOR_GRID = [round(float(x), 4) for x in np.arange(-0.06, 0.0001, 0.0025)]
NO_FLOOR = float("-inf")


def readings(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pattern result, doubt cues and meaning margin of every item, with the configured model."""
    from navigator.assembly import build_safeguarding, embedder
    from navigator.config import get_settings
    from navigator.retrieval.vectors import QueryVectorCache

    settings = get_settings()
    embeddings = embedder(settings)
    detector = build_safeguarding(settings, embeddings)  # its configured margins are not used here
    matcher = detector.matcher
    if matcher is None:
        raise SystemExit("NAVIGATOR_SAFEGUARDING__MEANING is off: there is nothing to calibrate.")
    texts = [" ".join(i["text"].split()) for i in items]
    queries = QueryVectorCache(embeddings, size=len(texts) + 1)  # as the chat turn gets them: vector and clauses
    # Items that are examples too (the calibration half is) are scored in folds, each without its own fold's
    # examples, so that no message is compared with its own copy.
    fold_of = [int(hashlib.sha256(i["id"].encode()).hexdigest(), 16) % FOLDS for i in items]
    folds = [frozenset(t for t, f in zip(texts, fold_of, strict=True) if f == n) for n in range(FOLDS)]
    out = []
    for item, text, fold in tqdm(list(zip(items, texts, fold_of, strict=True)), desc="messages", unit="message"):
        reading = detector.read_patterns(item["text"])
        nearest = matcher.nearest_of(queries.vector(text), queries.clauses(text), leave_out=folds[fold])
        out.append({
            "id": item["id"], "lang": item["lang"], "label": item["label"],
            "group": item.get("category") or item.get("kind"),
            "pattern": reading.hit.category if reading.hit else None,
            "guarded": reading.guarded, "margin": nearest.margin, "nearest": nearest.category,
        })
    return out


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


def flagged(row: dict[str, Any], margin: float, guarded_margin: float, floor: float = NO_FLOOR) -> bool:
    """Whether the detector would flag the item at these margins and pattern floor."""
    if row["pattern"] is not None and row["margin"] >= floor:
        return True
    return row["margin"] >= (guarded_margin if row["guarded"] else margin)


def rates(
    rows: Sequence[dict[str, Any]], margin: float, guarded_margin: float, floor: float = NO_FLOOR
) -> tuple[float, float]:
    """Recall on disclosures and false-alarm rate on ordinary messages."""
    pos = [r for r in rows if r["label"] == "risk"]
    neg = [r for r in rows if r["label"] == "none"]
    recall = sum(flagged(r, margin, guarded_margin, floor) for r in pos) / max(1, len(pos))
    false_alarms = sum(flagged(r, margin, guarded_margin, floor) for r in neg) / max(1, len(neg))
    return recall, false_alarms


def choose_floor(rows: Sequence[dict[str, Any]], margin: float, guarded_margin: float) -> float:
    """The strictest pattern floor that sets aside no disclosure the patterns catch at these margins.

    A floor trades disclosures for quiet; here it may only remove false alarms, never a caught disclosure.
    """
    caught = rates(rows, margin, guarded_margin)[0]
    allowed = [f for f in FLOOR_GRID if rates(rows, margin, guarded_margin, f)[0] >= caught]
    return max(allowed, default=NO_FLOOR)


def choose(rows: Sequence[dict[str, Any]], target: float) -> tuple[float, float]:
    """The pair with the best recall whose false alarms stay within ``target`` (lower margins break ties)."""
    best: tuple[float, float, float] | None = None
    for margin in GRID:
        for guarded in GRID:
            if guarded < margin:
                continue
            recall, false_alarms = rates(rows, margin, guarded)
            if false_alarms <= target and (best is None or recall > best[0]):
                best = (recall, margin, guarded)
    if best is None:
        raise SystemExit("no margin keeps false alarms within the target")
    return best[1], best[2]


def main() -> None:
    """Choose the margins and print what they give, overall and per language."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=CALIBRATION)
    parser.add_argument("--target-false-alarms", type=float, default=0.005)
    parser.add_argument("--margin", type=float, default=None, help="Report these margins instead of choosing.")
    parser.add_argument("--guarded-margin", type=float, default=None)
    parser.add_argument(
        "--pattern-floor", type=float, default=None, help="Report this pattern floor instead of choosing one."
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
        print(f"{added} calibration items added to {EXAMPLES}")
    rows = readings(load_items(args.dataset))
    if args.margin is None:
        margin, guarded = choose(rows, args.target_false_alarms)
    else:
        margin, guarded = args.margin, args.guarded_margin if args.guarded_margin is not None else args.margin
    floor = choose_floor(rows, margin, guarded) if args.pattern_floor is None else args.pattern_floor
    report = summarize(rows, margin, guarded, floor)
    if args.dev:
        questions = [json.loads(line) for line in args.dev.read_text(encoding="utf-8").splitlines() if line.strip()]
        dev_rows = readings([{**q, "text": q["question"], "label": "none", "kind": "ordinary"} for q in questions])
        report["dev_false_alarms"] = rates(dev_rows, margin, guarded, floor)[1]
        report["dev_n"] = len(dev_rows)
    print(json.dumps(report, indent=1))
    if args.write:
        payload = json.dumps({**report, "rows": rows}, indent=1, ensure_ascii=False)
        args.write.write_text(payload + "\n", encoding="utf-8")


def summarize(rows: Sequence[dict[str, Any]], margin: float, guarded: float, floor: float) -> dict[str, Any]:
    """Recall and false alarms at these settings: overall, per language, category and kind; and patterns alone."""
    recall, false_alarms = rates(rows, margin, guarded, floor)
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["group"], []).append(row)

    def share(part: Sequence[dict[str, Any]]) -> float:
        return round(sum(flagged(r, margin, guarded, floor) for r in part) / len(part), 4)

    return {
        "margin": margin,
        "guarded_margin": guarded,
        "pattern_floor": floor,
        "overall": {"recall": recall, "false_alarms": false_alarms},
        "patterns_alone": dict(zip(("recall", "false_alarms"), rates(rows, 9.0, 9.0), strict=True)),
        "by_lang": {
            lang: dict(
                zip(("recall", "false_alarms"), rates([r for r in rows if r["lang"] == lang], margin, guarded, floor),
                    strict=True)
            )
            for lang in sorted({r["lang"] for r in rows})
        },
        "by_category": {g: share(p) for g, p in sorted(groups.items()) if p[0]["label"] == "risk"},
        "by_kind": {g: share(p) for g, p in sorted(groups.items()) if p[0]["label"] == "none"},
    }


if __name__ == "__main__":
    main()
