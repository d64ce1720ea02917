"""The evidence-matching rule of the evaluation sets (shared/evals/README.md), shared by every eval task."""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"\w+")
# An HTML tag as PDF extraction leaves them in table cells ("<br />", "<td>"); not "<https://…>".
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")


def normalize_text(text: str) -> str:
    """Lower-case with HTML tags removed and all whitespace runs collapsed to one space.

    The corpus removes extraction debris such as tags inside table cells, while an item's evidence is quoted
    from the raw extraction, so tags are not part of what must match.
    """
    return " ".join(_TAG.sub(" ", text).lower().split())


def words(text: str) -> list[str]:
    """Lower-case word tokens, ignoring HTML tags, punctuation and table separators."""
    return _WORD.findall(_TAG.sub(" ", text).lower())


def contains_evidence(passage: str, evidence: str, threshold: float = 0.8) -> bool:
    """Whether ``passage`` holds ``evidence``.

    It does as a normalised substring, or when at least ``threshold`` of the evidence's words appear in order
    in the passage (chunk boundaries may cut a quotation).
    """
    if normalize_text(evidence) in normalize_text(passage):
        return True
    needle = words(evidence)
    if not needle:
        return False
    hay = words(passage)
    needed = threshold * len(needle)
    present = set(hay)
    if sum(1 for w in needle if w in present) < needed:
        return False
    return _lcs_length(needle, hay) >= needed


def _lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence of two token lists (rolling one-row DP)."""
    previous = [0] * (len(b) + 1)
    for token in a:
        current = [0]
        for j, other in enumerate(b, 1):
            current.append(previous[j - 1] + 1 if token == other else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def doc_id_of(source: str | None) -> str | None:
    """The corpus document id of a dataset ``source`` file name."""
    return source.removesuffix(".txt") if source else None


def first_hit_rank(passages: Iterable[tuple[str, str]], source: str | None, evidence: str | None) -> int | None:
    """1-based rank of the first (document id, text) passage of the right document that contains the evidence."""
    doc_id = doc_id_of(source)
    if not doc_id or not evidence:
        return None
    for rank, (passage_doc, text) in enumerate(passages, 1):
        if passage_doc == doc_id and contains_evidence(text, evidence):
            return rank
    return None
