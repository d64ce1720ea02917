"""Chat answer quality on an evaluation set, per language and audience, with the answerability trade-off.

Runs every item through the chat service in process (extractive composer, no conversation store) and
reports, per language: answered with a citation of the right document whose passage holds the evidence,
answerable questions wrongly declined, unanswerable ones declined, and replies framed in the question's
language. Then the same without the strict rule for facts asked outright, and with every reply answered (no
decline at all), and what other thresholds on the answerability model's probability would give. Writes
benchmarks/results/chat_quality.json.

    python benchmarks/chat_quality.py [--dataset ../shared/evals/dev.jsonl]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evals.answers.evaluate import run_chat_eval, summarize_chat  # noqa: E402
from evals.datasets import load_dataset  # noqa: E402
from navigator.answer.answer_types import AnswerTypeChecker  # noqa: E402
from navigator.answer.answerability import AnswerabilityJudge  # noqa: E402
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
    """Declining every reply whose answerability probability is under t (the strict rule aside)."""
    scored = [r for r in rows if r["evidence_score"] is not None]
    answerable = [r for r in scored if r["answerable"]]
    unanswerable = [r for r in scored if not r["answerable"]]
    out = []
    for t in (0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.40, 0.50):
        out.append({
            "threshold": t,
            "abstention": round(sum(r["evidence_score"] < t for r in unanswerable) / len(unanswerable), 3),
            "false_decline": round(sum(r["evidence_score"] < t for r in answerable) / len(answerable), 3),
        })
    return out


def ablate(service: ChatService, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Headline figures without the strict rule, and with no declining at all."""
    judge, answer_types = service.judge, service.answer_types
    # The service reads the asked-for kinds once per turn (and hands them to the judge): both must go loose.
    loose = AnswerTypeChecker([replace(t, strict=False) for t in answer_types.types])
    variants: dict[str, AnswerabilityJudge] = {
        "no strict rule for facts asked outright": AnswerabilityJudge(judge.model, loose, judge.named_terms),
        "no declining (every reply answered)": AnswerabilityJudge(
            replace(judge.model, threshold=0.0, english_threshold=None), loose, judge.named_terms
        ),
    }
    out = {}
    try:
        service.answer_types = loose
        for name, variant in variants.items():
            service.judge = variant
            out[name] = headline(run_chat_eval(items, service.reply, progress=False))
    finally:
        service.judge, service.answer_types = judge, answer_types
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
    print("\nOther thresholds on the answerability probability:")
    for row in result["threshold_sweep"]:
        t, declined, wrong = row["threshold"], row["abstention"], row["false_decline"]
        print(f"  t={t:.2f}  declined {declined:.3f}  wrongly declined {wrong:.3f}")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
