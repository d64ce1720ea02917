"""Per-item scores and sliced summaries with bootstrap confidence intervals (rules: ../shared/evals/README.md).

An item is scored from what the navigator retrieved (top 10 passages) and what it replied (the API's JSON
reply). Metrics are averaged over the items they apply to: retrieval metrics over answerable items, citation
precision over answered items, abstention over unanswerable items, the rest as noted.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from tqdm import tqdm

from evals.matching import contains_evidence, doc_id_of, first_hit_rank, normalize_text
from navigator.answer.chat import ChatInput, ChatTurn

KS = (1, 3, 5, 10)
DECLINED = frozenset({"not_found", "out_of_scope"})
METRICS = (
    "hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "citation_precision", "keyword_recall",
    "abstention", "false_decline", "answered_with_evidence", "lead_holds_evidence", "duplicate_quotes",
    "answer_language", "latency_p50_ms", "latency_p95_ms",
)
# Metrics where a lower value is better (for comparisons and thresholds).
LOWER_IS_BETTER = frozenset({"false_decline", "duplicate_quotes", "latency_p50_ms", "latency_p95_ms"})
_MARKER = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class Passage:
    """A retrieved or cited passage, as the evaluation sees it."""

    doc_id: str
    text: str


def score_item(
    item: Mapping[str, Any],
    retrieved: Sequence[Passage],
    reply: Mapping[str, Any],
    latency_ms: float,
    reply_language: str | None,
) -> dict[str, Any]:
    """Every score of one item; metrics that do not apply to it are None.

    Args:
        item: the dataset item.
        retrieved: the top passages retrieval returned, best first.
        reply: the chat reply (API JSON: status, answer, citations …).
        latency_ms: time to the complete reply.
        reply_language: the language the reply's framing text is in, as detected.

    """
    answerable = bool(item.get("answerable"))
    status = str(reply.get("status"))
    answered = status == "answered"
    citations = list(reply.get("citations") or [])
    right_doc = doc_id_of(item.get("source"))
    evidence = item.get("evidence")
    scores: dict[str, Any] = {m: None for m in METRICS if not m.startswith("latency")}
    if answerable:
        rank = first_hit_rank([(p.doc_id, p.text) for p in retrieved], item.get("source"), evidence)
        for k in KS:
            scores[f"hit@{k}"] = float(rank is not None and rank <= k)
        scores["mrr@10"] = 1.0 / rank if rank is not None and rank <= 10 else 0.0
        scores["false_decline"] = float(status in DECLINED)
        keywords = list(item.get("keywords") or [])
        if keywords and answered:
            text = str(reply.get("answer", "")).casefold()
            scores["keyword_recall"] = sum(k.casefold() in text for k in keywords) / len(keywords)
    else:
        scores["abstention"] = float(status in DECLINED)
    if answered:
        all_right = bool(citations) and all(c.get("doc_id") == right_doc for c in citations)
        holds = any(
            c.get("doc_id") == right_doc and evidence and contains_evidence(str(c.get("quote", "")), evidence)
            for c in citations
        )
        scores["citation_precision"] = float(answerable and all_right and holds)
    quotes = [str(q.get("text", "")) for q in reply.get("quotes") or []]
    if answerable:
        cited_right = answered and any(
            c.get("doc_id") == right_doc and evidence and contains_evidence(str(c.get("quote", "")), evidence)
            for c in citations
        )
        scores["answered_with_evidence"] = float(bool(cited_right))
        if cited_right and quotes:
            scores["lead_holds_evidence"] = float(quote_holds(quotes[0], str(evidence)))
    if answered and quotes:
        scores["duplicate_quotes"] = float(len({normalize_text(q) for q in quotes}) < len(quotes))
    scores["answer_language"] = float(reply_language == item.get("lang"))
    markers = {int(n) for n in _MARKER.findall(str(reply.get("answer", "")))}
    return {
        "id": item.get("id"),
        "lang": item.get("lang"),
        "audience": item.get("audience"),
        "source": item.get("source") or "(unanswerable)",
        "answerable": answerable,
        "question": item.get("question"),
        "expected_answer": item.get("answer"),
        "evidence": evidence,
        "status": status,
        "safety_line": bool((reply.get("safety_line") or {}).get("text")),
        "answer": reply.get("answer"),
        "reply_language": reply_language,
        "citations": [
            {k: c.get(k) for k in ("n", "doc_id", "title", "section", "url", "quote")} for c in citations
        ],
        "markers_match": markers == {int(c.get("n", -1)) for c in citations},
        "retrieved": [{"doc_id": p.doc_id, "text": p.text[:400]} for p in retrieved[:5]],
        "latency_ms": round(latency_ms, 2),
        "scores": scores,
    }


def quote_holds(quote: str, evidence: str) -> bool:
    """Whether a quoted sentence holds the evidence, or is part of it (evidence often spans several sentences)."""
    sentence = normalize_text(quote).strip(" “”\"")
    return bool(sentence) and (sentence in normalize_text(evidence) or contains_evidence(quote, evidence))


def _mean(values: Sequence[float]) -> float | None:
    return round(float(np.mean(values)), 4) if values else None


def _percentile(values: Sequence[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 2) if values else None


def metric_values(rows: Sequence[Mapping[str, Any]]) -> dict[str, float | None]:
    """Each metric over the rows it applies to (None when it applies to none)."""
    out: dict[str, float | None] = {}
    for metric in METRICS:
        if metric.startswith("latency"):
            continue
        out[metric] = _mean([r["scores"][metric] for r in rows if r["scores"][metric] is not None])
    latencies = [r["latency_ms"] for r in rows]
    out["latency_p50_ms"] = round(statistics.median(latencies), 2) if latencies else None
    out["latency_p95_ms"] = _percentile(latencies, 95)
    return out


def bootstrap_ci(
    rows: Sequence[Mapping[str, Any]], metric: str, resamples: int = 1000, seed: int = 7
) -> tuple[float, float] | None:
    """A 95% percentile-bootstrap interval for a mean metric (resampling the items it applies to)."""
    values = np.array([r["scores"][metric] for r in rows if r["scores"][metric] is not None], dtype=float)
    if values.size == 0:
        return None
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, values.size, size=(resamples, values.size))].mean(axis=1)
    return round(float(np.percentile(means, 2.5)), 4), round(float(np.percentile(means, 97.5)), 4)


def _with_ci(rows: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    values = metric_values(rows)
    values_n: dict[str, Any] = {"n": len(rows), **values}
    ci = {m: bootstrap_ci(rows, m) for m in METRICS if not m.startswith("latency")}
    return values_n, ci


def summarize(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``{"overall", "by_lang", "by_audience", "by_source"}`` of metric values, and the same under "ci95"."""
    summary: dict[str, Any] = {}
    ci: dict[str, Any] = {}
    summary["overall"], ci["overall"] = _with_ci(rows)
    for key, field in (("by_lang", "lang"), ("by_audience", "audience"), ("by_source", "source")):
        groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for row in rows:
            groups[str(row[field])].append(row)
        summary[key], ci[key] = {}, {}
        for name in sorted(groups):
            summary[key][name], ci[key][name] = _with_ci(groups[name])
    summary["ci95"] = ci
    return summary


def parse_thresholds(specs: Sequence[str]) -> dict[str, float]:
    """``["hit@5=0.8", …]`` as a mapping.

    Raises:
        ValueError: a spec is not ``metric=number`` or names an unknown metric.

    """
    out: dict[str, float] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not sep or name.strip() not in METRICS:
            raise ValueError(f"{spec!r}: use metric=value with a metric from {', '.join(METRICS)}")
        out[name.strip()] = float(value)
    return out


def missed_thresholds(overall: Mapping[str, Any], thresholds: Mapping[str, float]) -> list[str]:
    """A line for each threshold the overall figures miss (latency and false_decline must stay under)."""
    missed = []
    for metric, limit in thresholds.items():
        value = overall.get(metric)
        if value is None:
            missed.append(f"{metric}: no items to measure it on (threshold {limit})")
        elif metric in LOWER_IS_BETTER and value > limit:
            missed.append(f"{metric} = {value} is above {limit}")
        elif metric not in LOWER_IS_BETTER and value < limit:
            missed.append(f"{metric} = {value} is below {limit}")
    return missed


# ---- chat turns scored in process (benchmarks/chat_quality.py: each decline rule switched off in turn) ----


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
