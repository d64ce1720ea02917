"""Spot messages that suggest a child or adult at risk (abuse, self-harm, suicide, danger, crisis) in 11 languages."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from navigator.errors import ConfigError
from navigator.glossary import LANGUAGES
from navigator.glossary_matching import normalize

_DATA_PACKAGE = "navigator"
_DATA_FILE = ("data", "safeguarding.json")
_SCHEMA_VERSION = 1
_FIX_HINT = "Fix navigator/data/safeguarding.json (format in navigator/answer/safety.py)."

# Latin letters after normalize() and lower(): ASCII, plus the few Latin letters NFKD leaves whole. Word edges are
# judged against these only, so a Latin phrase is still found right next to Chinese or Arabic text ("他说kill myself").
_LATIN_LETTER = r"[0-9a-z\u00df-\u024f]"
_LATIN_BEFORE, _LATIN_AFTER = f"(?<!{_LATIN_LETTER})", f"(?!{_LATIN_LETTER})"
_LATIN_WORDS = re.compile(f"{_LATIN_LETTER}+")
_APOSTROPHES = "'\u2019\u02bc"
_WILDCARD = "*"
_MIN_WILDCARD_STEM = 4  # a shorter one-word stem ("abu*") would reach ordinary words


@dataclass(frozen=True)
class SafeguardingMatch:
    """Why a message was flagged.

    Attributes:
        category: One of the file's categories: ``suicide``, ``self_harm``, ``abuse``, ``danger`` or ``crisis``.
        language: The language of the matched phrase (not necessarily the message's language).
        phrase: The phrase as written in ``safeguarding.json``.

    """

    category: str
    language: str
    phrase: str


@dataclass(frozen=True)
class _Phrase:
    """One compiled phrase: a whole-word regex for Latin script, else a plain substring."""

    match: SafeguardingMatch
    rank: int  # the category's position in the file: lower is more urgent
    regex: re.Pattern[str] | None
    substring: str | None
    first_word: str = ""  # Latin only: the phrase's first word (a prefix when it ends in "*")
    first_is_prefix: bool = False

    def may_occur(self, words: frozenset[str]) -> bool:
        """Cheap test before the regex: whether the text has the phrase's first word (always true for others)."""
        if self.regex is None:
            return True
        if self.first_is_prefix:
            return any(word.startswith(self.first_word) for word in words)
        return self.first_word in words

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """Every place the phrase occurs in normalised, lower-cased text."""
        if self.regex is not None:
            for found in self.regex.finditer(text):
                yield found.span()
            return
        assert self.substring is not None
        start = text.find(self.substring)
        while start >= 0:
            yield start, start + len(self.substring)
            start = text.find(self.substring, start + 1)


@dataclass(frozen=True)
class _PhraseSet:
    """All phrases and exclusions of one data file, compiled."""

    categories: tuple[str, ...]
    phrases: tuple[_Phrase, ...]  # most urgent category first
    exclusions: tuple[_Phrase, ...]


def _is_latin(form: str) -> bool:
    """Whether every letter of a normalised form is Latin (so it is matched by whole words)."""
    return all(ch.isascii() or "LATIN" in unicodedata.name(ch, "") for ch in form if ch.isalpha())


def _spellings(raw: str) -> list[str]:
    """The phrase, plus the spelling without apostrophes people type ("don't" and "dont", "I'm" and "Im")."""
    bare = raw
    for mark in _APOSTROPHES:
        bare = bare.replace(mark, "")
    return [raw] if bare == raw else [raw, bare]


def _latin_phrase(raw: str, match: SafeguardingMatch, rank: int, where: str) -> _Phrase:
    """A whole-word matcher for a Latin phrase; a word ending in ``*`` matches any ending of that word."""
    parts: list[str] = []
    first_word, first_is_prefix = "", False
    for word in raw.split():
        wildcard = word.endswith(_WILDCARD)
        if _WILDCARD in word.rstrip(_WILDCARD):
            raise ConfigError(f"{where}: {raw!r} has a '*' that is not at the end of a word. {_FIX_HINT}")
        stem = normalize(word.rstrip(_WILDCARD)).lower()
        if not stem:  # a stray dash or quote
            continue
        if wildcard and len(raw.split()) == 1 and len(stem.replace(" ", "")) < _MIN_WILDCARD_STEM:
            raise ConfigError(f"{where}: {raw!r} needs at least {_MIN_WILDCARD_STEM} letters before '*'. {_FIX_HINT}")
        if not parts:
            tokens = stem.split()
            first_word, first_is_prefix = tokens[0], wildcard and len(tokens) == 1
        parts.append(re.escape(stem) + (f"{_LATIN_LETTER}*" if wildcard else ""))
    regex = re.compile(_LATIN_BEFORE + " ".join(parts) + _LATIN_AFTER)
    return _Phrase(match, rank, regex, None, first_word, first_is_prefix)


def _compile(raw: Any, match: SafeguardingMatch, rank: int, where: str) -> list[_Phrase]:
    """Compile one phrase of the file (one entry per spelling)."""
    if not isinstance(raw, str) or not normalize(raw.replace(_WILDCARD, " ")):
        raise ConfigError(f"{where}: every phrase must be a string with letters in it. {_FIX_HINT}")
    compiled = []
    for spelling in _spellings(raw.strip()):
        form = normalize(spelling.replace(_WILDCARD, "")).lower()
        if _is_latin(form):
            compiled.append(_latin_phrase(spelling, match, rank, where))
        elif _WILDCARD in spelling:
            raise ConfigError(f"{where}: {raw!r}: '*' works only in Latin-script phrases. {_FIX_HINT}")
        elif len(form.replace(" ", "")) < 2:
            raise ConfigError(f"{where}: {raw!r} is too short to match inside words. {_FIX_HINT}")
        else:
            compiled.append(_Phrase(match, rank, None, form))
    return compiled


def _string_list(raw: Any, where: str) -> list[Any]:
    """Check that a field is a list."""
    if not isinstance(raw, list):
        raise ConfigError(f"{where} must be a list of phrases. {_FIX_HINT}")
    return raw


def _parse_safeguarding(data: Any) -> _PhraseSet:
    """Compile the decoded ``safeguarding.json``.

    Args:
        data: ``{"version": 1, "categories": [...], "phrases": {lang: {category: [phrase, ...]}},
            "exclusions": {lang: [phrase, ...]}}``.

    Returns:
        The compiled phrases.

    Raises:
        ConfigError: If the document breaks the format described in this module.

    """
    if not isinstance(data, dict) or data.get("version") != _SCHEMA_VERSION:
        raise ConfigError(f"safeguarding phrases must be an object with version {_SCHEMA_VERSION}. {_FIX_HINT}")
    categories = data.get("categories")
    if (
        not isinstance(categories, list)
        or not categories
        or not all(isinstance(c, str) and c for c in categories)
        or len(set(categories)) != len(categories)
    ):
        raise ConfigError(f"'categories' must be a non-empty list of distinct names. {_FIX_HINT}")
    by_language = data.get("phrases")
    if not isinstance(by_language, dict):
        raise ConfigError(f"'phrases' must map language codes to categories. {_FIX_HINT}")
    exclusions_by_language = data.get("exclusions", {})
    if not isinstance(exclusions_by_language, dict):
        raise ConfigError(f"'exclusions' must map language codes to lists. {_FIX_HINT}")
    unknown = sorted((set(by_language) | set(exclusions_by_language)) - set(LANGUAGES))
    if unknown:
        raise ConfigError(f"unknown language codes {unknown}; use {list(LANGUAGES)}. {_FIX_HINT}")
    phrases: list[_Phrase] = []
    for lang, by_category in by_language.items():
        if not isinstance(by_category, dict):
            raise ConfigError(f"phrases[{lang!r}] must map categories to lists. {_FIX_HINT}")
        stray = sorted(set(by_category) - set(categories))
        if stray:
            raise ConfigError(f"phrases[{lang!r}] has categories {stray} not listed in 'categories'. {_FIX_HINT}")
        for category, raw_phrases in by_category.items():
            where = f"phrases[{lang!r}][{category!r}]"
            for raw in _string_list(raw_phrases, where):
                match = SafeguardingMatch(category=category, language=lang, phrase=str(raw).strip())
                phrases.extend(_compile(raw, match, categories.index(category), where))
    exclusions: list[_Phrase] = []
    for lang, raw_exclusions in exclusions_by_language.items():
        where = f"exclusions[{lang!r}]"
        for raw in _string_list(raw_exclusions, where):
            match = SafeguardingMatch(category="exclusion", language=lang, phrase=str(raw).strip())
            exclusions.extend(_compile(raw, match, len(categories), where))
    phrases.sort(key=lambda phrase: phrase.rank)  # stable: file order within a category
    return _PhraseSet(tuple(categories), tuple(phrases), tuple(exclusions))


@lru_cache(maxsize=1)
def _default_phrases() -> _PhraseSet:
    """The phrases shipped in the package, compiled once."""
    text = resources.files(_DATA_PACKAGE).joinpath(_DATA_FILE[0]).joinpath(_DATA_FILE[1]).read_text(encoding="utf-8")
    return _parse_safeguarding(json.loads(text))


def _inside(span: tuple[int, int], others: Sequence[tuple[int, int]]) -> bool:
    """Whether ``span`` lies within one of ``others``."""
    return any(start <= span[0] and span[1] <= end for start, end in others)


class SafeguardingDetector:
    """Flags messages that suggest a child in danger, abuse, self-harm, suicide or a family in crisis.

    Every language's phrases are checked whatever language the message is in, because families mix languages
    ("meri beti self-harm kar rahi hai"). Text is normalised as for the glossary (case, accents and Arabic-script
    letter variants folded); Latin-script phrases match whole words, other scripts match inside words so affixes do
    not hide them. Phrases are deliberately specific ("wants to die", "not safe at home") so that ordinary SEND
    questions about exclusion, behaviour, risk assessments or a "self-harm policy" do not trigger it.

    The data file, ``navigator/data/safeguarding.json``, holds ``categories`` (most urgent first), ``phrases``
    (language -> category -> phrases) and ``exclusions`` (language -> phrases such as "suicide prevention"; a phrase
    found inside an exclusion is ignored). In Latin-script phrases a word ending in ``*`` matches any ending.
    """

    def __init__(self, path: Path | None = None) -> None:
        """Remember where the phrases are; they are read and compiled on first use.

        Args:
            path: A phrases JSON file; ``None`` uses the packaged ``navigator/data/safeguarding.json`` (compiled once
                per process).

        """
        self._path = path
        self._phrases: _PhraseSet | None = None

    def _phrase_set(self) -> _PhraseSet:
        """The compiled phrases, loaded on first use."""
        if self._phrases is None:
            if self._path is None:
                self._phrases = _default_phrases()
            else:
                try:
                    data = json.loads(Path(self._path).read_text(encoding="utf-8"))
                except json.JSONDecodeError as exc:
                    raise ConfigError(f"{self._path} is not valid JSON: {exc}. {_FIX_HINT}") from exc
                self._phrases = _parse_safeguarding(data)
        return self._phrases

    @property
    def categories(self) -> tuple[str, ...]:
        """The categories, most urgent first.

        Raises:
            ConfigError: If the phrases file is malformed.

        """
        return self._phrase_set().categories

    def detect(self, text: str) -> SafeguardingMatch | None:
        """The most urgent safeguarding phrase in ``text``, or ``None``.

        Args:
            text: A message in any of the 11 languages, or a mix of them.

        Returns:
            The match of the most urgent category (earliest in the text within it), or ``None`` when nothing
            suggests a risk.

        Raises:
            ConfigError: If the phrases file is malformed.

        """
        phrase_set = self._phrase_set()
        normalized = normalize(text).lower()
        if not normalized:
            return None
        excluded = [span for exclusion in phrase_set.exclusions for span in exclusion.spans(normalized)]
        words = frozenset(_LATIN_WORDS.findall(normalized))
        best: tuple[int, int, SafeguardingMatch] | None = None
        for phrase in phrase_set.phrases:  # most urgent first, so stop once a found category outranks the rest
            if best is not None and phrase.rank > best[0]:
                break
            if not phrase.may_occur(words):
                continue
            for span in phrase.spans(normalized):
                if not _inside(span, excluded):
                    if best is None or span[0] < best[1]:
                        best = (phrase.rank, span[0], phrase.match)
                    break
        return None if best is None else best[2]
