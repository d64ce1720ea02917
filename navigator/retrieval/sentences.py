"""Sentence splitting that keeps table rows and list items whole and never breaks "e.g." or "20.5"."""

from __future__ import annotations

import re

# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset("e.g i.e etc vs cf no nos dr mr mrs ms cllr st approx fig para inc ltd dept gov nb".split())
# A terminal mark (Latin, Arabic/Urdu full stop and question mark, CJK) followed by space or end.
_BOUNDARY = re.compile(r"(?<=[.!?۔؟。！？])[\"'”’)\]]*\s+")


def split_sentences(text: str) -> list[str]:
    """Split a section's text into sentences; each line of a table or list is its own unit."""
    sentences: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        start = 0
        for match in _BOUNDARY.finditer(line):
            candidate = line[start : match.start()].rstrip()
            last_word = candidate.rsplit(None, 1)[-1].rstrip(".").lower() if candidate else ""
            following = line[match.end() : match.end() + 1]
            if last_word in _ABBREVIATIONS or (following and following.islower()):
                continue
            sentences.append(line[start : match.end()].strip())
            start = match.end()
        tail = line[start:].strip()
        if tail:
            sentences.append(tail)
    return sentences


def count_words(text: str) -> int:
    """Whitespace-delimited word count (CJK text counts one word per character)."""
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return len(text.split()) + cjk
