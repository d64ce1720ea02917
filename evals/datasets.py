"""Evaluation sets: load, validate every item against the corpus, and append new items safely."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.matching import contains_evidence, normalize_text
from navigator.corpus.documents import Document

LANGS = frozenset({"en", "ur", "pa", "bn", "ar", "so", "pl", "ro", "ps", "zh", "ckb"})
AUDIENCES = frozenset({"parent", "practitioner", "staff"})
REQUIRED = ("id", "question", "lang", "audience", "answerable", "answer", "source", "evidence", "keywords")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one item."""

    line: int
    item_id: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line} ({self.item_id}): {self.message}"


def read_items(path: Path) -> list[tuple[int, Any]]:
    """(line number, parsed JSON or the raw text when it is not JSON) for every non-blank line."""
    out: list[tuple[int, Any]] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                out.append((number, json.loads(line)))
            except json.JSONDecodeError:
                out.append((number, line.rstrip("\n")))
    return out


def load_dataset(path: Path) -> list[dict[str, Any]]:
    """Every item of a JSONL evaluation set, in order: the one reader the evaluations share.

    Raises:
        ValueError: a line is not a JSON object (the message names the file and line).

    """
    items = []
    for line, item in read_items(path):
        if not isinstance(item, dict):
            raise ValueError(f"{path}:{line}: not a JSON object")
        items.append(item)
    return items


def document_texts(documents: Iterable[Document]) -> dict[str, str]:
    """Each corpus document's full text (headings and sections), keyed by the dataset's ``source`` name."""
    return {
        f"{d.id}.txt": "\n".join(f"{' > '.join(s.heading_path)}\n{s.text}" for s in d.sections) for d in documents
    }


def check_item(item: Any, line: int, texts: Mapping[str, str], seen: set[str]) -> list[Problem]:
    """Problems of one item (none when it is valid)."""
    if not isinstance(item, dict):
        return [Problem(line, "?", "not a JSON object")]
    item_id = str(item.get("id", "?"))
    problems = [Problem(line, item_id, f"missing field {f!r}") for f in REQUIRED if f not in item]
    if problems:
        return problems

    def bad(message: str) -> None:
        problems.append(Problem(line, item_id, message))

    if item_id in seen:
        bad("duplicate id")
    seen.add(item_id)
    if not str(item["question"]).strip():
        bad("empty question")
    if item["lang"] not in LANGS:
        bad(f"unknown lang {item['lang']!r} (use one of {', '.join(sorted(LANGS))})")
    if item["audience"] not in AUDIENCES:
        bad(f"unknown audience {item['audience']!r}")
    if not isinstance(item["answerable"], bool):
        bad("answerable must be true or false")
    if not isinstance(item["keywords"], list) or not all(isinstance(k, str) for k in item["keywords"]):
        bad("keywords must be a list of strings")
    if item["answerable"] is True:
        source, evidence = item["source"], item["evidence"]
        if not source or source not in texts:
            bad(f"source {source!r} is not a corpus document (known: {', '.join(sorted(texts)) or 'none'})")
        elif not evidence or not str(evidence).strip():
            bad("answerable items need evidence")
        elif normalize_text(str(evidence)) not in normalize_text(texts[source]) and not contains_evidence(
            texts[source], str(evidence)
        ):
            bad(f"evidence not found in {source}")
    elif item["answerable"] is False and (item["source"] or item["evidence"]):
        bad("unanswerable items have source and evidence null")
    return problems


def validate_dataset(path: Path, documents: Sequence[Document]) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The valid items of a dataset, and a problem for each bad one."""
    texts = document_texts(documents)
    seen: set[str] = set()
    items, problems = [], []
    for line, item in read_items(path):
        found = check_item(item, line, texts, seen)
        if found:
            problems.extend(found)
        else:
            items.append(item)
    return items, problems


def append_item(path: Path, item: dict[str, Any], documents: Sequence[Document]) -> None:
    """Validate ``item`` (against the corpus and the ids already in ``path``) and append it as one line.

    Raises:
        ValueError: the item is invalid; the message lists every problem.

    """
    texts = document_texts(documents)
    seen = {str(i.get("id")) for _, i in read_items(path) if isinstance(i, dict)} if path.exists() else set()
    problems = check_item(item, 0, texts, seen)
    if problems:
        raise ValueError("; ".join(p.message for p in problems))
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix = ""
    if path.exists() and path.stat().st_size and not path.read_bytes().endswith(b"\n"):
        prefix = "\n"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(prefix + json.dumps(item, ensure_ascii=False) + "\n")


def feedback_drafts(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Draft eval items from "not useful" feedback, for a reviewer to complete (answer, source, evidence)."""
    drafts: list[dict[str, Any]] = []
    for row in rows:
        if row.get("useful"):
            continue
        cited = [c.get("doc_id") for c in row.get("citations") or []]
        drafts.append({
            "id": f"feedback-{row.get('id')}",
            "question": row.get("question"),
            "lang": row.get("language"),
            "audience": "parent",
            "answerable": None,
            "answer": None,
            "source": None,
            "evidence": None,
            "keywords": [],
            "review_note": (
                f"Marked not useful. Reply status {row.get('status')}; cited {', '.join(map(str, cited)) or 'nothing'}."
                + (f" Comment: {row['comment']}" if row.get("comment") else "")
                + " Fill in answerable/answer/source/evidence, then add it with `navigator eval add`."
            ),
        })
    return drafts
