"""The answerability set's halves, read with the shared reader (same form as the dev set, plus ``kind``)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.datasets import load_dataset

HERE = Path(__file__).parent
CALIBRATION = HERE / "calibration.jsonl"
TEST = HERE / "test.jsonl"


def load_items(path: Path) -> list[dict[str, Any]]:
    """Every item of an evaluation set (this one's halves, or the dev set for a report)."""
    return load_dataset(path)


def split(items: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Calibration and test halves, with the same mix of languages and labels.

    Within each language and label, items are ordered by a hash of their id and dealt alternately, so an item's
    half never depends on any item's text.
    """
    groups: dict[tuple[str, bool], list[dict[str, Any]]] = {}
    for item in items:
        groups.setdefault((item["lang"], bool(item["answerable"])), []).append(item)
    calibration: list[dict[str, Any]] = []
    test: list[dict[str, Any]] = []
    for key in sorted(groups):
        ordered = sorted(groups[key], key=lambda i: hashlib.sha256(str(i["id"]).encode()).hexdigest())
        for position, item in enumerate(ordered):
            (calibration if position % 2 == 0 else test).append(item)
    return calibration, test
