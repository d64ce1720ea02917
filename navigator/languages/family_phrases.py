"""How families describe a situation, mapped to the terms the documents use for it.

A parent writes "they send him home at lunchtime" or "only mornings now"; the documents say "part-time
timetable". A parent writes "kicked out"; the documents say "exclusion". Each situation in
``data/family_phrases.json`` lists such phrases in all eleven languages and the glossary terms they stand for,
so retrieval can also search the documents' words. Everyday phrases with a second meaning that would send the
search astray ("statement" of a bank account, "review" of a film) are listed under ``excluded``, with the
reason, and are never matched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from navigator.data_files import shipped_json
from navigator.errors import ConfigError
from navigator.languages.glossary import LANGUAGES
from navigator.languages.matching import TermMatcher, normalize

_FIX_HINT = "Fix navigator/data/family_phrases.json (format in navigator/languages/family_phrases.py)."


@dataclass(frozen=True)
class _Wording:
    """One situation's phrases in one language, in the shape the term matcher reads."""

    term: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Situation:
    """A situation families describe, the glossary terms it stands for, and their phrases per language."""

    id: str
    terms: tuple[str, ...]
    about: str
    phrases: Mapping[str, tuple[str, ...]] = field(hash=False)
    excluded: Mapping[str, tuple[tuple[str, str], ...]] = field(hash=False)  # (phrase, why) per language


class FamilyPhrases:
    """Finds the situations a message describes, in its language and in English."""

    def __init__(self, situations: Sequence[Situation]) -> None:
        self.situations = tuple(situations)
        self._matchers: dict[str | None, TermMatcher] = {}

    def _matcher(self, lang: str | None) -> TermMatcher:
        key = lang if lang in LANGUAGES else None
        if key not in self._matchers:
            languages = list(LANGUAGES) if key is None else list(dict.fromkeys([key, "en"]))
            wordings = [
                {code: _Wording(s.phrases[code][0], s.phrases[code][1:]) for code in LANGUAGES}
                for s in self.situations
            ]
            self._matchers[key] = TermMatcher.build(wordings, languages)
        return self._matchers[key]

    def find(self, text: str, lang: str | None = None) -> list[Situation]:
        """The situations ``text`` describes (in ``lang`` or English; any language when ``lang`` is None)."""
        normalized = normalize(text)
        if not normalized:
            return []
        found = sorted({index for *_, index in self._matcher(lang).candidates(normalized)})
        return [self.situations[i] for i in found]

    def term_ids(self, text: str, lang: str | None = None) -> list[str]:
        """The glossary term ids of the situations ``text`` describes, without repeats."""
        return list(dict.fromkeys(t for s in self.find(text, lang) for t in s.terms))


def _strings(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(p, str) and p.strip() for p in raw):
        raise ConfigError(f"{where} must be a non-empty list of non-empty phrases. {_FIX_HINT}")
    return tuple(" ".join(p.split()) for p in raw)


def parse_family_phrases(data: Any, term_ids: Iterable[str]) -> FamilyPhrases:
    """Validate ``{"situations": [{"id", "terms", "about", "phrases": {lang: [...]}, "excluded": {...}}]}``.

    Raises:
        ConfigError: a part is missing or malformed, a language is missing, a term is not in the glossary, or a
            phrase is both listed and excluded.

    """
    known = set(term_ids)
    if not isinstance(data, dict) or not isinstance(data.get("situations"), list):
        raise ConfigError(f"the file needs a 'situations' list. {_FIX_HINT}")
    situations: list[Situation] = []
    for raw in data["situations"]:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            raise ConfigError(f"every situation needs an 'id'. {_FIX_HINT}")
        sid = raw["id"]
        terms = _strings(raw.get("terms"), f"situation {sid!r} 'terms'")
        if set(terms) - known:
            raise ConfigError(f"situation {sid!r} names terms not in the glossary: {sorted(set(terms) - known)}.")
        phrases_raw = raw.get("phrases")
        if not isinstance(phrases_raw, dict) or set(LANGUAGES) - set(phrases_raw):
            raise ConfigError(f"situation {sid!r} needs phrases in every language {LANGUAGES}. {_FIX_HINT}")
        phrases = {lang: _strings(phrases_raw[lang], f"situation {sid!r} phrases[{lang!r}]") for lang in LANGUAGES}
        excluded: dict[str, tuple[tuple[str, str], ...]] = {}
        for lang, entries in (raw.get("excluded") or {}).items():
            if lang not in LANGUAGES or not isinstance(entries, list):
                raise ConfigError(f"situation {sid!r}: excluded[{lang!r}] must be a list. {_FIX_HINT}")
            pairs = []
            for entry in entries:
                if not isinstance(entry, dict) or not entry.get("phrase") or not entry.get("why"):
                    raise ConfigError(f"situation {sid!r}: each excluded phrase needs 'phrase' and 'why'.")
                pairs.append((str(entry["phrase"]), str(entry["why"])))
            excluded[lang] = tuple(pairs)
            listed = {normalize(p).casefold() for p in phrases.get(lang, ())}
            clash = [p for p, _ in pairs if normalize(p).casefold() in listed]
            if clash:
                raise ConfigError(f"situation {sid!r}: {clash} are both listed and excluded ({lang}).")
        situations.append(
            Situation(sid, terms, str(raw.get("about", "")), MappingProxyType(phrases), MappingProxyType(excluded))
        )
    return FamilyPhrases(situations)


@lru_cache(maxsize=1)
def load_family_phrases() -> FamilyPhrases:
    """The shipped ``data/family_phrases.json``, checked against the shipped glossary."""
    from navigator.languages.glossary import load_glossary

    return parse_family_phrases(shipped_json("family_phrases.json"), (t.id for t in load_glossary()))
