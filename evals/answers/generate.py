"""Run evaluation items through the navigator (in process, or against a running server) and write a run folder."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
from tqdm import tqdm

from evals.answers.evaluate import Passage, score_item, summarize

Outcome = tuple[list[Passage], dict[str, Any], float]  # retrieved passages, chat reply JSON, latency in ms


class Target(Protocol):
    """Something that answers an evaluation item: the navigator in process or over HTTP."""

    description: dict[str, Any]

    def run(self, question: str, lang: str | None) -> Outcome:
        """Retrieve the top 10 passages and get the chat reply for ``question``."""
        ...

    def chat(self, message: str, lang: str | None) -> dict[str, Any]:
        """Only the chat reply's JSON (for the safeguarding set)."""
        ...


class InProcessTarget:
    """The configured index and chat service, loaded in this process (nothing is stored)."""

    def __init__(self, settings: Any) -> None:
        from navigator.assembly import build_chat_service, build_searcher

        self.searcher = build_searcher(settings)
        self.service = build_chat_service(settings, self.searcher, None)
        self.description = {
            "target": "in-process",
            "settings": json.loads(settings.model_dump_json(exclude={"llm": {"api_key"}})),
            "index": asdict(self.searcher.index.manifest),
        }

    def run(self, question: str, lang: str | None) -> Outcome:
        """Chat, then search, as the API would (chat first, so its latency includes embedding the question)."""
        from navigator.answer.chat import ChatInput
        from navigator.api.schemas import ChatResponse

        started = time.perf_counter()
        turn = self.service.reply(ChatInput(question, lang))
        latency = (time.perf_counter() - started) * 1000
        retrieved = [Passage(r.chunk.doc_id, r.chunk.text) for r in self.searcher.search(question, 10, None)]
        return retrieved, ChatResponse.from_turn(turn).model_dump(), latency

    def chat(self, message: str, lang: str | None) -> dict[str, Any]:
        """The chat reply's JSON, as the API would send it."""
        from navigator.answer.chat import ChatInput
        from navigator.api.schemas import ChatResponse

        return ChatResponse.from_turn(self.service.reply(ChatInput(message, lang))).model_dump()


class ApiTarget:
    """A running navigator server, reached over HTTP."""

    def __init__(self, base_url: str, timeout: float = 60.0, client: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client or httpx.Client(timeout=timeout)
        health = self.client.get(f"{self.base_url}/healthz")
        health.raise_for_status()
        self.description = {"target": self.base_url, "health": health.json()}

    def run(self, question: str, lang: str | None) -> Outcome:
        """Time POST /api/chat, then POST /api/search for the retrieval metrics."""
        started = time.perf_counter()
        reply = self.client.post(f"{self.base_url}/api/chat", json={"message": question, "language": lang})
        latency = (time.perf_counter() - started) * 1000
        reply.raise_for_status()
        found = self.client.post(f"{self.base_url}/api/search", json={"query": question, "k": 10})
        found.raise_for_status()
        retrieved = [Passage(r["doc_id"], r["text"]) for r in found.json()["results"]]
        return retrieved, reply.json(), latency

    def chat(self, message: str, lang: str | None) -> dict[str, Any]:
        """POST /api/chat; a failed request is a reply with status ``error``."""
        try:
            reply = self.client.post(f"{self.base_url}/api/chat", json={"message": message, "language": lang})
            reply.raise_for_status()
        except httpx.HTTPError as exc:
            return {"status": "error", "answer": str(exc)}
        result: dict[str, Any] = reply.json()
        return result


def framing_language(answer: str, detect: Callable[[str], str]) -> str | None:
    """The language of the reply's own words: its first line (quotes from English documents follow it)."""
    first = next((line for line in answer.splitlines() if line.strip()), "")
    return detect(first) if first else None


def run_items(
    items: Sequence[dict[str, Any]],
    target: Target,
    detect: Callable[[str], str],
    *,
    give_language: bool = False,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Score every item; a failed request is scored as a failed reply, not dropped."""
    rows = []
    for item in tqdm(items, desc="eval", unit="item", disable=not progress):
        lang = item.get("lang") if give_language else None
        try:
            retrieved, reply, latency = target.run(item["question"], lang)
        except httpx.HTTPError as exc:
            retrieved, reply, latency = [], {"status": "error", "answer": str(exc), "citations": []}, 0.0
        language = framing_language(str(reply.get("answer", "")), detect)
        rows.append(score_item(item, retrieved, reply, latency, language))
    return rows


def write_run(
    out_dir: Path,
    rows: Sequence[dict[str, Any]],
    config: dict[str, Any],
    safeguarding_rows: Sequence[dict[str, Any]] | None = None,
) -> tuple[Path, dict[str, Any]]:
    """A timestamped folder: config.json, rows.jsonl, summary.json and report.html (and safeguarding.jsonl)."""
    from evals.answers.report import render_report
    from evals.safeguarding.evaluate import summarize_safeguarding

    summary = summarize(rows)
    if safeguarding_rows is not None:
        summary["safeguarding"] = summarize_safeguarding(safeguarding_rows, rows)
    run_dir = out_dir / datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    run_dir.mkdir(parents=True, exist_ok=False)
    (run_dir / "config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    with (run_dir / "rows.jsonl").open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    if safeguarding_rows is not None:
        with (run_dir / "safeguarding.jsonl").open("w", encoding="utf-8") as handle:
            for row in safeguarding_rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    report = render_report(summary, rows, config, safeguarding_rows or ())
    (run_dir / "report.html").write_text(report, encoding="utf-8")
    return run_dir, summary
