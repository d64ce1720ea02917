"""Word patterns that tell of a child or family at risk, with inflections, objects and negation, in 11 languages.

A pattern is a short sequence of slots rather than a fixed phrase, so one line covers "his dad hit him", "dad
has been hitting my son" and "my stepdad beat me": a slot lists alternatives (``hit|hits|beat*``, where ``*``
takes any ending, a trailing ``.`` none: ``يضرب.`` is "hits" but not "يضربني", "hits me"), names a shared word
class (``{ADULT}``), is optional (a trailing ``?``) or is a gap of a few words (``~``); ``_`` joins several words
into one alternative (``no_one|nobody``). Latin-script patterns match
whole words; other scripts match inside words, because Urdu, Bengali and Punjabi suffixes and Arabic-script
prefixes would hide whole-word matches, and Chinese has no spaces. In Urdu, Punjabi and Bengali a negation follows
what it negates (``negations_after``).

Patterns come in two kinds. An *event* tells what happened to someone ("dad hits him"); only a negation next to
it ("nobody hits him") cancels it. A *topic* names a harm without a person ("county lines", "self-harm"),
so a message that also has a policy or information cue ("our policy on", "training") is a staff question, not a
disclosure, and the topic is set aside.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from navigator.errors import ConfigError
from navigator.languages.matching import normalize

Kind = Literal["event", "topic"]
ALL_CATEGORIES = "*"  # in ``contexts``: cues that make every category doubtful ("if a pupil tells me…")
KINDS: tuple[Kind, ...] = ("event", "topic")

_FIX_HINT = "Fix navigator/data/safeguarding.json (format in navigator/answer/safety_patterns.py)."
_LATIN_LETTER = r"[0-9a-z\u00df-\u024f]"
_LATIN_WORD = f"{_LATIN_LETTER}+"
_OTHER_LETTERS = r"[^\s0-9a-z]"  # letters of the other scripts (after lower-casing)
_LATIN_GAP_WORDS = 3  # "~" in Latin script: up to this many words in between
_OTHER_GAP_CHARS = 14  # "~" elsewhere: up to this many characters in between
_NEGATION_WORDS = 3  # a negation cue among the last words before an event cancels it (not one a clause earlier)
_NEGATION_CHARS = 18  # and within this many characters (Chinese has no spaces to count words by)
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_MACRO = re.compile(r"\{([A-Z_]+)\}")
_APOSTROPHES = "'\u2019\u02bc`"


def prepare_text(text: str) -> str:
    """Text as the patterns see it: apostrophes dropped ("doesn't" -> "doesnt"), then normalised and lower-cased."""
    for mark in _APOSTROPHES:
        text = text.replace(mark, "")
    return normalize(text).lower()


def is_latin(form: str) -> bool:
    """Whether every letter of a form is Latin (so it is matched by whole words)."""
    return all(ch.isascii() or "LATIN" in unicodedata.name(ch, "") for ch in form if ch.isalpha())


@dataclass(frozen=True)
class PatternHit:
    """Where one pattern matched."""

    category: str
    language: str
    kind: Kind
    pattern: str
    span: tuple[int, int]


@dataclass(frozen=True)
class CompiledPattern:
    """One pattern of the data file, compiled."""

    category: str
    language: str
    kind: Kind
    source: str
    regex: re.Pattern[str]
    latin: bool

    def hits(self, text: str) -> Iterator[PatternHit]:
        """Every place the pattern occurs in prepared text."""
        for found in self.regex.finditer(text):
            yield PatternHit(self.category, self.language, self.kind, self.source, found.span())


@dataclass(frozen=True)
class LanguagePatterns:
    """One language's patterns, negation cues and policy cues."""

    language: str
    patterns: tuple[CompiledPattern, ...]
    negations: tuple[re.Pattern[str], ...]
    policy: tuple[re.Pattern[str], ...]
    exclusions: tuple[re.Pattern[str], ...]
    negations_after: tuple[re.Pattern[str], ...] = ()  # cues that follow what they negate (Urdu, Punjabi, Bengali)
    contexts: tuple[tuple[str, re.Pattern[str]], ...] = ()  # (category, cue): a cue that sets that category aside


class _Compiler:
    """Turns the slot notation into regular expressions, with one language's word classes."""

    def __init__(self, language: str, macros: Mapping[str, str], where: str) -> None:
        self.language = language
        self.macros = dict(macros)
        self.where = where
        self._expanding: list[str] = []

    def compile(self, pattern: str, *, whole_words: bool = False) -> tuple[re.Pattern[str], bool]:
        """The regex of a whole pattern, and whether it is matched by whole words.

        ``whole_words`` makes a pattern in another script (not Chinese) match only between spaces: negation cues
        such as Arabic "مش" would otherwise be found inside ordinary words.
        """
        if not isinstance(pattern, str) or not pattern.strip():
            raise ConfigError(f"{self.where}: every pattern must be a non-empty string. {_FIX_HINT}")
        letters = self._letters(pattern)
        latin = is_latin(letters)
        body = self._sequence(pattern.strip(), latin)
        if latin:
            return re.compile(f"(?<!{_LATIN_LETTER}){body}(?!{_LATIN_LETTER})"), True
        if whole_words and not _HAN.search(letters):
            return re.compile(rf"(?<!\S){body}(?!\S)"), False
        return re.compile(body), False

    def _letters(self, pattern: str) -> str:
        """The pattern's letters with its word classes expanded, to judge its script."""
        return _MACRO.sub(lambda m: self._macro_text(m.group(1)), pattern)

    def _macro_text(self, name: str) -> str:
        if name not in self.macros:
            raise ConfigError(f"{self.where}: unknown word class {{{name}}} for {self.language!r}. {_FIX_HINT}")
        return self.macros[name]

    def _sequence(self, text: str, latin: bool) -> str:
        """Slots in order; each slot after the first brings its own separator, so optional slots and gaps vanish."""
        slots = text.split()
        if slots[0] == "~" or slots[-1] == "~":
            raise ConfigError(f"{self.where}: a pattern cannot start or end with '~'. {_FIX_HINT}")
        sep = " " if latin else r"\s*"
        out = ""
        leading = True  # before the first required slot: optional slots carry their separator after them
        for slot in slots:
            if slot == "~":
                out += f"(?: {_LATIN_WORD}){{0,{_LATIN_GAP_WORDS}}}" if latin else f".{{0,{_OTHER_GAP_CHARS}}}?"
                continue
            optional = slot.endswith("?") and len(slot) > 1
            slot = slot.removesuffix("?") if optional else slot
            alternatives = [self._alternative(a, latin) for a in slot.split("|") if a]
            if not alternatives:
                raise ConfigError(f"{self.where}: empty slot in a pattern. {_FIX_HINT}")
            body = f"(?:{'|'.join(alternatives)})"
            if leading:
                out += f"(?:{body}{sep})?" if optional else body
                leading = optional
            else:
                out += f"(?:{sep}{body})?" if optional else sep + body
        if leading:
            raise ConfigError(f"{self.where}: a pattern needs at least one slot that is not optional. {_FIX_HINT}")
        return out

    def _alternative(self, word: str, latin: bool) -> str:
        macro = _MACRO.fullmatch(word)
        if macro:
            name = macro.group(1)
            if name in self._expanding:
                raise ConfigError(f"{self.where}: word class {{{name}}} refers to itself. {_FIX_HINT}")
            self._expanding.append(name)
            try:
                return f"(?:{self._sequence(self._macro_text(name), latin)})"
            finally:
                self._expanding.pop()
        if "_" in word:  # several words as one alternative ("in_danger|at_risk"), each word checked alone
            sep = " " if latin else r"\s*"
            return sep.join(self._alternative(part, latin) for part in word.split("_") if part)
        ends = word.endswith(".") and len(word) > 1  # the word ends here: no suffix may follow
        word = word.removesuffix(".") if ends else word
        if "*" in word.rstrip("*") or (ends and word.endswith("*")):
            raise ConfigError(f"{self.where}: {word!r} has a '*' that is not at the end. {_FIX_HINT}")
        stem = prepare_text(word.rstrip("*")).replace(" ", "")
        if not stem:
            raise ConfigError(f"{self.where}: {word!r} has no letters. {_FIX_HINT}")
        if word.endswith("*"):
            if latin and len(stem) < 3:
                raise ConfigError(f"{self.where}: {word!r} needs at least 3 letters before '*'. {_FIX_HINT}")
            return re.escape(stem) + (f"{_LATIN_LETTER}*" if latin else f"{_OTHER_LETTERS}*")
        return re.escape(stem) + (r"(?!\w)" if ends else "")


def _strings(raw: Any, where: str) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
        raise ConfigError(f"{where} must be a list of strings. {_FIX_HINT}")
    return raw


def parse_language(language: str, raw: Any, categories: Sequence[str]) -> LanguagePatterns:
    """Compile one language's block: ``{"classes", "events", "topics", "negations", "policy", "exclusions"}``.

    ``exclusions`` are harmless phrases that contain a pattern ("missing lessons", "beat the deadline"): a hit
    that overlaps one is ignored. ``contexts`` maps a category (or ``*``, every category) to cues that make its
    patterns doubtful ("sensory", "meltdown" for a child who hits himself; "if a pupil tells me" for all): with
    one present, that category is left to the meaning check's higher bar, like a negated event.

    Raises:
        ConfigError: the block breaks the format in this module's docstring.

    """
    where = f"languages[{language!r}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be an object. {_FIX_HINT}")
    classes = raw.get("classes", {})
    if not isinstance(classes, dict) or not all(isinstance(v, str) for v in classes.values()):
        raise ConfigError(f"{where}['classes'] must map NAMES to slot text. {_FIX_HINT}")
    compiler = _Compiler(language, classes, where)
    patterns: list[CompiledPattern] = []
    for kind, key in (("event", "events"), ("topic", "topics")):
        by_category = raw.get(key, {})
        if not isinstance(by_category, dict):
            raise ConfigError(f"{where}[{key!r}] must map categories to lists. {_FIX_HINT}")
        stray = sorted(set(by_category) - set(categories))
        if stray:
            raise ConfigError(f"{where}[{key!r}] has categories {stray} not in 'categories'. {_FIX_HINT}")
        for category, items in by_category.items():
            for text in _strings(items, f"{where}[{key!r}][{category!r}]"):
                regex, latin = compiler.compile(text)
                patterns.append(CompiledPattern(category, language, kind, text, regex, latin))  # type: ignore[arg-type]
    negations = tuple(
        compiler.compile(t, whole_words=True)[0] for t in _strings(raw.get("negations", []), f"{where}['negations']")
    )
    policy = tuple(compiler.compile(t)[0] for t in _strings(raw.get("policy", []), f"{where}['policy']"))
    exclusions = tuple(compiler.compile(t)[0] for t in _strings(raw.get("exclusions", []), f"{where}['exclusions']"))
    after_raw = _strings(raw.get("negations_after", []), f"{where}['negations_after']")
    after = tuple(compiler.compile(t, whole_words=True)[0] for t in after_raw)
    raw_contexts = raw.get("contexts", {})
    if not isinstance(raw_contexts, dict) or sorted(set(raw_contexts) - {*categories, ALL_CATEGORIES}):
        raise ConfigError(f"{where}['contexts'] must map categories to lists of cues. {_FIX_HINT}")
    contexts = tuple(
        (category, compiler.compile(text)[0])
        for category, cues in raw_contexts.items()
        for text in _strings(cues, f"{where}['contexts'][{category!r}]")
    )
    return LanguagePatterns(language, tuple(patterns), negations, policy, exclusions, after, contexts)


def negated_after(text: str, hit: PatternHit, cues: Sequence[re.Pattern[str]]) -> bool:
    """Whether a negation cue directly follows the hit, as it does in Urdu, Punjabi and Bengali word order."""
    return any(cue.match(text, hit.span[1], hit.span[1] + _NEGATION_CHARS) for cue in cues) or any(
        cue.match(text[hit.span[1] :].lstrip()[:_NEGATION_CHARS]) for cue in cues
    )


def negated(text: str, hit: PatternHit, latin: bool, cues: Sequence[re.Pattern[str]]) -> bool:
    """Whether a negation cue comes just before the hit ("nobody hits him", "he is not in danger") or inside it.

    Inside counts only for patterns that hold no negation of their own: a gap may have swallowed one ("he hasn't
    gone missing"), while "doesn't want to live" is itself the risk.
    """
    start, end = hit.span
    before = text[:start]
    window = " ".join(before.split()[-_NEGATION_WORDS:])
    if not latin:
        window = window[-_NEGATION_CHARS:]
    if any(cue.search(window) for cue in cues):
        return True
    own = prepare_text(hit.pattern.replace("_", " ").replace("|", " "))
    if any(cue.search(own) for cue in cues):
        return False
    return any(cue.search(text[start:end]) for cue in cues)
