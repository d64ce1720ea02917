"""Script-aware matching of glossary wording in text, so spelling, accents and affixes do not hide a term."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

# All-capital acronyms this short (SEN, OT, GP, LA, CAT, CES, SPE, ...) match only in capitals, so they do not fire on
# everyday words in another language (Polish "sen" = sleep, Romanian "la" = at, folded "cât" = how much).
_MAX_CASE_SENSITIVE_ACRONYM = 3
# Longer acronyms that are also ordinary English words.
_WORD_LIKE_ACRONYMS = frozenset({"SEND", "SALT"})

# Latin-script word boundaries; for the other spaced scripts also treat Indic vowel signs (not \w) as word characters.
_LATIN_BEFORE, _LATIN_AFTER = r"(?<!\w)", r"(?!\w)"
_SCRIPT_BEFORE, _SCRIPT_AFTER = r"(?<![\w\u0900-\u0dff])", r"(?![\w\u0900-\u0dff])"


class Wording(Protocol):
    """The parts of a glossary entry that matching reads (a :class:`navigator.glossary.TermEntry`)."""

    @property
    def term(self) -> str:
        """The natural way to say it."""
        ...

    @property
    def aliases(self) -> tuple[str, ...]:
        """Other ways to write it."""
        ...


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

# Clause ends in the scripts the navigator reads: Latin punctuation, Arabic comma/semicolon/question mark, the Urdu
# full stop, the Devanagari/Bengali danda, and the Chinese full-width marks.
_CLAUSE_END = re.compile(r"[,.;:!?\n\u060c\u061b\u061f\u06d4\u0964\u3001\u3002\uff0c\uff01\uff1f\uff1b]+")


def clause_spans(text: str) -> list[tuple[int, int]]:
    """Where the clauses of ``text`` are, split at punctuation (non-empty spans, in order)."""
    spans, start = [], 0
    for end in _CLAUSE_END.finditer(text):
        if end.start() > start and text[start : end.start()].strip():
            spans.append((start, end.start()))
        start = end.end()
    if start < len(text) and text[start:].strip():
        spans.append((start, len(text)))
    return spans


_WORDISH = re.compile(r"\S+")
_HAN = re.compile(r"[\u3400-\u9fff]")


def word_count(text: str) -> int:
    """How many words a message has, in any script: a run of Chinese characters counts one word per two.

    Only what holds a letter counts ("ok !!" is one word).
    """
    count = 0
    for token in _WORDISH.findall(text):
        han = len(_HAN.findall(token))
        if han:
            count += (han + 1) // 2 + (1 if any(ch.isalpha() and not _HAN.match(ch) for ch in token) else 0)
        elif any(ch.isalpha() for ch in token):
            count += 1
    return count


_QUESTION_END = re.compile(r"[?\u061f\uff1f]+")
_MIN_PART_LETTERS = 8  # "why?" or "and?" is a follow-on, not a question of its own


def _letters(text: str) -> int:
    """Letters, a Chinese character counting as two (it is a word, or most of one)."""
    return sum(2 if "\u3400" <= ch <= "\u9fff" else 1 for ch in text if ch.isalpha())


def question_parts(text: str) -> list[str]:
    """The separate questions of a message that asks more than one (each up to its question mark).

    Text before the first question that asks nothing ("My son is 9.") stays with that question, and text after
    the last one ("he is in a bad way tonight") with the last; a message with fewer than two questions gives one
    part, the whole message.
    """
    parts: list[str] = []
    start = 0
    for end in _QUESTION_END.finditer(text):
        part = text[start : end.end()].strip()
        if _letters(part) >= _MIN_PART_LETTERS:
            parts.append(part)
            start = end.end()
    rest = text[start:].strip()
    if parts and rest:
        parts[-1] = f"{parts[-1]} {rest}"
    return parts if len(parts) > 1 else [" ".join(text.split())]


# Sentence ends: Latin marks, the Arabic question mark, the Urdu full stop, the danda and the Chinese full-width marks.
_SENTENCE_END = re.compile(r"[.!?\n\u061f\u06d4\u0964\u3002\uff01\uff1f]+")


def after_opening(text: str) -> str | None:
    """What a message says after its opening sentence ("Who do I ring at night? He is in a bad way."), or None.

    A message that opens with a practical question and only then tells of harm is read, as a whole, as the
    question: the rest is worth judging on its own. A greeting ("Hi.") is not an opening sentence.
    """
    for end in _SENTENCE_END.finditer(text):
        if _letters(text[: end.start()]) >= _MIN_PART_LETTERS:
            rest = " ".join(text[end.end() :].split())
            return rest if _letters(rest) >= _MIN_PART_LETTERS else None
    return None


def parts_alone(text: str) -> list[str]:
    """The parts of a message worth judging on their own: each of its sentences, and what it says after the opening.

    A disclosure told in one sentence of a long message about an EHCP, or after a practical question, is diluted in
    the message's vector as a whole. A message of one sentence has no parts.
    """
    sentences, start = [], 0
    for end in _SENTENCE_END.finditer(text):
        sentence = " ".join(text[start : end.end()].split())
        start = end.end()
        if _letters(sentence) >= _MIN_PART_LETTERS:
            sentences.append(sentence)
    tail = " ".join(text[start:].split())
    if _letters(tail) >= _MIN_PART_LETTERS:
        sentences.append(tail)
    if len(sentences) < 2:
        return []
    rest = after_opening(text)
    return list(dict.fromkeys([*sentences, *([rest] if rest else [])]))


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


def _match_forms(entry: Wording) -> Iterator[str]:
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
class TermMatcher:
    """Compiled patterns for one set of languages."""

    patterns: tuple[_Pattern, ...]
    lower_keys: Mapping[str, tuple[int, ...]]  # lower-cased normalised form -> term indexes
    exact_keys: Mapping[str, tuple[int, ...]]  # case-sensitive acronym -> term indexes

    @classmethod
    def build(cls, terms: Sequence[Mapping[str, Wording]], languages: Iterable[str]) -> TermMatcher:
        """Compile the forms of ``languages`` in ``terms``.

        Args:
            terms: Each glossary term's entries by language; their positions are what matches report.
            languages: The language codes whose forms to include.

        Returns:
            The matcher.

        """
        lower: dict[str, set[int]] = {}
        exact: dict[str, set[int]] = {}
        groups: dict[tuple[str, bool], set[str]] = {}  # (script, whole words only) -> keys
        for index, term in enumerate(terms):
            for lang in languages:
                for raw in _match_forms(term[lang]):
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
