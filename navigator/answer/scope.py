"""Tell greetings, SEND questions and unrelated messages apart, so only SEND questions get answered.

Raw cosine to the corpus cannot tell: multilingual-e5 puts "what's the weather tomorrow" as close to some
short corpus sentence as a real question. Comparing the message with two small sets of example questions,
one about SEND support and one about everything else, separates them well in every language, because the
model maps the languages into one space. A message that names a SEND term (glossary) is always in scope.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from navigator.data_files import shipped_json
from navigator.errors import ConfigError
from navigator.languages.matching import normalize


@dataclass(frozen=True)
class ScopeData:
    """Greeting phrases per language, and example questions inside and outside the navigator's scope."""

    greetings: dict[str, tuple[str, ...]]
    in_scope: tuple[str, ...]
    out_of_scope: tuple[str, ...]


def parse_scope_data(raw: Any) -> ScopeData:
    """Validate the scope file's content.

    Raises:
        ConfigError: a part is missing or empty.

    """
    try:
        greetings = {lang: tuple(str(p) for p in phrases) for lang, phrases in raw["greetings"].items()}
        data = ScopeData(greetings, tuple(raw["in_scope"]), tuple(raw["out_of_scope"]))
    except (KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"The scope data file is malformed ({exc!r}); see navigator/data/README.md.") from exc
    if not data.in_scope or not data.out_of_scope or not data.greetings:
        raise ConfigError("The scope data file needs greetings and both sets of example questions.")
    return data


@lru_cache(maxsize=1)
def load_scope_data() -> ScopeData:
    """The shipped ``data/scope.json``."""
    return parse_scope_data(shipped_json("scope.json"))


_PUNCTUATION = re.compile(r"[\W_]+")


class GreetingDetector:
    """Recognises messages that are only a greeting or thanks, in any of the languages."""

    def __init__(self, greetings: Mapping[str, Sequence[str]]) -> None:
        phrases = {normalize(p).casefold() for group in greetings.values() for p in group}
        ordered = sorted((p for p in phrases if p), key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(p) for p in ordered))

    def is_greeting(self, text: str) -> bool:
        """True when nothing but greeting phrases, names of the service and punctuation is left."""
        folded = normalize(text).casefold()
        if not folded.strip() or len(folded) > 80:
            return False
        if not self._pattern.search(folded):
            return False
        rest = self._pattern.sub(" ", folded)
        rest = _PUNCTUATION.sub(" ", rest)
        leftover = [w for w in rest.split() if w not in {"there", "navigator", "send", "sir", "madam", "ji"}]
        return not leftover


class ScopeClassifier:
    """Tells SEND questions from unrelated ones by their nearest example questions."""

    def __init__(
        self,
        embed_query: Callable[[str], np.ndarray],
        data: ScopeData,
        margin: float = -0.01,
        neighbours: int = 3,
    ) -> None:
        self._embed = embed_query
        self._data = data
        self.margin = margin  # below this (out-of-scope likeness minus SEND likeness, negated) → out of scope
        self.neighbours = neighbours
        self._anchors: tuple[np.ndarray, np.ndarray] | None = None

    def warm_up(self) -> None:
        """Embed the example questions now rather than on the first request."""
        self._anchor_vectors()

    def _anchor_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        if self._anchors is None:
            inside = np.vstack([self._embed(q) for q in self._data.in_scope])
            outside = np.vstack([self._embed(q) for q in self._data.out_of_scope])
            self._anchors = (inside, outside)
        return self._anchors

    def score(self, vector: np.ndarray) -> float:
        """How much closer the message is to SEND questions than to unrelated ones (positive: closer)."""
        inside, outside = self._anchor_vectors()
        k = self.neighbours
        near_in = float(np.sort(inside @ vector)[::-1][:k].mean())
        near_out = float(np.sort(outside @ vector)[::-1][:k].mean())
        return near_in - near_out

    def in_scope(self, vector: np.ndarray, names_send_term: bool) -> bool:
        """Whether the navigator should try to answer the message."""
        return names_send_term or self.score(vector) >= self.margin
