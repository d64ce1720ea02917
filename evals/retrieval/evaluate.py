"""Score retrieval on evaluation sets: hit@1/3/5/10 and MRR@10, overall and per language/audience/document."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals.datasets import load_dataset
from evals.matching import first_hit_rank
from navigator.retrieval.base import ScoredChunk

KS = (1, 3, 5, 10)
SearchFn = Callable[[str, int, str | None], Sequence[ScoredChunk]]


def score_items(items: Sequence[dict[str, Any]], search: SearchFn, progress: bool = True) -> list[dict[str, Any]]:
    """Run every answerable item through ``search`` and record its hit rank and latency."""
    from tqdm import tqdm

    rows = []
    answerable = [i for i in items if i.get("answerable") and i.get("source") and i.get("evidence")]
    for item in tqdm(answerable, desc="retrieval eval", unit="q", disable=not progress):
        started = time.perf_counter()
        results = search(item["question"], max(KS), item.get("lang"))
        elapsed = time.perf_counter() - started
        rank = first_hit_rank([(r.chunk.doc_id, r.chunk.text) for r in results], item["source"], item["evidence"])
        rows.append(
            {
                "id": item["id"],
                "lang": item.get("lang"),
                "audience": item.get("audience"),
                "source": item["source"],
                "question": item["question"],
                "rank": rank,
                "latency_ms": round(elapsed * 1000, 2),
                "top": [{"doc_id": r.chunk.doc_id, "section": r.chunk.section} for r in results[:5]],
            }
        )
    return rows


def summarize(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Metrics overall, for English vs the other languages, and per language, audience and source."""

    def metrics(group: Sequence[dict[str, Any]]) -> dict[str, float]:
        n = len(group)
        out: dict[str, float] = {"n": n}
        for k in KS:
            out[f"hit@{k}"] = round(sum(1 for r in group if r["rank"] and r["rank"] <= k) / n, 4) if n else 0.0
        out["mrr@10"] = round(sum(1 / r["rank"] for r in group if r["rank"] and r["rank"] <= 10) / n, 4) if n else 0.0
        return out

    def sliced(key: str) -> dict[str, dict[str, float]]:
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            groups[str(row[key])].append(row)
        return {name: metrics(group) for name, group in sorted(groups.items())}

    return {
        "overall": metrics(rows),
        "english": metrics([r for r in rows if r["lang"] == "en"]),
        "other_languages": metrics([r for r in rows if r["lang"] != "en"]),
        "by_lang": sliced("lang"),
        "by_audience": sliced("audience"),
        "by_source": sliced("source"),
    }


def run_retrieval_eval(
    searcher: Any, datasets: Sequence[Path], out_dir: Path, settings: Any
) -> tuple[dict[str, Any], Path]:
    """Evaluate a ``Searcher`` and write config, rows and summary to a timestamped folder under ``out_dir``."""
    items = [item for path in datasets for item in load_dataset(path)]
    rows = score_items(items, searcher.search)
    summary = summarize(rows)
    summary["datasets"] = [str(p) for p in datasets]
    run_dir = out_dir / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.json").write_text(
        json.dumps({"settings": json.loads(settings.model_dump_json()), "index": asdict(searcher.index.manifest)},
                   indent=2), encoding="utf-8")
    with (run_dir / "rows.jsonl").open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary, run_dir


def format_table(summary: dict[str, Any]) -> str:
    """A plain-text table of the summary's slices."""
    header = f"{'slice':<58} {'n':>4} {'hit@1':>6} {'hit@3':>6} {'hit@5':>6} {'hit@10':>6} {'mrr@10':>6}"
    lines = [header, "-" * len(header)]

    def line(name: str, m: dict[str, float]) -> str:
        return (f"{name[:58]:<58} {int(m['n']):>4} {m['hit@1']:>6.3f} {m['hit@3']:>6.3f} {m['hit@5']:>6.3f} "
                f"{m['hit@10']:>6.3f} {m['mrr@10']:>6.3f}")

    for name in ("overall", "english", "other_languages"):
        lines.append(line(name, summary[name]))
    for key in ("by_lang", "by_audience", "by_source"):
        lines.append("")
        lines.extend(line(f"{key[3:]}={name}", m) for name, m in summary[key].items())
    return "\n".join(lines)
