"""Chat answer quality on an evaluation set, per language and audience, with the decline rules' trade-off.

Runs every item through the chat service in process (extractive composer, no conversation store) and
reports, per language: answered with a citation of the right document whose passage holds the evidence,
answerable questions wrongly declined, unanswerable ones declined, and replies framed in the question's
language. Then the same with each decline rule switched off, and what a plain score threshold on the best
quote would give instead. Writes benchmarks/results/chat_quality.json.

    python benchmarks/chat_quality.py [--dataset ../shared/evals/dev.jsonl]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evals.answers.evaluate import run_chat_eval, summarize_chat  # noqa: E402
from evals.datasets import load_dataset  # noqa: E402
from navigator.answer.answer_types import AnswerTypeChecker  # noqa: E402
from navigator.answer.chat import ChatService  # noqa: E402
from navigator.assembly import build_chat_service, build_searcher  # noqa: E402
from navigator.config import get_settings  # noqa: E402

LANGS = ("en", "ur", "pa", "bn", "ar", "so", "pl", "ro", "ps", "zh", "ckb")


def by(rows: Sequence[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    """The summary of each slice of ``rows``."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(str(row[key]), []).append(row)
    return {name: summarize_chat(group) for name, group in sorted(groups.items())}


def headline(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """English, the other languages together, and everything."""
    return {
        "en": summarize_chat([r for r in rows if r["lang"] == "en"]),
        "other": summarize_chat([r for r in rows if r["lang"] != "en"]),
        "all": summarize_chat(rows),
    }


def threshold_sweep(rows: Sequence[dict[str, Any]]) -> list[dict[str, float]]:
    """Declining every reply whose best quote scores under t, instead of the rules (for comparison)."""
    scored = [r for r in rows if r["evidence_score"] is not None]
    answerable = [r for r in scored if r["answerable"]]
    unanswerable = [r for r in scored if not r["answerable"]]
    out = []
    for t in (0.80, 0.84, 0.86, 0.88, 0.90, 0.92, 0.94):
        out.append({
            "threshold": t,
            "abstention": round(sum(r["evidence_score"] < t for r in unanswerable) / len(unanswerable), 3),
            "false_decline": round(sum(r["evidence_score"] < t for r in answerable) / len(answerable), 3),
        })
    return out


def ablate(service: ChatService, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Headline figures with each decline rule switched off in turn."""
    types, named = service.answer_types, service.named_terms
    variants: dict[str, Callable[[], None]] = {
        "no answer-type check": lambda: setattr(service, "answer_types", AnswerTypeChecker(())),
        "no named-term check": lambda: setattr(service, "named_terms", None),
    }
    out = {}
    for name, switch in variants.items():
        switch()
        out[name] = headline(run_chat_eval(items, service.reply, progress=False))
        service.answer_types, service.named_terms = types, named
    return out


def print_table(title: str, table: dict[str, dict[str, Any]]) -> None:
    print(f"\n{title}")
    print(f"{'slice':<14}{'n':>4}{'right':>8}{'wrong-decl':>11}{'declined':>10}{'lang':>7}")
    for name, m in table.items():
        print(f"{name:<14}{m['items']:>4}{m['answered_right']:>8}{m['false_decline']:>11}{m['abstention']:>10}"
              f"{m['answer_language']:>7}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=ROOT.parent / "shared/evals/dev.jsonl")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/chat_quality.json")
    parser.add_argument("--skip-ablation", action="store_true")
    args = parser.parse_args()

    settings = get_settings()
    searcher = build_searcher(settings)
    service = build_chat_service(settings, searcher, None)
    items = load_dataset(args.dataset)
    rows = run_chat_eval(items, service.reply)
    per_lang = by(rows, "lang")
    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.processor() or ''} {platform.python_version()}".strip(),
        "dataset": str(args.dataset.name),
        "headline": headline(rows),
        "by_lang": {lang: per_lang[lang] for lang in LANGS if lang in per_lang},
        "by_audience": by(rows, "audience"),
        "threshold_sweep": threshold_sweep(rows),
        "ablation": {} if args.skip_ablation else ablate(service, items),
        "declines": [
            {"id": r["id"], "answerable": r["answerable"], "status": r["status"], "notes": r["notes"]}
            for r in rows if r["declined"]
        ],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_table("Headline", result["headline"])
    print_table("By language", result["by_lang"])
    print_table("By audience", result["by_audience"])
    for name, table in result["ablation"].items():
        print_table(f"Ablation: {name}", table)
    print("\nThreshold on the best quote's score instead of the rules:")
    for row in result["threshold_sweep"]:
        t, declined, wrong = row["threshold"], row["abstention"], row["false_decline"]
        print(f"  t={t:.2f}  declined {declined:.3f}  wrongly declined {wrong:.3f}")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
