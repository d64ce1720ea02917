"""Spot messages that tell of a child or family at risk, in 11 languages: word patterns plus meaning.

Two signals, either of which is enough. Word patterns (``safety_patterns.py``, data in
``data/safeguarding.json``) catch what is said outright, with inflections, objects and negation. The meaning
of the message, its query vector (the one retrieval computes anyway, so no extra model call), is compared with
example disclosures and example ordinary questions, and with a boundary fitted on them (``safety_semantic.py``,
``data/safeguarding_exemplars.json``, ``data/safeguarding_probe.json``), which catches the many ways of saying
the same thing that no pattern lists, in any of the languages.

A negation ("he is not in danger") or a staff policy cue ("our policy on county lines") only raises the bar the
meaning must clear: when in doubt, the family gets the signposting and still an answer.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

from navigator.answer.safety_patterns import (
    ALL_CATEGORIES,
    LanguagePatterns,
    PatternHit,
    negated,
    negated_after,
    parse_language,
    prepare_text,
)
from navigator.answer.safety_semantic import ExemplarMatcher
from navigator.data_files import shipped_json
from navigator.errors import ConfigError
from navigator.languages.glossary import LANGUAGES
from navigator.languages.matching import clause_spans, word_count

_SCHEMA_VERSION = 2
_FIX_HINT = "Fix navigator/data/safeguarding.json (format in navigator/answer/safety_patterns.py)."

Signal = Literal["pattern", "meaning"]


@dataclass(frozen=True)
class SafeguardingMatch:
    """Why a message was flagged.

    Attributes:
        category: One of the data file's categories (``suicide``, ``physical_abuse``, ``missing`` …).
        language: The language of the pattern or nearest example that matched (not necessarily the message's).
        phrase: The pattern as written in the data file, or the nearest example disclosure.
        signal: ``pattern`` (words) or ``meaning`` (the message's vector near example disclosures).
        margin: For ``meaning``: the meaning score (how much nearer the message is to disclosures than to ordinary
            questions, combined with the probe when there is one).
        guarded: Whether a negation or a policy cue was present (the meaning then had to clear a higher bar).

    """

    category: str
    language: str
    phrase: str
    signal: Signal = "pattern"
    margin: float | None = None
    guarded: bool = False


SHORT_WORDS = 10


def short_bar(words: int, raise_by: float, short_words: int = SHORT_WORDS) -> float:
    """How much to raise the meaning bar for a message of ``words`` words: ``raise_by`` × the share of words it lacks.

    A short follow-up ("ok I'll ring them tomorrow") has little meaning of its own, and its nearest examples are
    often short disclosures; a word pattern still catches what is said outright, at any length.
    """
    if short_words <= 0 or words >= short_words:
        return 0.0
    return raise_by * (short_words - max(words, 0)) / short_words


@dataclass(frozen=True)
class PatternData:
    """The compiled data file: categories (most urgent first) and each language's patterns."""

    categories: tuple[str, ...]
    languages: tuple[LanguagePatterns, ...]
    # Every language's cues apply to every message (families mix languages): flattened once, not per message.
    rank: dict[str, int] = field(init=False)
    policy: tuple[re.Pattern[str], ...] = field(init=False)
    after: tuple[re.Pattern[str], ...] = field(init=False)  # negations that follow what they negate
    negations: tuple[re.Pattern[str], ...] = field(init=False)  # every negation cue, before or after
    exclusions: tuple[re.Pattern[str], ...] = field(init=False)
    contexts: tuple[tuple[str, re.Pattern[str]], ...] = field(init=False)

    def __post_init__(self) -> None:
        langs = self.languages
        after = tuple(cue for lang in langs for cue in lang.negations_after)
        object.__setattr__(self, "rank", {c: i for i, c in enumerate(self.categories)})
        object.__setattr__(self, "policy", tuple(cue for lang in langs for cue in lang.policy))
        object.__setattr__(self, "after", after)
        object.__setattr__(self, "negations", (*(cue for lang in langs for cue in lang.negations), *after))
        object.__setattr__(self, "exclusions", tuple(cue for lang in langs for cue in lang.exclusions))
        object.__setattr__(self, "contexts", tuple(pair for lang in langs for pair in lang.contexts))


def parse_safeguarding(data: Any) -> PatternData:
    """Compile the decoded ``safeguarding.json``.

    Args:
        data: ``{"version": 2, "categories": [...], "languages": {lang: {"classes", "events", "topics",
            "negations", "policy"}}}``.

    Raises:
        ConfigError: If the document breaks the format described in ``safety_patterns.py``.

    """
    if not isinstance(data, dict) or data.get("version") != _SCHEMA_VERSION:
        raise ConfigError(f"safeguarding patterns must be an object with version {_SCHEMA_VERSION}. {_FIX_HINT}")
    categories = data.get("categories")
    if (
        not isinstance(categories, list)
        or not categories
        or not all(isinstance(c, str) and c for c in categories)
        or len(set(categories)) != len(categories)
    ):
        raise ConfigError(f"'categories' must be a non-empty list of distinct names. {_FIX_HINT}")
    languages = data.get("languages")
    if not isinstance(languages, dict):
        raise ConfigError(f"'languages' must map language codes to their patterns. {_FIX_HINT}")
    unknown = sorted(set(languages) - set(LANGUAGES))
    if unknown:
        raise ConfigError(f"unknown language codes {unknown}; use {list(LANGUAGES)}. {_FIX_HINT}")
    compiled = tuple(parse_language(lang, raw, categories) for lang, raw in languages.items())
    return PatternData(tuple(categories), compiled)


@lru_cache(maxsize=1)
def default_pattern_data() -> PatternData:
    """The patterns shipped in the package, compiled once per process."""
    return parse_safeguarding(shipped_json("safeguarding.json"))


@dataclass(frozen=True)
class PatternReading:
    """What the word patterns found in one message."""

    hit: PatternHit | None  # the most urgent hit that counts
    guarded: bool  # a negated event, or a topic beside a policy cue, or a negation/policy cue at all


class SafeguardingDetector:
    """Flags messages that tell of abuse, self-harm, suicide, a missing or exploited child, neglect or a crisis.

    Every language's patterns are checked whatever language the message is in, because families mix languages
    ("meri beti self-harm kar rahi hai").
    """

    def __init__(
        self,
        path: Path | None = None,
        matcher: ExemplarMatcher | None = None,
        *,
        margin: float = 0.0,
        guarded_margin: float = 0.0,
        pattern_floor: float = float("-inf"),
        parts_offset: float = float("inf"),
        short_raise: float = 0.0,
    ) -> None:
        """Remember the parts; the data is read and compiled on first use.

        Args:
            path: A patterns JSON file; ``None`` uses the packaged ``data/safeguarding.json``.
            matcher: Compares a message's vector with example disclosures; ``None`` uses the patterns alone.
            margin: The meaning score a message needs to be flagged (in the matcher's units: a cosine margin, or
                with a probe the combined score).
            guarded_margin: The same when a negation or a policy cue is present (higher: doubt lowers certainty).
            pattern_floor: A pattern hit counts unless the meaning score is below this (minus infinity: patterns
                always count).
            parts_offset: Each sentence, and what is said after the opening sentence, judged alone, counts with its
                meaning score lowered by this much (a part alone is shorter, and short texts score higher; infinity:
                the whole message only).
            short_raise: How much higher the meaning bar is for a message of one word than for one of
                ``SHORT_WORDS`` or more, in between in proportion to the words it lacks (:func:`short_bar`).

        """
        self._path = path
        self._data: PatternData | None = None
        self.matcher = matcher
        self.margin = margin
        self.guarded_margin = guarded_margin
        self.pattern_floor = pattern_floor
        self.parts_offset = parts_offset
        self.short_raise = short_raise

    def _pattern_data(self) -> PatternData:
        if self._data is None:
            if self._path is None:
                self._data = default_pattern_data()
            else:
                try:
                    raw = json.loads(Path(self._path).read_text(encoding="utf-8"))
                except json.JSONDecodeError as exc:
                    raise ConfigError(f"{self._path} is not valid JSON: {exc}. {_FIX_HINT}") from exc
                self._data = parse_safeguarding(raw)
        return self._data

    @property
    def reads_parts(self) -> bool:
        """Whether :meth:`detect` uses a message's parts judged alone (worth a model run)."""
        return self.matcher is not None and math.isfinite(self.parts_offset)

    @property
    def categories(self) -> tuple[str, ...]:
        """The categories, most urgent first.

        Raises:
            ConfigError: If the patterns file is malformed.

        """
        return self._pattern_data().categories

    def warm_up(self) -> None:
        """Compile the patterns and embed the examples now rather than on the first request."""
        self._pattern_data()
        if self.matcher is not None:
            self.matcher.warm_up()

    def read_patterns(self, text: str) -> PatternReading:
        """The most urgent pattern that counts in ``text``, and whether doubt cues are present.

        Patterns, exclusions and negations are matched clause by clause (split at punctuation), so a gap never
        reaches across a comma ("he is safe, no danger") and "I don't know what to do, dad hits me" is not
        negated; policy and doubt contexts hold for the whole message.

        Raises:
            ConfigError: If the patterns file is malformed.

        """
        data = self._pattern_data()
        whole = prepare_text(text)
        if not whole:
            return PatternReading(None, False)
        policy = any(cue.search(whole) for cue in data.policy)
        doubtful = {category for category, cue in data.contexts if cue.search(whole)}
        best: tuple[int, int, int, PatternHit] | None = None
        guarded = policy
        clauses = [prepare_text(text[start:end]) for start, end in clause_spans(text)] or [whole]
        for order, clause in enumerate(clauses):
            excluded = [m.span() for cue in data.exclusions for m in cue.finditer(clause)]
            for lang in data.languages:
                for pattern in lang.patterns:
                    for hit in pattern.hits(clause):
                        if any(hit.span[0] < end and start < hit.span[1] for start, end in excluded):
                            continue
                        if (pattern.kind == "topic" and policy) or {hit.category, ALL_CATEGORIES} & doubtful:
                            guarded = True
                            continue
                        negative = negated(clause, hit, pattern.latin, data.negations)
                        if negative or negated_after(clause, hit, data.after):
                            guarded = True
                            continue
                        key = (data.rank[hit.category], order, hit.span[0], hit)
                        if best is None or key[:3] < best[:3]:
                            best = key
                        break
        return PatternReading(best[3] if best else None, guarded)

    def detect(
        self,
        text: str,
        vector: np.ndarray | None = None,
        clauses: np.ndarray | None = None,
        parts: np.ndarray | None = None,
    ) -> SafeguardingMatch | None:
        """Why ``text`` suggests a risk, or ``None``.

        Args:
            text: A message in any of the 11 languages, or a mix of them.
            vector: The message's unit-length query vector; without it (or without a matcher) only the patterns
                are used.
            clauses: Vectors of the message's clauses (rows), from the same model run: a disclosure followed by
                "what should I do?" is judged by its first clause too, which the whole message's vector dilutes.
            parts: Vectors (rows) of the message's sentences and of what it says after its opening sentence, each
                embedded alone: "Who do I ring at night? He is in a bad way." reads as its question as a whole, and
                clauses pooled in that run carry the question with them.

        A pattern hit stands unless the meaning check is sure the message is ordinary: words alone cannot tell
        "grooming" as hair care from grooming by an adult.

        Raises:
            ConfigError: If a data file is malformed.

        """
        reading = self.read_patterns(text)
        nearest = None if vector is None or self.matcher is None else self.matcher.nearest_of(vector, clauses)
        # Whether a pattern hit is sound is the whole message's to say; a part alone only adds a reason to flag.
        if reading.hit is not None and (nearest is None or nearest.score >= self.pattern_floor):
            hit = reading.hit
            return SafeguardingMatch(hit.category, hit.language, hit.pattern, "pattern", None, reading.guarded)
        if nearest is None:
            return None
        for row in () if parts is None else parts:
            assert self.matcher is not None  # a nearest example was found above
            alone = self.matcher.nearest_of(row)
            lowered = alone.score - self.parts_offset
            if lowered > nearest.score:
                nearest = replace(alone, score=lowered)
        bar = self.guarded_margin if reading.guarded else self.margin
        if self.short_raise:
            bar += short_bar(word_count(text), self.short_raise)
        if nearest.score < bar:
            return None
        return SafeguardingMatch(
            nearest.category, nearest.language, nearest.example, "meaning", nearest.score, reading.guarded
        )
