"""Compare a message's meaning with example disclosures and example ordinary questions, in every language.

Families describe harm in more ways than any word list holds ("there are marks on her back and she won't say
why"). The multilingual model puts messages that mean the same near each other in any of the languages, so the
nearest examples tell a disclosure from an ordinary SEND question: the score is how much nearer the message is
to its closest disclosures (of one category) than to its closest ordinary questions. The ordinary side holds
look-alikes on purpose (staff policy questions, negations, idioms such as "I'm dying to know").
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from navigator.errors import ConfigError
from navigator.glossary import LANGUAGES

_FIX_HINT = "Fix navigator/data/safeguarding_exemplars.json (format in navigator/answer/safety_semantic.py)."

EmbedMany = Callable[[Sequence[str]], np.ndarray]
"""Unit-length query vectors of several texts, one row each (the same model and prompt as the message's)."""


@dataclass(frozen=True)
class Exemplars:
    """Example disclosures (category, language, text) and example ordinary messages (language, text)."""

    risk: tuple[tuple[str, str, str], ...]
    ordinary: tuple[tuple[str, str], ...]

    def digest(self) -> str:
        """A hash of the examples, so vectors are reused only for the same texts."""
        payload = json.dumps([self.risk, self.ordinary], ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def parse_exemplars(data: Any, categories: Sequence[str] | None = None) -> Exemplars:
    """Validate ``{"risk": {lang: {category: [text]}}, "ordinary": {lang: [text]}}``.

    Raises:
        ConfigError: a part is missing, empty, of the wrong shape, or names an unknown language or category.

    """
    if not isinstance(data, dict) or not all(isinstance(data.get(k), dict) for k in ("risk", "ordinary")):
        raise ConfigError(f"the exemplars need 'risk' and 'ordinary' objects. {_FIX_HINT}")
    risk: list[tuple[str, str, str]] = []
    ordinary: list[tuple[str, str]] = []
    unknown = sorted((set(data["risk"]) | set(data["ordinary"])) - set(LANGUAGES))
    if unknown:
        raise ConfigError(f"unknown language codes {unknown}. {_FIX_HINT}")
    for lang, by_category in data["risk"].items():
        if not isinstance(by_category, dict):
            raise ConfigError(f"risk[{lang!r}] must map categories to lists of texts. {_FIX_HINT}")
        for category, texts in by_category.items():
            if categories is not None and category not in categories:
                raise ConfigError(f"risk[{lang!r}] names an unknown category {category!r}. {_FIX_HINT}")
            risk.extend((category, lang, text) for text in _texts(texts, f"risk[{lang!r}][{category!r}]"))
    for lang, texts in data["ordinary"].items():
        ordinary.extend((lang, text) for text in _texts(texts, f"ordinary[{lang!r}]"))
    if not risk or not ordinary:
        raise ConfigError(f"the exemplars need at least one disclosure and one ordinary message. {_FIX_HINT}")
    return Exemplars(tuple(risk), tuple(ordinary))


def _texts(raw: Any, where: str) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(t, str) and t.strip() for t in raw):
        raise ConfigError(f"{where} must be a list of non-empty texts. {_FIX_HINT}")
    return [" ".join(t.split()) for t in raw]


@lru_cache(maxsize=1)
def load_exemplars() -> Exemplars:
    """The examples shipped in ``data/safeguarding_exemplars.json``."""
    text = resources.files("navigator").joinpath("data", "safeguarding_exemplars.json").read_text(encoding="utf-8")
    return parse_exemplars(json.loads(text))


@dataclass(frozen=True)
class Nearest:
    """The category whose examples a message is nearest, and by how much it beats the ordinary examples."""

    category: str
    language: str
    example: str
    margin: float


# Vectors of the examples, per model and set of examples: several services in one process (a reload, tests)
# embed them once.
_VECTORS: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
_VECTORS_LOCK = threading.Lock()


class ExemplarMatcher:
    """Scores a message's vector against example disclosures per category and example ordinary messages."""

    def __init__(self, embed_many: EmbedMany, exemplars: Exemplars, model_key: str, neighbours: int = 3) -> None:
        """Keep the parts; nothing is embedded until first use (or :meth:`warm_up`).

        Args:
            embed_many: unit-length query vectors of several texts.
            exemplars: the examples.
            model_key: names the model (and its files), so cached example vectors are never mixed across models.
            neighbours: how many nearest examples are averaged on each side.

        """
        self._embed_many = embed_many
        self.exemplars = exemplars
        self._key = (model_key, exemplars.digest())
        self.neighbours = neighbours
        categories = sorted({c for c, _, _ in exemplars.risk})
        self._categories = categories
        self._rows = {c: np.array([i for i, (rc, _, _) in enumerate(exemplars.risk) if rc == c]) for c in categories}

    def warm_up(self) -> None:
        """Embed the examples now rather than on the first request."""
        self._vectors()

    def _vectors(self) -> tuple[np.ndarray, np.ndarray]:
        with _VECTORS_LOCK:
            cached = _VECTORS.get(self._key)
            if cached is None:
                risk = self._embed_many([t for _, _, t in self.exemplars.risk])
                ordinary = self._embed_many([t for _, t in self.exemplars.ordinary])
                cached = (np.asarray(risk, dtype=np.float32), np.asarray(ordinary, dtype=np.float32))
                _VECTORS[self._key] = cached
            return cached

    def nearest(self, vector: np.ndarray) -> Nearest:
        """The nearest category and its margin over the ordinary examples (positive: nearer to disclosures)."""
        risk, ordinary = self._vectors()
        k = self.neighbours
        ordinary_sims = ordinary @ vector
        near_ordinary = float(np.mean(_top(ordinary_sims, k)))
        risk_sims = risk @ vector
        best: Nearest | None = None
        for category in self._categories:
            rows = self._rows[category]
            sims = risk_sims[rows]
            score = float(np.mean(_top(sims, k))) - near_ordinary
            if best is None or score > best.margin:
                top = int(rows[int(np.argmax(sims))])
                _, lang, text = self.exemplars.risk[top]
                best = Nearest(category, lang, text, score)
        assert best is not None  # parse_exemplars requires at least one disclosure
        return best


def _top(values: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` largest values (all of them when there are fewer)."""
    if len(values) <= k:
        return values
    return np.partition(values, len(values) - k)[-k:]
