"""Quotable units of a passage: sentences that make sense alone, or with the neighbour they lean on.

An extractive answer quotes sentences out of their passage, so a quoted sentence must stand by itself:
headings and table debris say nothing alone, "This rose to 55%" needs the sentence before it, and a table
row's numbers need the header row that says what they measure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from navigator.retrieval.base import Chunk

# Openings that point back to the previous sentence: the quote would be meaningless without it.
_LEANING_OPENERS = frozenset(
    """this these that those it its they their them such however therefore thus also additionally
    furthermore moreover meanwhile consequently hence otherwise he she his her both overall or and but nor""".split()
)
_TERMINAL = re.compile(r"[.!?:;)\]]$")
_LABEL_WORDS = 8  # a line this short without a sentence end, or split by a colon, labels something
_LABEL_COLON = re.compile(r":(?:\s|$)")  # "St Paul's: SENCo." (not the colon of a web address)
_ALPHA_WORD = re.compile(r"[^\W\d_]{3,}")
TABLE_SEPARATOR = " | "


@dataclass(frozen=True)
class SentenceUnit:
    """One quotable unit: the sentence indices (within the chunk) it spans and its text."""

    indices: tuple[int, ...]
    text: str

    @property
    def main(self) -> int:
        """The index of the sentence the unit was made for (the last one)."""
        return self.indices[-1]


def is_heading_like(sentence: str, chunk: Chunk) -> bool:
    """A heading repeated in the text, a short label without a verb-bearing sentence end, or a caps banner."""
    folded = sentence.strip().rstrip(":").casefold()
    if any(folded == heading.casefold() for heading in (*chunk.heading_path, chunk.doc_title)):
        return True
    words = sentence.split()
    ends = bool(_TERMINAL.search(sentence.strip()))
    if len(words) < 4 and not ends:
        return True
    if TABLE_SEPARATOR not in sentence and len(words) <= _LABEL_WORDS and (not ends or _LABEL_COLON.search(sentence)):
        return True  # "School resource base provision", "St Paul's: SENCo." (a table row is judged as a row)
    # A title-case line without a sentence end ("SEN in Schools – January 2017 School Census") labels a table.
    worded = [w for w in words if any(c.isalpha() for c in w)]
    capitalised = sum(w[0].isupper() for w in worded if w[0].isalpha())
    if not ends and len(worded) <= 14 and capitalised >= 0.6 * max(1, len(worded)):
        return True
    letters = [c for c in sentence if c.isalpha()]
    return len(letters) > 12 and all(c.isupper() for c in letters)


def is_debris(sentence: str) -> bool:
    """Mostly numbers and symbols, or a row of short labels: a cut table or chart, not a statement."""
    if len(_ALPHA_WORD.findall(sentence)) < 3:
        return True
    cells = [c.strip() for c in sentence.split("|")]
    return len(cells) > 1 and not any(ch.isdigit() for ch in sentence) and all(len(c.split()) <= 3 for c in cells)


def leans_on_previous(sentence: str) -> bool:
    """Whether the sentence only makes sense after the one before it."""
    stripped = sentence.lstrip("\"'“‘(•-– ")
    if not stripped:
        return False
    if stripped[0].islower():
        return True
    first = re.split(r"[\s,;:]", stripped, maxsplit=1)[0].casefold()
    return first in _LEANING_OPENERS


_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def introduces_list(sentence: str) -> bool:
    """A lead-in ending in a colon ("…should be reviewed to ensure that:"): it says nothing until its list.

    A lead-in to a link ("…through the following link: https://…") counts too: quotes keep no outside link.
    """
    return _LINK.sub("", sentence).rstrip().endswith(":")


_LIST_ITEM = re.compile(r"^[-•–*]\s+")


def _list_lead(sentences: Sequence[str], index: int) -> int | None:
    """The lead-in ("…will need to ensure that:") of the list whose item ``index`` is, when it is in the chunk."""
    j = index - 1
    while j >= 0 and _LIST_ITEM.match(sentences[j]) and not introduces_list(sentences[j]):
        j -= 1
    return j if j >= 0 and introduces_list(sentences[j]) else None


def asks(text: str) -> bool:
    """A question of the document's own ("Is this a key decision?"): it asks, it does not tell."""
    return text.rstrip().rstrip("\"”’'").rstrip().endswith(("?", "？", "؟"))


def _header_row(sentences: Sequence[str], index: int) -> int | None:
    """The first row of the table that sentence ``index`` belongs to, when it is a later row of one."""
    if TABLE_SEPARATOR not in sentences[index]:
        return None
    start = index
    while start > 0 and TABLE_SEPARATOR in sentences[start - 1]:
        start -= 1
    return start if start < index else None


def quotable_units(chunk: Chunk) -> list[SentenceUnit]:
    """Every unit of the chunk worth quoting, in order, each made whole by the context it needs."""
    sentences = chunk.sentences
    units: list[SentenceUnit] = []
    for i, sentence in enumerate(sentences):
        if is_heading_like(sentence, chunk) or is_debris(sentence) or introduces_list(sentence):
            continue
        header = _header_row(sentences, i)
        item = _LIST_ITEM.match(sentence)
        if header is not None:
            units.append(SentenceUnit((header, i), f"{sentences[header]}\n{sentence}"))
        elif item is not None and sentence[item.end() :][:1].islower():
            # A list item continues its lead-in ("…will need to ensure that: - sufficient places are…"), not the
            # item before it: it is quoted after the lead-in when the chunk holds it, otherwise alone.
            lead = _list_lead(sentences, i)
            if lead is None:
                units.append(SentenceUnit((i,), sentence))
            else:
                units.append(SentenceUnit((lead, i), f"{sentences[lead]} {sentence[item.end() :]}"))
        elif leans_on_previous(sentence) and i > 0 and not is_heading_like(sentences[i - 1], chunk):
            units.append(SentenceUnit((i - 1, i), f"{sentences[i - 1]} {sentence}"))
        else:
            units.append(SentenceUnit((i,), sentence))
    return units


# A quotation closed and then attributed ("…having fun!’ – a community therapist"), or a unit that is mostly
# inside quotation marks: one person's experience, not what the documents say is done.
_ATTRIBUTED = re.compile(r"[’'\"”]\s*[–—-]\s*[^.!?\n]{2,60}\.?$")
_QUOTED_SPAN = re.compile(r"[“\"‘]([^”\"’]{15,})[”\"’]")
_OPENING_QUOTE = re.compile(r"^[“‘\"]")
# The end of someone's words whose opening mark lies in an earlier sentence: "…going forward.”"
_CLOSING_QUOTE = re.compile(r"[”\"]\W*$")
# A line introducing someone's words: "Quote from a parent of a young adult with autism."
_ATTRIBUTION_LINE = re.compile(r"^(?:quotes?|comments?|feedback|words|voices?)\s+(?:from|of|by)\b", re.IGNORECASE)
# Someone speaking for themselves: the documents speak as "we" (the partnership) or in the third person, so "I",
# "me" and "my" are a parent's, a young person's or a foreword writer's own words ("Autism is new to me…").
_I = re.compile(r"\bI(?:['’](?:m|ve|d|ll))?\s+[a-z]")
_ME = re.compile(r"\b(?:me|my|myself)\b")
_WORD_BEFORE = re.compile(r"(\w+)\W*$")
_FIGURES_ROW_WORDS = 12


def is_testimonial(text: str) -> bool:
    """Whether a unit reports what one person said (a parent's or a practitioner's own words)."""
    stripped = text.strip().lstrip("-–•*| ")
    if _ATTRIBUTED.search(stripped) or _OPENING_QUOTE.match(stripped) or _ATTRIBUTION_LINE.match(stripped):
        return True
    if speaks_for_self(stripped):
        return True
    closing = _CLOSING_QUOTE.search(stripped)
    if closing and ("“" not in stripped if "”" in closing.group() else stripped.count('"') % 2 == 1):
        return True
    quoted = sum(len(span) for span in _QUOTED_SPAN.findall(stripped))
    return quoted >= 0.6 * max(1, len(stripped))


def speaks_for_self(text: str) -> bool:
    """Whether someone writes as "I", "me" or "my" ("Phase I of the plan" is a numeral, not a speaker)."""
    if _ME.search(text):
        return True
    for match in _I.finditer(text):
        before = _WORD_BEFORE.search(text[: match.start()])
        if before is None or not before.group(1)[0].isupper():
            return True
    return False


def is_figures_row(text: str) -> bool:
    """Whether a unit is a table row of labels and numbers rather than a row holding a sentence of prose.

    Action-plan tables hold whole sentences in a cell, and those read as prose; rows of indicator names and
    figures only mean something to a reader who asked for figures.
    """
    rows = [line for line in text.splitlines() if TABLE_SEPARATOR.strip() in line]
    if not rows:
        return False
    cells = [cell.strip() for row in rows for cell in row.split("|")]
    return max((len(cell.split()) for cell in cells), default=0) < _FIGURES_ROW_WORDS
