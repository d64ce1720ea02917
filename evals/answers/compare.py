"""Compare two evaluation runs: which metrics and which items got better or worse."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from evals.answers.evaluate import LOWER_IS_BETTER, METRICS

# Per-item outcomes followed across runs; True is the good outcome, None where it does not apply.
_OUTCOMES: dict[str, Callable[[dict[str, Any]], bool | None]] = {
    "hit@5": lambda r: bool(r["scores"]["hit@5"]) if r["answerable"] else None,
    "answered_right": lambda r: bool(r["scores"]["citation_precision"]) if r["answerable"] else None,
    "declined_unanswerable": lambda r: bool(r["scores"]["abstention"]) if not r["answerable"] else None,
    "language": lambda r: bool(r["scores"]["answer_language"]),
}


def load_run(run_dir: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A run's summary and its rows by item id.

    Raises:
        FileNotFoundError: the folder is not a run (no summary.json or rows.jsonl).

    """
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    with (run_dir / "rows.jsonl").open(encoding="utf-8") as handle:
        rows = {row["id"]: row for row in map(json.loads, handle)}
    return summary, rows


def compare_runs(a: Path, b: Path) -> dict[str, Any]:
    """Metric deltas (overall and per language) and the items whose outcome changed from run A to run B."""
    summary_a, rows_a = load_run(a)
    summary_b, rows_b = load_run(b)

    def deltas(x: Mapping[str, Any], y: Mapping[str, Any]) -> dict[str, Any]:
        out = {}
        for metric in METRICS:
            va, vb = x.get(metric), y.get(metric)
            if va is None or vb is None or va == vb:
                continue
            better = (vb < va) if metric in LOWER_IS_BETTER else (vb > va)
            out[metric] = {"a": va, "b": vb, "delta": round(vb - va, 4), "better": better}
        return out

    items: dict[str, list[dict[str, Any]]] = {"better": [], "worse": []}
    for item_id in sorted(set(rows_a) & set(rows_b)):
        for outcome, read in _OUTCOMES.items():
            before, after = read(rows_a[item_id]), read(rows_b[item_id])
            if before is None or after is None or before == after:
                continue
            entry = {"id": item_id, "lang": rows_b[item_id]["lang"], "outcome": outcome,
                     "question": rows_b[item_id]["question"]}
            items["better" if after else "worse"].append(entry)
    langs = sorted(set(summary_a["by_lang"]) & set(summary_b["by_lang"]))
    return {
        "a": str(a), "b": str(b),
        "overall": deltas(summary_a["overall"], summary_b["overall"]),
        "by_lang": {lang: deltas(summary_a["by_lang"][lang], summary_b["by_lang"][lang]) for lang in langs},
        "items": items,
        "only_in_a": sorted(set(rows_a) - set(rows_b)),
        "only_in_b": sorted(set(rows_b) - set(rows_a)),
    }


def format_comparison(result: Mapping[str, Any]) -> str:
    """The comparison as plain text."""
    lines = [f"A: {result['a']}", f"B: {result['b']}", "", "Overall:"]
    for metric, d in result["overall"].items():
        mark = "better" if d["better"] else "worse"
        lines.append(f"  {metric:<20} {d['a']} -> {d['b']} ({d['delta']:+}) {mark}")
    if not result["overall"]:
        lines.append("  no metric changed")
    for kind in ("worse", "better"):
        entries = result["items"][kind]
        lines.append(f"\nItems {kind} ({len(entries)}):")
        lines.extend(f"  {e['id']} [{e['lang']}] {e['outcome']}: {e['question'][:90]}" for e in entries)
    return "\n".join(lines)
