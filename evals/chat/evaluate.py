"""Score chat replies on an evaluation set: right citations, honest declines, reply language, markers."""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Sequence
from typing import Any

from tqdm import tqdm

from evals.matching import contains_evidence
from navigator.answer.chat import ChatInput, ChatTurn

_MARKER = re.compile(r"\[(\d+)\]")
DECLINED = {"not_found", "out_of_scope"}


def score_turn(item: dict[str, Any], turn: ChatTurn) -> dict[str, Any]:
    """One row: the item, what the navigator did, and each score."""
    answer = turn.answer
    markers = {int(n) for n in _MARKER.findall(answer.text)}
    numbers = {c.n for c in answer.citations}
    right_doc = f"{item['source']}".removesuffix(".txt") if item.get("source") else None
    cited_right = bool(
        item["answerable"]
        and any(c.doc_id == right_doc and contains_evidence(c.quote, item["evidence"]) for c in answer.citations)
    )
    all_right_doc = bool(answer.citations) and all(c.doc_id == right_doc for c in answer.citations)
    keywords = item.get("keywords") or []
    found = [k for k in keywords if k.lower() in answer.text.lower()]
    return {
        "id": item["id"],
        "lang": item["lang"],
        "audience": item.get("audience"),
        "answerable": item["answerable"],
        "status": answer.status,
        "reply_language": answer.language,
        "notes": list(answer.notes),
        "answered_right": answer.status == "answered" and cited_right,
        "citation_precision": answer.status == "answered" and cited_right and all_right_doc,
        "declined": answer.status in DECLINED,
        "markers_match": markers == numbers,
        "language_ok": answer.language == item["lang"],
        "keyword_recall": len(found) / len(keywords) if keywords else None,
        "latency_ms": turn.elapsed_ms,
        "evidence_score": answer.evidence_score,
        "question": item["question"],
        "answer": answer.text,
        "citations": [{"n": c.n, "doc_id": c.doc_id, "section": c.section, "quote": c.quote} for c in answer.citations],
    }


def run_chat_eval(
    items: Sequence[dict[str, Any]], reply: Callable[[ChatInput], ChatTurn], progress: bool = True
) -> list[dict[str, Any]]:
    """Every item through the chat service, in a fresh conversation each."""
    rows = []
    for item in tqdm(items, desc="chat", unit="q", disable=not progress):
        turn = reply(ChatInput(item["question"], item["lang"]))
        rows.append(score_turn(item, turn))
    return rows


def summarize_chat(rows: Sequence[dict[str, Any]]) -> dict[str, float | int]:
    """The issue's targets over a set of rows."""
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]

    def share(group: Sequence[dict[str, Any]], key: str) -> float:
        return round(sum(bool(r[key]) for r in group) / len(group), 3) if group else float("nan")

    latencies = sorted(r["latency_ms"] for r in rows)
    return {
        "items": len(rows),
        "answered_right": share(answerable, "answered_right"),
        "citation_precision": share(answerable, "citation_precision"),
        "false_decline": share(answerable, "declined"),
        "abstention": share(unanswerable, "declined"),
        "answer_language": share(rows, "language_ok"),
        "markers_match": share(rows, "markers_match"),
        "latency_p50_ms": round(statistics.median(latencies), 1) if latencies else float("nan"),
    }
