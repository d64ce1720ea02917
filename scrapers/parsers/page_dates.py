"""Find the "last updated" date a page shows about itself, as an ISO date."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from bs4 import BeautifulSoup, Tag

_MONTHS = {
    name: number
    for number, names in enumerate(
        ("jan january", "feb february", "mar march", "apr april", "may", "jun june", "jul july", "aug august",
         "sep sept september", "oct october", "nov november", "dec december"),
        start=1,
    )
    for name in names.split()
}  # fmt: skip
_UPDATED_LABEL = re.compile(
    r"(?:last\s+(?:updated|reviewed|modified|revised)|(?:page|content)\s+(?:last\s+)?(?:updated|reviewed)"
    r"|date\s+(?:last\s+)?(?:updated|reviewed)|(?:updated|reviewed)\s+on)\s*(?:on\b)?\s*[:\-–]?\s*",
    re.IGNORECASE,
)
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b")
_MONTH_DAY = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
_NUMERIC = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4}|\d{2})\b")  # UK order: day/month/year
_META_NAMES = ("article:modified_time", "og:updated_time", "dateModified", "last-modified")


def _iso(year: str, month: int | None, day: str) -> str | None:
    if month is None:
        return None
    full_year = int(year) + 2000 if len(year) == 2 else int(year)
    try:
        return date(full_year, month, int(day)).isoformat()
    except ValueError:
        return None


_READERS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str | None]], ...] = (
    (_ISO, lambda m: _iso(m.group(1), int(m.group(2)), m.group(3))),
    (_DAY_MONTH, lambda m: _iso(m.group(3), _MONTHS.get(m.group(2).lower()), m.group(1))),
    (_MONTH_DAY, lambda m: _iso(m.group(3), _MONTHS.get(m.group(1).lower()), m.group(2))),
    (_NUMERIC, lambda m: _iso(m.group(3), int(m.group(2)), m.group(1))),
)


def parse_date(text: str) -> str | None:
    """The first full date written in ``text`` ("3 March 2025", "March 3, 2025", "03/03/2025", ISO) as YYYY-MM-DD."""
    found = sorted((m.start(), index, m) for index, (pattern, _) in enumerate(_READERS) for m in pattern.finditer(text))
    for _, index, match in found:
        value = _READERS[index][1](match)
        if value:
            return value
    return None


def _attr(tag: Tag, name: str) -> str:
    value = tag.get(name)
    return "" if value is None else value if isinstance(value, str) else " ".join(value)


def find_published(soup: BeautifulSoup) -> str | None:
    """The page's own "last updated"/"last reviewed" date: visible text, then ``<time>``, then ``<meta>``."""
    text = soup.get_text(" ")
    for label in _UPDATED_LABEL.finditer(text):
        value = parse_date(text[label.end() : label.end() + 40])
        if value:
            return value
    for time in soup.find_all("time"):
        parent = time.parent
        context = f"{_attr(time, 'class')} {parent.get_text(' ') if isinstance(parent, Tag) else ''}".lower()
        if any(word in context for word in ("updat", "modif", "review")):
            value = parse_date(_attr(time, "datetime") or time.get_text(" "))
            if value:
                return value
    for meta in soup.find_all("meta"):
        name = _attr(meta, "property") or _attr(meta, "name") or _attr(meta, "itemprop")
        if name in _META_NAMES:
            value = parse_date(_attr(meta, "content"))
            if value:
                return value
    return None
