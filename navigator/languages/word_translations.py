"""The documents' everyday English words, and the words families type for them in the ten other languages.

The glossary names SEND terms and the families' phrases name situations; a question in Polish or Somali also
turns on plain words ("transport", "waiting", "appeal", "therapy") that lexical search cannot match against
English passages. ``data/word_translations.json`` lists, for each of several hundred content words of the
documents, the words a parent would type for it in each language: exact words, or a stem ending in ``*`` for
languages whose endings change (Polish "szkoł*" for szkoła, szkole, szkołę). A question's words that match add
their English words to the lexical query only; nothing is translated for the reader.

Matching folds spelling the way the glossary does (accents, Arabic-script letter variants, case). Arabic also
loses the article and attached conjunctions and prepositions ("والمدرسة" → "مدرسة") before matching; Chinese,
written without spaces, matches its words inside the text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from navigator.data_files import shipped_json
from navigator.errors import ConfigError
from navigator.languages.glossary import LANGUAGES
from navigator.languages.matching import normalize

_FIX_HINT = "Fix navigator/data/word_translations.json (format in navigator/languages/word_translations.py)."
MIN_STEM = 4  # a shorter stem starts too many unrelated words
MIN_WORD = 2  # one letter (or one Chinese character) matches too much
# Arabic attaches the article and one-letter conjunctions and prepositions to the word that follows.
_ARABIC_PREFIXES = ("وبال", "وال", "بال", "فال", "كال", "لل", "ال", "و", "ب", "ل", "ف")
_UNSPACED = frozenset({"zh"})


_APOSTROPHES = str.maketrans("", "", "'’ʼʻ")


def _fold(text: str) -> str:
    """Folded for matching; an apostrophe inside a word (Somali "hay'ad") is dropped on both sides, not split on."""
    return normalize(text.translate(_APOSTROPHES)).casefold()


@dataclass(frozen=True)
class LanguageWords:
    """One language's words: exact forms and stems, each mapped to the English words it stands for."""

    exact: Mapping[str, tuple[str, ...]]
    stems: Mapping[str, tuple[str, ...]]
    phrases: Mapping[str, tuple[str, ...]]  # forms that fold to several words ("মা-বাবা" → "মা বাবা")

    def english_for(self, word: str) -> tuple[str, ...]:
        """The English words a folded word of a question stands for (its longest matching stem, or exact form)."""
        found = self.exact.get(word)
        if found:
            return found
        for end in range(len(word), MIN_STEM - 1, -1):
            found = self.stems.get(word[:end])
            if found:
                return found
        return ()


class WordTranslations:
    """Finds the English words a question's own words stand for, per language."""

    def __init__(self, languages: Mapping[str, LanguageWords]) -> None:
        self.languages = MappingProxyType(dict(languages))

    def english_words(self, text: str, lang: str | None) -> list[str]:
        """The English words ``text``'s words stand for, in order and without repeats ([] for English or unknown)."""
        words = self.languages.get(lang or "")
        if words is None:
            return []
        folded = _fold(text)
        found = [e for phrase, english in words.phrases.items() if f" {phrase} " in f" {folded} " for e in english]
        if lang in _UNSPACED:
            for form, english in words.exact.items():
                if form in folded:
                    found.extend(english)
            return list(dict.fromkeys(found))
        for word in folded.split():
            english = words.english_for(word)
            if not english and lang == "ar":
                english = next(
                    (
                        words.english_for(word[len(p) :])
                        for p in _ARABIC_PREFIXES
                        if word.startswith(p)
                        and len(word) - len(p) >= MIN_WORD + 1
                        and words.english_for(word[len(p) :])
                    ),
                    (),
                )
            found.extend(english)
        return list(dict.fromkeys(found))


def parse_word_translations(data: Any) -> WordTranslations:
    """Validate ``{"languages": {lang: {english word: [form, "stem*", ...]}}, "excluded": {lang: [...]}}``.

    ``excluded`` lists words with a common second meaning that must not be read as an English word (``{"form":
    "دورہ", "not": "visits", "why": "also a seizure"}``): a listed form or stem that would read one that way is an
    error.

    Raises:
        ConfigError: a part is malformed, a language is unknown, a form is too short to match safely, or an excluded
            word would be read as the meaning it was excluded from.

    """
    if not isinstance(data, dict) or not isinstance(data.get("languages"), dict):
        raise ConfigError(f"the file needs a 'languages' object. {_FIX_HINT}")
    parsed: dict[str, LanguageWords] = {}
    for lang, entries in data["languages"].items():
        if lang not in LANGUAGES or lang == "en" or not isinstance(entries, dict):
            raise ConfigError(
                f"languages[{lang!r}] must be one of {LANGUAGES[1:]} with an object of words. {_FIX_HINT}"
            )
        exact: dict[str, list[str]] = {}
        stems: dict[str, list[str]] = {}
        phrases: dict[str, list[str]] = {}
        for english, forms in entries.items():
            if not isinstance(forms, list) or not all(isinstance(f, str) and f.strip() for f in forms):
                raise ConfigError(f"{lang}: {english!r} needs a list of words. {_FIX_HINT}")
            for form in forms:
                stem = form.strip().endswith("*")
                folded = _fold(form.strip().rstrip("*"))
                if stem and (" " in folded or lang in _UNSPACED):
                    raise ConfigError(
                        f"{lang}: {form!r} ({english}) cannot be a stem: a stem is one word of a language written "
                        f"with spaces. {_FIX_HINT}"
                    )
                if len(folded) < (MIN_STEM if stem else MIN_WORD):
                    raise ConfigError(f"{lang}: {form!r} ({english}) is too short to match safely. {_FIX_HINT}")
                kind = stems if stem else phrases if " " in folded else exact
                kind.setdefault(folded, []).append(str(english))
        parsed[lang] = LanguageWords(
            *(
                MappingProxyType({k: tuple(dict.fromkeys(v)) for k, v in kind.items()})
                for kind in (exact, stems, phrases)
            )
        )
    words = WordTranslations(parsed)
    _check_excluded(words, data.get("excluded") or {})
    return words


def _check_excluded(words: WordTranslations, excluded: Any) -> None:
    if not isinstance(excluded, dict):
        raise ConfigError(f"'excluded' must map languages to lists. {_FIX_HINT}")
    for lang, entries in excluded.items():
        if not isinstance(entries, list):
            raise ConfigError(f"excluded[{lang!r}] must be a list. {_FIX_HINT}")
        for entry in entries:
            if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("form", "not", "why")):
                raise ConfigError(f"each excluded word needs 'form', 'not' and 'why'. {_FIX_HINT}")
            if entry["not"] in words.english_words(entry["form"], lang):
                raise ConfigError(
                    f"{lang}: {entry['form']!r} is excluded as {entry['not']!r} ({entry['why']}) but a listed form or "
                    f"stem reads it so. {_FIX_HINT}"
                )


@lru_cache(maxsize=1)
def load_word_translations() -> WordTranslations:
    """The shipped ``data/word_translations.json``."""
    return parse_word_translations(shipped_json("word_translations.json"))
