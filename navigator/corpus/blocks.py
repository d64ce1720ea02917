"""Tell body text (prose, lists, tables) from title-like labels in cleaned text, for cleaning and sectioning alike."""

from __future__ import annotations

import re

from navigator.corpus.tables import is_table_row

TERMINAL = ".!?:;"
CLOSERS = "\"'”’)]»"
STOPWORDS = frozenset("a an and the of in on for to with by at from or as vs via per into".split())

_LIST_ITEM = re.compile(r"^\s*(?:[-*•]\s|\(?\d{1,2}[.)]\s|\(?[a-z]{1,3}\)\s)")


def capitalised_share(text: str, skip_first: bool = False) -> float:
    """Share of significant words (not 'of', 'and', ...) that start with a capital letter.

    Args:
        text: the words to look at.
        skip_first: ignore the first word, which a sentence capitalises anyway (when another word follows).

    """
    words = re.findall(r"[A-Za-z][A-Za-z'’-]*", text)
    if skip_first and len(words) > 1:
        words = words[1:]
    words = [w for w in words if w.lower() not in STOPWORDS]
    return sum(w[0].isupper() for w in words) / len(words) if words else 0.0


def is_list_item(line: str) -> bool:
    """Whether a line starts like a bulleted or numbered list item."""
    return bool(_LIST_ITEM.match(line))


def is_body_block(lines: list[str]) -> bool:
    """Whether a block reads as body content: prose, a list or a table rather than a caption or label."""
    if any(is_table_row(line) or is_list_item(line) for line in lines):
        return True
    text = " ".join(line.strip() for line in lines)
    if not re.search(r"[a-z]", text):
        return False
    return text.rstrip(CLOSERS)[-1:] in TERMINAL or (len(text) >= 80 and capitalised_share(text) < 0.6)
