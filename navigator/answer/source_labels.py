"""Short labels that say where a quote comes from ("SEF, Spring 2024 › Right help at the right time").

A family reading on a phone needs to see at a glance which document and part a quote is from; full titles and
heading paths run to two hundred characters and are kept for the sources list.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from navigator.retrieval.base import Chunk

_ACRONYM_IN_BRACKETS = re.compile(r"\(([A-Z][A-Za-z&]{1,7})\)")
_LEADING_PLACE = re.compile(r"^Birmingham(?:['’]s)?\s+(?=\S)")
_MAX_PART = 60
_LONG_TITLE = 45
# Acronyms an all-capitals heading keeps when it is put in sentence case.
_ACRONYMS = frozenset(
    """send sen senco ehc ehcp ehcps ap sef pcf senar sendiass nhs camhs uk icb pru yp cyp oag semh asd adhd
    dfe bcc bct ecsc pfa sencos""".split()
)
_DESCRIPTIVE_WORDS = 4  # "Positive signs" or "Action" says little; a heading of four words or more says what it is
ARROW = " › "


def _shorten(text: str, limit: int = _MAX_PART) -> str:
    """``text`` cut at a word boundary, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:–- ")
    return f"{cut}…"


def _readable_case(heading: str) -> str:
    """An all-capitals heading in sentence case (acronyms of up to five letters keep their capitals)."""
    letters = [c for c in heading if c.isalpha()]
    if not letters or not all(c.isupper() for c in letters):
        return heading
    words = [w if w.strip("().,:;&-").lower() in _ACRONYMS else w.lower() for w in heading.split()]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def short_title(title: str) -> str:
    """A document title without its subtitle, the city's name it opens with, or a spelled-out acronym."""
    main = title.split(":", 1)[0].strip()
    bracketed = _ACRONYM_IN_BRACKETS.search(main)
    if bracketed:
        main = bracketed.group(1) + main[bracketed.end() :]
    main = _LEADING_PLACE.sub("", main)
    if len(main) > _LONG_TITLE and "," in main:
        # "Education and … Scrutiny Committee, 20 July 2022": the body's last words and the date say enough.
        body, tail = main.rsplit(",", 1)
        main = " ".join(body.split()[-2:]) + "," + tail
    return _shorten(main[:1].upper() + main[1:])


def section_label(heading_path: Sequence[str]) -> str:
    """The deepest heading that says what the section is about (the deepest one when none does)."""
    headings = [h for h in heading_path if h.strip()]
    if not headings:
        return ""
    descriptive = [h for h in headings if len(h.split()) >= _DESCRIPTIVE_WORDS]
    return _shorten(_readable_case((descriptive or headings)[-1]))


def source_label(chunk: Chunk) -> str:
    """``short title › section`` for a quote from ``chunk``."""
    section = section_label(chunk.heading_path)
    title = short_title(chunk.doc_title)
    return f"{title}{ARROW}{section}" if section else title


_PERIOD = re.compile(r"\b((?:19|20)\d{2})\s*[-–]\s*((?:19|20)\d{2})\b")


def ended_period(title: str, year: int) -> str | None:
    """The period a document's title names ("Strategy … 2017-2020" → "2017–2020") when it ended before ``year``.

    A plan whose years are over may describe aims since met, dropped or replaced: a reader should know.
    """
    match = _PERIOD.search(title)
    if match is None or int(match.group(2)) >= year:
        return None
    return f"{match.group(1)}–{match.group(2)}"

