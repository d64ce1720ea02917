"""Multilingual SEND glossary, so a parent's words in any of 11 languages reach the English terms documents use."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from navigator.errors import ConfigError
from navigator.languages.matching import TermMatcher, normalize

LANGUAGES: tuple[str, ...] = ("en", "ur", "pa", "bn", "ar", "so", "pl", "ro", "ps", "zh", "ckb")
"""Glossary languages: English first, then the community languages in the order the UI lists them."""

_DATA_PACKAGE = "navigator"
_DATA_FILE = ("data", "glossary.json")
_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class TermEntry:
    """One term in one language.

    Attributes:
        term: The natural way to say it in that language.
        aliases: Other ways a parent (or, in English, a document) writes it.
        explanation: One or two plain sentences a parent understands.

    """

    term: str
    aliases: tuple[str, ...]
    explanation: str

    @property
    def forms(self) -> tuple[str, ...]:
        """The term followed by its aliases."""
        return (self.term, *self.aliases)


@dataclass(frozen=True)
class GlossaryTerm:
    """A SEND term with an entry for every glossary language.

    Attributes:
        id: Stable identifier such as ``"ehc-plan"``.
        entries: Language code to entry, one per code in :data:`LANGUAGES`.

    """

    id: str
    entries: Mapping[str, TermEntry] = field(hash=False)

    @property
    def english(self) -> TermEntry:
        """The English entry, whose wording matches the source documents."""
        return self.entries["en"]

    def entry(self, lang: str) -> TermEntry:
        """The entry for ``lang``, falling back to English for an unknown language.

        Args:
            lang: A language code, normally one of :data:`LANGUAGES`.

        Returns:
            The entry to show a parent reading ``lang``.

        """
        return self.entries.get(lang) or self.english


class Glossary:
    """The SEND glossary, with matching precompiled once per instance (and per language on first use)."""

    def __init__(self, terms: Sequence[GlossaryTerm]) -> None:
        """Build a glossary from terms.

        Args:
            terms: Terms with unique ids, each with an entry for every code in :data:`LANGUAGES`.

        Raises:
            ConfigError: If ids repeat or an entry is missing.

        """
        self._terms = tuple(terms)
        self._by_id = {term.id: term for term in self._terms}
        if len(self._by_id) != len(self._terms):
            raise ConfigError("glossary term ids must be unique")
        for term in self._terms:
            missing = [lang for lang in LANGUAGES if lang not in term.entries]
            if missing:
                raise ConfigError(f"glossary term {term.id!r} lacks languages {missing}")
        self._matchers: dict[str | None, TermMatcher] = {}

    @property
    def terms(self) -> tuple[GlossaryTerm, ...]:
        """All terms, in file order."""
        return self._terms

    def __len__(self) -> int:
        return len(self._terms)

    def __iter__(self) -> Iterator[GlossaryTerm]:
        return iter(self._terms)

    def get(self, term_id: str) -> GlossaryTerm | None:
        """The term with ``term_id``, or ``None``."""
        return self._by_id.get(term_id)

    def _matcher(self, lang: str | None) -> TermMatcher:
        """The matcher for ``lang`` plus English (every language when ``lang`` is ``None``), compiled once."""
        matcher = self._matchers.get(lang)
        if matcher is None:
            languages = LANGUAGES if lang is None else ("en", lang) if lang != "en" else ("en",)
            matcher = self._matchers[lang] = TermMatcher.build([term.entries for term in self._terms], languages)
        return matcher

    def warm_up(self) -> None:
        """Compile every matcher now (about half a second) rather than on the first query in each language."""
        for lang in (None, *LANGUAGES):
            self._matcher(lang)

    def find(self, text: str, lang: str | None = None) -> list[GlossaryTerm]:
        """Terms mentioned in ``text``, in order of first mention.

        Latin-script forms match whole words, ignoring case and accents (short all-capital acronyms such as "SEN" or
        "OT" only in capitals); Arabic-script, Bengali, Gurmukhi and Chinese forms match inside words, so prefixes
        and suffixes such as Arabic "ال" do not hide a term. Where matches overlap the longest wins, so "special
        school" reports only the special-school term, not also "school".

        Args:
            text: A question or any text.
            lang: Look only at this language's forms plus English; ``None`` (or a code outside
                :data:`LANGUAGES`) looks at every language.

        Returns:
            The matched terms, without repeats.

        """
        key = lang if lang in LANGUAGES else None
        normalized = normalize(text)
        if not normalized:
            return []
        # reach[p]: the furthest end of a kept span that starts at or before p and covers p.
        reach = [0] * len(normalized)
        kept: set[tuple[int, int]] = set()
        first_seen: dict[int, int] = {}
        for _, start, end, index in self._matcher(key).candidates(normalized):  # longest first
            if (start, end) not in kept:  # one span may carry several terms
                if reach[start] >= end:  # inside a longer match: "school" within "special school"
                    continue
                kept.add((start, end))
                reach[start:end] = [end if r < end else r for r in reach[start:end]]
            if index not in first_seen or start < first_seen[index]:
                first_seen[index] = start
        return [self._terms[i] for i in sorted(first_seen, key=lambda i: (first_seen[i], i))]

    def english_expansion(self, text: str, lang: str | None = None) -> str:
        """English wording of the terms mentioned in ``text``, to append to the search query.

        Args:
            text: A question in any glossary language.
            lang: As in :meth:`find`.

        Returns:
            The English term and English aliases of each found term, space-separated and without repeats
            (compared case-insensitively); empty when nothing matched.

        """
        seen: set[str] = set()
        words: list[str] = []
        for term in self.find(text, lang):
            for form in term.english.forms:
                folded = form.casefold()
                if folded not in seen:
                    seen.add(folded)
                    words.append(form)
        return " ".join(words)


def _parse_entry(term_id: str, lang: str, raw: Any) -> TermEntry:
    """Validate one language entry from the JSON file."""
    if not isinstance(raw, dict):
        raise ConfigError(f"glossary term {term_id!r}: {lang!r} must be an object")
    term, aliases, explanation = raw.get("term"), raw.get("aliases", []), raw.get("explanation")
    if not isinstance(term, str) or not term.strip():
        raise ConfigError(f"glossary term {term_id!r}: {lang!r} needs a non-empty 'term'")
    if not isinstance(explanation, str) or not explanation.strip():
        raise ConfigError(f"glossary term {term_id!r}: {lang!r} needs a non-empty 'explanation'")
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        raise ConfigError(f"glossary term {term_id!r}: {lang!r} 'aliases' must be a list of non-empty strings")
    return TermEntry(term=term.strip(), aliases=tuple(a.strip() for a in aliases), explanation=explanation.strip())


def parse_glossary(data: Any) -> Glossary:
    """Build a glossary from the decoded JSON document.

    Args:
        data: ``{"version": 1, "terms": [{"id": ..., "en": {...}, "ur": {...}, ...}, ...]}``.

    Returns:
        The glossary.

    Raises:
        ConfigError: If the document does not follow the format in ``navigator/data/README.md``.

    """
    if not isinstance(data, dict) or data.get("version") != _SCHEMA_VERSION:
        raise ConfigError(f"glossary must be an object with version {_SCHEMA_VERSION}")
    raw_terms = data.get("terms")
    if not isinstance(raw_terms, list):
        raise ConfigError("glossary 'terms' must be a list")
    terms = []
    for raw in raw_terms:
        term_id = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(term_id, str) or not term_id:
            raise ConfigError("every glossary term needs a string 'id'")
        missing = [lang for lang in LANGUAGES if lang not in raw]
        if missing:
            raise ConfigError(f"glossary term {term_id!r} lacks languages {missing}")
        entries = {lang: _parse_entry(term_id, lang, raw[lang]) for lang in LANGUAGES}
        terms.append(GlossaryTerm(id=term_id, entries=MappingProxyType(entries)))
    return Glossary(terms)


@lru_cache(maxsize=1)
def _default_glossary() -> Glossary:
    """The glossary shipped in the package, read once."""
    text = resources.files(_DATA_PACKAGE).joinpath(_DATA_FILE[0]).joinpath(_DATA_FILE[1]).read_text(encoding="utf-8")
    return parse_glossary(json.loads(text))


def load_glossary(path: Path | None = None) -> Glossary:
    """Load the glossary.

    Args:
        path: A glossary JSON file; ``None`` loads the packaged ``navigator/data/glossary.json`` (cached).

    Returns:
        The glossary.

    Raises:
        ConfigError: If the file is malformed.
        OSError: If ``path`` cannot be read.

    """
    if path is None:
        return _default_glossary()
    return parse_glossary(json.loads(Path(path).read_text(encoding="utf-8")))
