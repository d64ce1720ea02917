"""Checking an LLM's reply against the passages it was given: markers, URLs and "nothing found".

Markers naming no given passage are dropped and the rest renumbered, URLs other than a passage's are
removed, and a reply that cites nothing valid counts as no answer. The stream filter releases text only once
no later delta can change its checked form, so what is streamed is exactly what is finally returned.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from navigator.answer.base import Citation, Composition, Passage

logger = logging.getLogger(__name__)

_ITEM = r"\d{1,3}(?:\s*[-–]\s*\d{1,3})?"
_MARKER = rf"(?P<mws>[ \t]*)[\[［【]\s*(?P<nums>{_ITEM}(?:\s*[,;，、،]\s*{_ITEM})*)\s*[\]］】]"
_URL_CHAR = r"[^\s<>\"\[\]【】［］「」。，、；：！？（）]"
_URL = rf"(?P<uws>[ \t]*)(?P<url>(?:https?://|www\.){_URL_CHAR}+)"
_TOKEN = re.compile(f"{_MARKER}|{_URL}", re.IGNORECASE)
_URL_AT_END = re.compile(rf"(?:https?://|www\.){_URL_CHAR}+\Z", re.IGNORECASE)
_OPEN_TAIL = re.compile(r"[\[［【](?P<inside>[^\[\]［］【】]*)\Z")
_MARKER_INSIDE = re.compile(r"[\d\s,;，、،\-–]*")  # every prefix of a marker's inside matches this
_URL_STARTS = ("https://", "http://", "www.")
_TRAILING_PUNCTUATION = ".,;:!?)'»”’"
_NOT_FOUND_START = re.compile(r"[\s*_`'\"«“]*NOT[_ ]FOUND")
_MAX_RANGE = 20


def postprocess_reply(reply: str, passages: Sequence[Passage]) -> Composition:
    """Check a model's reply against the passages it was given.

    Markers naming no given passage are dropped, the rest renumbered 1..m by first appearance (so every
    ``[n]`` has exactly one citation), and URLs that are not a passage's URL are removed.

    Args:
        reply: The model's whole reply.
        passages: The numbered passages the model was given.

    Returns:
        The checked composition; ungrounded and empty when the reply is ``NOT_FOUND`` or cites nothing valid.

    """
    text, used = _render(reply, passages)
    if not used or not text or _NOT_FOUND_START.match(reply):
        return Composition(text="", citations=(), grounded=False)
    by_n = {passage.n: passage for passage in passages}
    citations = tuple(Citation.of(new_n, by_n[old_n].chunk) for new_n, old_n in enumerate(used, start=1))
    return Composition(text=text, citations=citations, grounded=True)


class CitationStreamFilter:
    """Turns model deltas into checked deltas whose concatenation is exactly ``postprocess_reply``'s text.

    Text is released only up to a point no later delta can change: an open ``[`` that may still become a
    marker, a URL that may still grow, and trailing whitespace are held back. Nothing is released before the
    first valid marker, so a ``NOT_FOUND`` or uncited reply never reaches the reader.
    """

    def __init__(self, passages: Sequence[Passage]) -> None:
        self._passages = tuple(passages)
        self._raw = ""
        self._sent = ""

    def feed(self, delta: str) -> str:
        """Take the model's next delta and return the checked text that is now safe to send (maybe "")."""
        self._raw += delta
        text, used = _render(self._raw[: _safe_cut(self._raw)], self._passages)
        if not used or _NOT_FOUND_START.match(self._raw):
            return ""
        return self._advance(text)

    def finish(self) -> tuple[str, Composition]:
        """The last checked delta and the final composition, once the model has finished."""
        composition = postprocess_reply(self._raw, self._passages)
        return self._advance(composition.text), composition

    def _advance(self, text: str) -> str:
        if not text.startswith(self._sent):  # cannot happen by construction; never unsend text
            logger.warning("streamed text diverged from the checked reply; the final composition is authoritative")
            return ""
        delta, self._sent = text[len(self._sent) :], text
        return delta


def _render(raw: str, passages: Sequence[Passage]) -> tuple[str, list[int]]:
    """``raw`` with markers filtered and renumbered and foreign URLs removed, and the cited passage numbers."""
    valid = {passage.n for passage in passages}
    allowed = {passage.chunk.url for passage in passages if passage.chunk.url}
    renumbered: dict[int, int] = {}

    def replace(match: re.Match[str]) -> str:
        if match.group("nums") is None:
            return _check_url(match.group("uws"), match.group("url"), allowed)
        new: list[int] = []
        for old in _marker_numbers(match.group("nums")):
            if old in valid:
                new_n = renumbered.setdefault(old, len(renumbered) + 1)
                if new_n not in new:
                    new.append(new_n)
        return match.group("mws") + "".join(f"[{n}]" for n in new) if new else ""

    return _TOKEN.sub(replace, raw).strip(), list(renumbered)


def _marker_numbers(inside: str) -> list[int]:
    numbers: list[int] = []
    for item in re.split(r"\s*[,;，、،]\s*", inside.strip()):
        ends = [int(part) for part in re.split(r"\s*[-–]\s*", item) if part]
        if len(ends) == 2 and 0 < ends[1] - ends[0] <= _MAX_RANGE:
            numbers.extend(range(ends[0], ends[1] + 1))
        else:
            numbers.extend(ends)
    return numbers


def _check_url(space: str, candidate: str, allowed: set[str]) -> str:
    """The URL if it is exactly a passage's URL (trailing punctuation aside), else only that punctuation."""
    url = candidate
    while url not in allowed and url and url[-1] in _TRAILING_PUNCTUATION:
        url = url[:-1]
    if url in allowed:
        return space + candidate
    return candidate[len(url) :]


def _safe_cut(raw: str) -> int:
    """How much of ``raw`` no later delta can change the checked form of."""
    cut = len(raw)
    opened = _OPEN_TAIL.search(raw)
    if opened and _MARKER_INSIDE.fullmatch(opened.group("inside")):
        cut = opened.start()
    growing = _URL_AT_END.search(raw)
    if growing:
        cut = min(cut, growing.start())
    tail = raw[-8:].lower()
    for start in range(len(tail)):
        if any(scheme.startswith(tail[start:]) for scheme in _URL_STARTS):
            cut = min(cut, len(raw) - len(tail) + start)
            break
    while cut > 0 and raw[cut - 1].isspace():
        cut -= 1
    return cut
