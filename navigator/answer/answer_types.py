"""Questions that ask for a kind of fact (a phone number, a sum of money, a waiting time) need that fact.

A passage about SENDIASS is very similar to "what is SENDIASS's phone number?", but if no number is in the
quoted sentences, quoting them would look like an answer that is not there. So the expected kind of answer
is read from cue phrases in the question (in all eleven languages). For most kinds that is one sign among
others of whether quotes answer (``answerability``); for the kinds whose cues ask for the fact itself (a phone
number, a sum, a date, a number of weeks), a question is declined when no passage found holds one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from navigator.data_files import shipped_json
from navigator.errors import ConfigError
from navigator.languages.matching import normalize

_UNIT = r"(?:day|week|month|year|term|hour)s?"
_NUMBER_WORD = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty)"
# What a quoted sentence must hold to satisfy each kind of answer (quotes are in English).
EVIDENCE_PATTERNS: Mapping[str, re.Pattern[str]] = {
    "phone": re.compile(r"(?<!\d)(?:\+44\s?|0)\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\d)"),
    "email": re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
    "url": re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE),
    "money": re.compile(r"£\s?\d|\b\d[\d,.]*\s?(?:pounds|million|billion)\b", re.IGNORECASE),
    "duration": re.compile(rf"\b(?:\d+|{_NUMBER_WORD})(?:\s|-)?{_UNIT}\b", re.IGNORECASE),
    "date": re.compile(
        r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December)\b"
        r"|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b"
    ),
    "procedure": re.compile(
        r"\bapply (?:online|by|through|via|to|for)\b|\bapplication form\b|\brequest form\b"
        r"|\b(?:fill in|complete|download|send)\b.{0,30}\bform\b|\bmake an? (?:request|referral|application)\b"
        r"|\b(?:parents?|you|families) can (?:ask|request|apply)\b",
        re.IGNORECASE,
    ),
    "institution": re.compile(r"\b[A-Z][\w'’]+(?:\s[A-Z][\w'’]+)*\s(?:School|Academy|College|Nursery)\b"),
    "number": re.compile(r"\d"),
    "year": re.compile(r"\b(?:19|20)\d{2}\b"),
    "time_of_day": re.compile(
        r"\b\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)|\b\d{1,2}:\d{2}\b|\b(?:Mondays?|weekdays)\b", re.IGNORECASE
    ),
    "person_name": re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Cllr|Councillor|Professor|Prof)\.?\s+[A-Z][a-z]+"),
    "quotation": re.compile(r"[“\"‘'][^”\"’]{15,}[”\"’]"),
}


@dataclass(frozen=True)
class AnswerType:
    """A kind of fact a question can ask for, the cues that show it, and what evidence satisfies it."""

    name: str
    cues: tuple[str, ...]  # normalised, all languages together (messages mix languages)
    satisfied_by: tuple[str, ...]  # empty: nothing in published documents can answer it (one child's own case)
    strict: bool = False  # the cues ask for the fact itself: without it in any passage found, nothing answers

    def held_by(self, text: str) -> bool:
        """Whether ``text`` holds this kind of fact (never, for a kind nothing published can answer)."""
        return any(EVIDENCE_PATTERNS[kind].search(text) for kind in self.satisfied_by)


def _fold_cue(cue: str) -> str:
    """Normalise a cue like a question, keeping its " ... " gaps."""
    return " ... ".join(normalize(part).casefold().strip() for part in cue.split("..."))


def parse_answer_types(raw: Any) -> tuple[AnswerType, ...]:
    """Validate the answer-type file.

    Raises:
        ConfigError: a type lacks cues or names an unknown kind of evidence.

    """
    types = []
    try:
        for name, spec in raw["types"].items():
            cues = tuple(sorted({_fold_cue(c) for phrases in spec["cues"].values() for c in phrases} - {""}))
            satisfied = tuple(spec["satisfied_by"])
            unknown = set(satisfied) - set(EVIDENCE_PATTERNS)
            if unknown or not cues:
                raise ConfigError(f"Answer type {name!r} needs cues and known evidence kinds (unknown: {unknown}).")
            types.append(AnswerType(name, cues, satisfied, bool(spec.get("strict", False))))
    except (KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"The answer-type file is malformed ({exc!r}).") from exc
    return tuple(types)


@lru_cache(maxsize=1)
def load_answer_types() -> tuple[AnswerType, ...]:
    """The shipped ``data/answer_types.json``."""
    return parse_answer_types(shipped_json("answer_types.json"))


@lru_cache(maxsize=4096)
def _cue_pattern(cue: str) -> re.Pattern[str]:
    """Latin cues match whole words; others inside words; " ... " in a cue allows words in between."""
    parts = [re.escape(p.strip()) for p in cue.split("...")]
    body = ".{0,40}?".join(parts)
    if cue.isascii():
        return re.compile(rf"(?<!\w){body}(?!\w)")
    return re.compile(body)


def _has_cue(folded: str, cue: str) -> bool:
    return _cue_pattern(cue).search(folded) is not None


class AnswerTypeChecker:
    """Finds which kinds of fact a question asks for, and whether quotes provide them."""

    def __init__(self, types: Sequence[AnswerType] | None = None) -> None:
        self.types = tuple(types if types is not None else load_answer_types())

    def expected(self, question: str) -> list[AnswerType]:
        """The kinds of fact the question asks for (often none)."""
        folded = normalize(question).casefold()
        return [t for t in self.types if any(_has_cue(folded, cue) for cue in t.cues)]

    def missing(self, question: str, quotes: Sequence[str]) -> list[str]:
        """Names of the asked-for kinds that none of the quotes contains."""
        text = "\n".join(quotes)
        return [t.name for t in self.expected(question) if not t.held_by(text)]
