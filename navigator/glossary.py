"""Multilingual SEND glossary, so a parent's words in any of 11 languages reach the English terms documents use."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from navigator.errors import ConfigError

LANGUAGES: tuple[str, ...] = ("en", "ur", "pa", "bn", "ar", "so", "pl", "ro", "ps", "zh", "ckb")
"""Glossary languages: English first, then the community languages in the order the UI lists them."""

_DATA_PACKAGE = "navigator"
_DATA_FILE = ("data", "glossary.json")
_SCHEMA_VERSION = 1

# All-capital acronyms this short (SEN, OT, GP, LA, CAT, CES, SPE, ...) match only in capitals, so they do not fire on
# everyday words in another language (Polish "sen" = sleep, Romanian "la" = at, folded "cât" = how much).
_MAX_CASE_SENSITIVE_ACRONYM = 3
# Longer acronyms that are also ordinary English words.
_WORD_LIKE_ACRONYMS = frozenset({"SEND", "SALT"})

# Latin-script word boundaries; for the other spaced scripts also treat Indic vowel signs (not \w) as word characters.
_LATIN_BEFORE, _LATIN_AFTER = r"(?<!\w)", r"(?!\w)"
_SCRIPT_BEFORE, _SCRIPT_AFTER = r"(?<![\w\u0900-\u0dff])", r"(?![\w\u0900-\u0dff])"


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


def _translation_table() -> dict[int, str | None]:
    """Map punctuation to spaces, drop marks that spelling leaves out, fold letter variants to one form."""
    table: dict[int, str | None] = {}
    # Punctuation and symbols become spaces ("co-production", "assess, plan, do" and "EHC/EHCP" split alike).
    for start, stop in (
        (0x0000, 0x0B00),
        (0x2000, 0x2070),
        (0x2E00, 0x2E80),
        (0x3000, 0x3040),
        (0xFE10, 0xFE70),
        (0xFF00, 0xFF70),
    ):
        for cp in range(start, stop):
            if unicodedata.category(chr(cp))[0] in "PS":
                table[cp] = " "
    table.update(dict.fromkeys((0x02BB, 0x02BC), " "))  # modifier-letter apostrophes (Somali glottal stop)
    # Accents (after NFKD) and Arabic-script diacritics, tatweel, invisible joiners and direction marks.
    deleted = [
        *range(0x0300, 0x0370),
        *range(0x0610, 0x061B),
        *range(0x064B, 0x0660),
        0x0670,
        *range(0x06D6, 0x06DD),
        *range(0x06DF, 0x06E9),
        *range(0x06EA, 0x06EE),
        0x0640,
        *range(0x200B, 0x2010),
        0x061C,
        0x00AD,
        0x2060,
        0xFEFF,
        0x0A3C,
        0x0A71,
    ]  # Gurmukhi nukta and addak, which many writers leave out
    table.update(dict.fromkeys(deleted))
    letters = {
        # Latin letters that do not decompose under NFKD.
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ø": "o",
        "Ø": "O",
        "ħ": "h",
        "ı": "i",
        "ß": "ss",
        "ẞ": "SS",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        # Arabic / Persian / Urdu / Pashto / Kurdish letter variants, so the spellings of the five languages meet.
        "ي": "ی",
        "ى": "ی",
        "ې": "ی",
        "ۍ": "ی",
        "ێ": "ی",
        "ك": "ک",
        "ہ": "ه",
        "ە": "ه",
        "ھ": "ه",
        "ة": "ه",
        "ۃ": "ه",
        "ٱ": "ا",
        "ۆ": "و",
        "ڕ": "ر",
        "ڵ": "ل",
        "ګ": "گ",
        "ټ": "ٹ",
        "ډ": "ڈ",
        "ړ": "ڑ",
        "ੰ": "ਂ",  # Gurmukhi tippi and bindi are used interchangeably
    }
    table.update({ord(k): v for k, v in letters.items()})
    for zero in (0x0660, 0x06F0, 0x09E6, 0x0A66):  # Arabic-Indic, Persian, Bengali and Gurmukhi digits
        table.update({zero + d: str(d) for d in range(10)})
    return table


_TRANSLATION = _translation_table()


def normalize(text: str) -> str:
    """Normalise text for matching; case is kept (matching ignores it where that is safe).

    Applies NFKD (compatibility forms, and accents split off so they can be dropped), removes accents and Arabic
    diacritics, folds Arabic-script letter variants (ي/ی, ك/ک, ه/ہ/ە/ة, ...), turns punctuation into spaces and
    collapses whitespace.

    Args:
        text: Any text.

    Returns:
        The normalised text.

    """
    decomposed = text if text.isascii() else unicodedata.normalize("NFKD", text)
    return " ".join(decomposed.translate(_TRANSLATION).split())


# Scripts matched as substrings, each compiled and run separately (and only when the text contains that script), so
# every regex stays small. Chinese has no spaces; Arabic-script prefixes (ال، و، ب) and Urdu/Bengali/Punjabi suffixes
# would hide whole-word matches.
_SCRIPTS: dict[str, re.Pattern[str]] = {
    "arabic": re.compile(r"[\u0600-\u06ff\u0750-\u077f]"),
    "bengali": re.compile(r"[\u0980-\u09ff]"),
    "gurmukhi": re.compile(r"[\u0a00-\u0a7f]"),
    "han": re.compile(r"[\u3400-\u9fff\uf900-\ufaff]"),
}


_PARENTHESIS = re.compile(r"\s*[(（]([^)）]*)[)）]\s*")


def _match_forms(entry: TermEntry) -> Iterator[str]:
    """The forms to match: a term written "X (Y)" also matches "X" and "Y" on their own, then the aliases."""
    yield entry.term
    inner = _PARENTHESIS.findall(entry.term)
    if inner:
        yield _PARENTHESIS.sub(" ", entry.term)
        yield from inner
    yield from entry.aliases


def _script(form: str) -> str:
    """The substring script of ``form``, or ``"latin"`` when all its letters are Latin."""
    for name, pattern in _SCRIPTS.items():
        if pattern.search(form):
            return name
    if all(ch.isascii() or "LATIN" in unicodedata.name(ch, "") for ch in form if ch.isalpha()):
        return "latin"
    return "other"


def _is_short(form: str) -> bool:
    """Whether a spaced-script form is too short to match inside longer words (e.g. "جی پی", "অন্ধ")."""
    letters = [sum(ch.isalpha() for ch in token) for token in form.split()]
    return sum(letters) <= _MAX_CASE_SENSITIVE_ACRONYM or max(letters) <= 2


def _is_case_sensitive(form: str) -> bool:
    """Whether a Latin form is an acronym that must match in capitals only."""
    return form in _WORD_LIKE_ACRONYMS or (
        len(form) <= _MAX_CASE_SENSITIVE_ACRONYM and form.isascii() and form.isalnum() and form.isupper()
    )


def _trie_pattern(words: Iterable[str]) -> str:
    """A regex alternation factored as a trie, longest alternative first, so one pass tries all words cheaply."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def render(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + render(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:  # a word ends here: the longer continuations are tried first
            return ("(?:" + body + ")?") if len(branches) == 1 else body + "?"
        return body

    return render(root)


@dataclass(frozen=True)
class _Pattern:
    """One compiled trie; it captures, at every position where a form starts, the longest form there."""

    regex: re.Pattern[str]
    exact: bool  # runs on case-kept text and looks up ``exact_keys``; otherwise lower-cased text and ``lower_keys``
    gate: re.Pattern[str] | None  # run only when the text contains this script


@dataclass(frozen=True)
class _Matcher:
    """Compiled patterns for one set of languages."""

    patterns: tuple[_Pattern, ...]
    lower_keys: Mapping[str, tuple[int, ...]]  # lower-cased normalised form -> term indexes
    exact_keys: Mapping[str, tuple[int, ...]]  # case-sensitive acronym -> term indexes

    @classmethod
    def build(cls, terms: Sequence[GlossaryTerm], languages: Iterable[str]) -> _Matcher:
        """Compile the forms of ``languages`` in ``terms``.

        Args:
            terms: The glossary terms; their positions are what matches report.
            languages: The language codes whose forms to include.

        Returns:
            The matcher.

        """
        lower: dict[str, set[int]] = {}
        exact: dict[str, set[int]] = {}
        groups: dict[tuple[str, bool], set[str]] = {}  # (script, whole words only) -> keys
        for index, term in enumerate(terms):
            for lang in languages:
                for raw in _match_forms(term.entries[lang]):
                    form = normalize(raw)
                    if not form:
                        continue
                    script = _script(form)
                    if script == "latin" and _is_case_sensitive(form):
                        exact.setdefault(form, set()).add(index)
                        groups.setdefault(("acronym", True), set()).add(form)
                        continue
                    bounded = script in ("latin", "other") or (script != "han" and _is_short(form))
                    key = form.lower()
                    lower.setdefault(key, set()).add(index)
                    groups.setdefault((script, bounded), set()).add(key)
        patterns = []
        for (script, bounded), keys in sorted(groups.items()):
            if script in ("latin", "acronym"):
                before, after = _LATIN_BEFORE, _LATIN_AFTER
            elif bounded:
                before, after = _SCRIPT_BEFORE, _SCRIPT_AFTER
            else:  # tried at every position: a cheap first-character test skips most of them
                before, after = "(?=[" + "".join(sorted({re.escape(key[0]) for key in keys})) + "])", ""
            regex = re.compile(f"{before}(?=({_trie_pattern(sorted(keys))}){after})")
            patterns.append(_Pattern(regex=regex, exact=script == "acronym", gate=_SCRIPTS.get(script)))
        return cls(
            patterns=tuple(patterns),
            lower_keys=MappingProxyType({k: tuple(sorted(v)) for k, v in lower.items()}),
            exact_keys=MappingProxyType({k: tuple(sorted(v)) for k, v in exact.items()}),
        )

    def candidates(self, text: str) -> list[tuple[int, int, int, int]]:
        """The longest form starting at each position of normalised text, longest first.

        Args:
            text: Output of :func:`normalize`.

        Returns:
            ``(-length, start, end, term index)`` tuples, sorted.

        """
        lowered = text.lower()  # same length: normalize() already split the one exception, "İ"
        found: list[tuple[int, int, int, int]] = []
        for pattern in self.patterns:
            if pattern.gate is not None and not pattern.gate.search(text):
                continue
            keys, haystack = (self.exact_keys, text) if pattern.exact else (self.lower_keys, lowered)
            for match in pattern.regex.finditer(haystack):
                start, end = match.span(1)
                found.extend((start - end, start, end, index) for index in keys.get(match.group(1), ()))
        found.sort()
        return found


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
        self._matchers: dict[str | None, _Matcher] = {}

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

    def _matcher(self, lang: str | None) -> _Matcher:
        """The matcher for ``lang`` plus English (every language when ``lang`` is ``None``), compiled once."""
        matcher = self._matchers.get(lang)
        if matcher is None:
            languages = LANGUAGES if lang is None else ("en", lang) if lang != "en" else ("en",)
            matcher = self._matchers[lang] = _Matcher.build(self._terms, languages)
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
