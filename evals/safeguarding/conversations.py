"""Whether a risk that a conversation tells across its messages is signposted, and what reading them together costs.

    python -m evals.safeguarding.conversations                        # choose the context offset (calibration half)
    python -m evals.safeguarding.conversations --dataset evals/safeguarding/conversations_test.jsonl \
        --context-offset X [--write results.json]                      # report at an offset
    python -m evals.safeguarding.conversations --chat --dataset ...   # through the chat service, as families get it

The messages of each conversation are judged as a chat turn judges them: each message alone (word patterns, its
meaning, its sentences alone), and each message after the first also joined with the ones before it
(``SafeguardingDetector.detect_in_context``), its meaning score lowered by the context offset. A conversation that
tells of a risk is caught when any of its turns is flagged; one that does not is a false alarm when any is.

Choosing: the largest recall whose false alarms, beyond those of the messages alone, stay within the target over
the calibration half's ordinary conversations together with pairs of ordinary messages (two messages of one
language from the single-message calibration half and the answerability set's calibration half, one after the
other): written conversations are few, and unrelated questions in a row are what most conversations hold. Of the
offsets with that recall, the largest is kept. Nothing here reads the test half unless it is given to --dataset.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from evals.datasets import read_items
from evals.safeguarding.dataset import CALIBRATION, HERE, KINDS, LABELS, load_items

CONVERSATIONS_CALIBRATION = HERE / "conversations_calibration.jsonl"
CONVERSATIONS_TEST = HERE / "conversations_test.jsonl"
ANSWERABILITY_CALIBRATION = HERE.parent / "answerability" / "calibration.jsonl"
OFFSET_GRID = [math.inf, *(round(float(x), 2) for x in np.arange(4.0, -1.01, -0.2))]  # largest first
PAIRS = 600  # pairs of ordinary messages, as conversations of two turns
SEED = 7


def load_conversations(path: Path) -> list[dict[str, Any]]:
    """Every conversation of a JSONL file (``id``, ``turns``, ``lang``, ``label``, ``category`` or ``kind``).

    Raises:
        ValueError: a line is not a JSON object or breaks the format; the message names the line.

    """
    conversations = []
    for number, item in read_items(path):
        if not isinstance(item, dict):
            raise ValueError(f"{path}:{number}: not a JSON object")
        turns = item.get("turns")
        if not isinstance(turns, list) or len(turns) < 2 or not all(isinstance(t, str) and t.strip() for t in turns):
            raise ValueError(f"{path}:{number}: needs turns, a list of two or more messages")
        if not all(isinstance(item.get(k), str) and item[k] for k in ("id", "lang")) or item.get("label") not in LABELS:
            raise ValueError(f"{path}:{number}: needs id, lang and label (risk or none)")
        if item["label"] == "risk" and not item.get("category"):
            raise ValueError(f"{path}:{number}: a conversation telling of a risk needs its category")
        if item["label"] == "none" and item.get("kind") not in KINDS:
            raise ValueError(f"{path}:{number}: an ordinary conversation needs kind ordinary or hard")
        conversations.append(item)
    return conversations


def ordinary_pairs(count: int = PAIRS, seed: int = SEED) -> list[dict[str, Any]]:
    """Conversations of two ordinary messages of one language, drawn from the calibration halves only."""
    by_lang: dict[str, list[str]] = {}
    for item in load_items(CALIBRATION):
        if item["label"] == "none":
            by_lang.setdefault(item["lang"], []).append(item["text"])
    for _, item in read_items(ANSWERABILITY_CALIBRATION):
        by_lang.setdefault(item["lang"], []).append(item["question"])
    rng = random.Random(seed)
    langs = sorted(by_lang)
    pairs = []
    for n in range(count):
        lang = langs[n % len(langs)]
        first, second = rng.sample(by_lang[lang], 2)
        pairs.append({"id": f"pair-{n}", "turns": [first, second], "lang": lang, "label": "none", "kind": "pair"})
    return pairs


def readings(conversations: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per conversation and turn: whether the message alone is flagged, and the joined text's meaning score."""
    from navigator.answer.chat import ChatOptions, conversation_text
    from navigator.assembly import build_safeguarding, build_searcher
    from navigator.config import get_settings

    settings = get_settings()
    searcher = build_searcher(settings)
    detector = build_safeguarding(settings, searcher.queries.embeddings)
    if detector.matcher is None:
        raise SystemExit("the meaning check is off (see the log): nothing to choose")
    turns_kept = ChatOptions(history_turns=settings.history_turns).history_turns
    rows = []
    for conversation in tqdm(conversations, desc="conversations", unit="conversation", mininterval=5):
        lang, messages = conversation["lang"], [" ".join(t.split()) for t in conversation["turns"]]
        alone, context, guarded = [], [], []
        for k, message in enumerate(messages):
            said = searcher.prepare(message, lang)
            parts = said.parts_alone() if detector.reads_parts else None
            alone.append(detector.detect(message, said.vector, said.clauses, parts) is not None)
            if k == 0:
                continue
            joined = conversation_text(messages[:k], message, turns_kept, searcher.max_query_chars)
            together = searcher.prepare(joined, lang)
            context.append(detector.matcher.nearest_of(together.vector, together.clauses).score)
            guarded.append(detector.read_patterns(joined).guarded)
        rows.append(
            {
                "id": conversation["id"],
                "lang": lang,
                "label": conversation["label"],
                "group": conversation.get("category") or conversation.get("kind"),
                "alone": alone,
                "context": context,
                "guarded": guarded,
            }
        )
    return rows


def flagged(row: dict[str, Any], margin: float, guarded_margin: float, offset: float) -> bool:
    """Whether any turn of the conversation is flagged, alone or read with the messages before it."""
    if any(row["alone"]):
        return True
    return any(
        score - offset >= (guarded_margin if guarded else margin)
        for score, guarded in zip(row["context"], row["guarded"], strict=True)
    )


def rates(rows: Sequence[dict[str, Any]], margin: float, guarded_margin: float, offset: float) -> dict[str, Any]:
    """Recall over risky conversations, false alarms over the others (None for a group with none)."""
    risk = [r for r in rows if r["label"] == "risk"]
    none = [r for r in rows if r["label"] == "none"]

    def share(part: Sequence[dict[str, Any]]) -> float | None:
        return round(sum(flagged(r, margin, guarded_margin, offset) for r in part) / len(part), 4) if part else None

    return {"recall": share(risk), "false_alarms": share(none), "risk": len(risk), "none": len(none)}


def choose(rows: Sequence[dict[str, Any]], margin: float, guarded_margin: float, target: float) -> float:
    """The offset of best recall whose added false alarms over ordinary conversations stay within ``target``."""
    ordinary = [r for r in rows if r["label"] == "none"]
    base = sum(flagged(r, margin, guarded_margin, math.inf) for r in ordinary)
    best, best_recall = math.inf, rates(rows, margin, guarded_margin, math.inf)["recall"] or 0.0
    for offset in OFFSET_GRID[1:]:
        added = sum(flagged(r, margin, guarded_margin, offset) for r in ordinary) - base
        recall = rates(rows, margin, guarded_margin, offset)["recall"] or 0.0
        if added / len(ordinary) <= target and recall > best_recall:
            best, best_recall = offset, recall
    return best


def summarize(rows: Sequence[dict[str, Any]], margin: float, guarded_margin: float, offset: float) -> dict[str, Any]:
    """Figures at an offset and with each message judged alone, overall, per language and per kind."""

    def at(part: Sequence[dict[str, Any]]) -> dict[str, Any]:
        return {
            "context": rates(part, margin, guarded_margin, offset),
            "messages_alone": rates(part, margin, guarded_margin, math.inf),
        }

    return {
        "context_offset": offset if math.isfinite(offset) else None,
        "overall": at(rows),
        "by_lang": {lang: at([r for r in rows if r["lang"] == lang]) for lang in sorted({r["lang"] for r in rows})},
        "by_group": {g: at([r for r in rows if r["group"] == g]) for g in sorted({r["group"] for r in rows})},
    }


def through_chat(conversations: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Each conversation through the chat service with a temporary store: statuses per turn, and the rates."""
    from navigator.answer.chat import ChatInput
    from navigator.answer.redaction import redact_personal_data
    from navigator.assembly import build_chat_service, build_searcher
    from navigator.config import get_settings
    from navigator.storage.conversations import ConversationStore

    settings = get_settings()
    with tempfile.TemporaryDirectory() as folder:
        store = ConversationStore(Path(folder) / "conversations.db", retention_days=1, redact=redact_personal_data)
        service = build_chat_service(settings, build_searcher(settings), store)
        out = []
        for conversation in tqdm(conversations, desc="conversations", unit="conversation", mininterval=5):
            conversation_id, statuses, notes = None, [], []
            for message in conversation["turns"]:
                turn = service.reply(ChatInput(message, conversation["lang"], conversation_id))
                conversation_id = turn.conversation_id
                statuses.append(turn.answer.status)
                notes.append("safeguarding_context" in turn.answer.notes)
            out.append(
                {
                    "id": conversation["id"],
                    "lang": conversation["lang"],
                    "label": conversation["label"],
                    "statuses": statuses,
                    "by_context": notes,
                }
            )
    risk = [r for r in out if r["label"] == "risk"]
    none = [r for r in out if r["label"] == "none"]

    def caught(row: dict[str, Any]) -> bool:
        return "safeguarding" in row["statuses"]

    return {
        "recall": round(sum(map(caught, risk)) / len(risk), 4) if risk else None,
        "false_alarms": round(sum(map(caught, none)) / len(none), 4) if none else None,
        "caught_by_context": sum(any(r["by_context"]) for r in risk),
        "false_alarms_by_context": sum(any(r["by_context"]) for r in none),
        "rows": out,
    }


def main() -> None:
    """Choose the context offset on the calibration half, or report one on a set."""
    from navigator.config import get_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=CONVERSATIONS_CALIBRATION)
    parser.add_argument("--context-offset", type=float, default=None, help="Report this offset instead of choosing.")
    parser.add_argument(
        "--target-added-false-alarms",
        type=float,
        default=0.007,
        help="The share of ordinary conversations that reading messages together may newly flag (as the meaning "
        "score's own rule in calibrate.py).",
    )
    parser.add_argument("--chat", action="store_true", help="Run each conversation through the chat service.")
    parser.add_argument("--write", type=Path, default=None, help="Also write every conversation's reading here.")
    args = parser.parse_args()
    conversations = load_conversations(args.dataset)
    if args.chat:
        report = through_chat(conversations)
        print(json.dumps({k: v for k, v in report.items() if k != "rows"}, indent=1))
    else:
        options = get_settings().safeguarding
        choosing = args.context_offset is None
        if choosing and args.dataset.resolve() != CONVERSATIONS_CALIBRATION.resolve():
            raise SystemExit("The offset is chosen on the calibration half only; give --context-offset to report.")
        rows = readings([*conversations, *(ordinary_pairs() if choosing else [])])
        offset = (
            choose(rows, options.margin, options.guarded_margin, args.target_added_false_alarms)
            if choosing
            else args.context_offset
        )
        report = summarize(rows, options.margin, options.guarded_margin, offset)
        report["rows"] = rows
        print(json.dumps({k: v for k, v in report.items() if k not in ("rows", "by_group")}, indent=1))
        print(json.dumps(report["by_group"], indent=1))
    if args.write:
        args.write.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
