"""Whether a risk that a conversation tells across several messages is signposted, as families get it.

    python -m evals.safeguarding.conversations [--dataset evals/safeguarding/conversations_test.jsonl] [--write FILE]

Each conversation goes through the chat service, message by message in one conversation (a temporary store holds
its history), exactly as the widget sends it. A conversation that tells of a risk is caught when any of its replies
opens with the safeguarding signposting: the family has then been shown where help is. One that does not is a
false alarm when any reply does; for the hard ones, whose first message sounds alarming and whose later messages
show there is no present risk ("it was years ago", "it's a line from a film"), the report also counts the replies
to those later messages that still signpost. Nothing is fitted on these sets.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from evals.datasets import read_items
from evals.safeguarding.dataset import HERE, LABELS, check_kind

CONVERSATIONS_CALIBRATION = HERE / "conversations_calibration.jsonl"
CONVERSATIONS_TEST = HERE / "conversations_test.jsonl"


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
        check_kind(item, f"{path}:{number}")
        conversations.append(item)
    return conversations


def through_chat(conversations: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each conversation through the chat service with a temporary store: each reply's status, in order."""
    from navigator.answer.chat import ChatInput
    from navigator.assembly import build_chat_service, build_searcher, open_store
    from navigator.config import get_settings

    settings = get_settings()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        # The server's own store (the same redaction and limits), in a folder of its own.
        store = open_store(settings.model_copy(update={"database_path": Path(folder) / "conversations.db"}))
        try:
            service = build_chat_service(settings, build_searcher(settings), store)
            for conversation in tqdm(conversations, desc="conversations", unit="conversation", mininterval=5):
                conversation_id, statuses = None, []
                for message in conversation["turns"]:
                    turn = service.reply(ChatInput(message, conversation["lang"], conversation_id))
                    conversation_id = turn.conversation_id
                    statuses.append(turn.answer.status)
                rows.append(
                    {
                        "id": conversation["id"],
                        "lang": conversation["lang"],
                        "label": conversation["label"],
                        "group": conversation.get("category") or conversation.get("kind"),
                        "statuses": statuses,
                    }
                )
        finally:
            store.close()
    return rows


def signposted(row: dict[str, Any]) -> list[bool]:
    """Whether each reply of the conversation opened with the safeguarding signposting."""
    return [status == "safeguarding" for status in row["statuses"]]


def rates(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Caught risks, false alarms, and later replies that still signpost after a hard look-alike resolved itself."""
    risk = [r for r in rows if r["label"] == "risk"]
    none = [r for r in rows if r["label"] == "none"]
    hard = [r for r in none if r["group"] == "hard"]
    first = [signposted(r).index(True) + 1 for r in risk if any(signposted(r))]

    def share(part: Sequence[dict[str, Any]], test: Any) -> float | None:
        return round(sum(bool(test(r)) for r in part) / len(part), 4) if part else None

    later = [flag for r in hard for flag in signposted(r)[1:]]
    return {
        "risk": len(risk),
        "caught": share(risk, lambda r: any(signposted(r))),
        "caught_by_first_message": share(risk, lambda r: signposted(r)[0]),
        "first_signposted_reply": {str(n): first.count(n) for n in sorted(set(first))},
        "none": len(none),
        "false_alarms": share(none, lambda r: any(signposted(r))),
        "hard": len(hard),
        "hard_later_replies_signposted": round(sum(later) / len(later), 4) if later else None,
    }


def summarize(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The rates overall, per language and per category or kind."""
    return {
        "overall": rates(rows),
        "by_lang": {lang: rates([r for r in rows if r["lang"] == lang]) for lang in sorted({r["lang"] for r in rows})},
        "by_group": {g: rates([r for r in rows if r["group"] == g]) for g in sorted({r["group"] for r in rows})},
    }


def main() -> None:
    """Run a set of conversations through the chat service and print what families would have been shown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, action="append", help="A conversations file (repeatable).")
    parser.add_argument("--write", type=Path, default=None, help="Also write every conversation's statuses here.")
    args = parser.parse_args()
    paths = args.dataset or [CONVERSATIONS_CALIBRATION, CONVERSATIONS_TEST]
    rows = through_chat([c for path in paths for c in load_conversations(path)])
    report = summarize(rows)
    print(json.dumps({"datasets": [str(p) for p in paths], **report}, indent=1))
    if args.write:
        payload = json.dumps({**report, "rows": rows}, indent=1, ensure_ascii=False)
        args.write.write_text(payload + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
