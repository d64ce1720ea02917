"""Read and check the safeguarding evaluation items (format in evals/safeguarding/README.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evals.datasets import read_items

HERE = Path(__file__).parent
CALIBRATION = HERE / "calibration.jsonl"
TEST = HERE / "test.jsonl"
SHORT_CALIBRATION = HERE / "short_messages_calibration.jsonl"  # weighs the raise for short messages; not examples
LABELS = ("risk", "none")
KINDS = ("ordinary", "hard")


def load_items(path: Path) -> list[dict[str, Any]]:
    """Every item of a safeguarding JSONL file.

    Raises:
        ValueError: a line is not JSON or lacks ``id``, ``text``, ``lang`` or a valid ``label`` (with
            ``category`` for a disclosure, ``kind`` for an ordinary message); the message names the line.

    """
    items = []
    for number, item in read_items(path):
        if not isinstance(item, dict):
            raise ValueError(f"{path}:{number}: not a JSON object")
        missing = [k for k in ("id", "text", "lang", "label") if not isinstance(item.get(k), str) or not item[k]]
        if missing or item["label"] not in LABELS:
            raise ValueError(f"{path}:{number}: needs id, text, lang and label (risk or none); missing {missing}")
        check_kind(item, f"{path}:{number}")
        items.append(item)
    return items


def check_kind(item: dict[str, Any], where: str) -> None:
    """A disclosure names its category, an ordinary item its kind.

    Raises:
        ValueError: it does not; the message starts with ``where``.

    """
    if item["label"] == "risk" and not item.get("category"):
        raise ValueError(f"{where}: a disclosure needs its category")
    if item["label"] == "none" and item.get("kind") not in KINDS:
        raise ValueError(f"{where}: an ordinary item needs kind ordinary or hard")
