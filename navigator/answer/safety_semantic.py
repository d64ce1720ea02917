"""Compare a message's meaning with example disclosures and example ordinary questions, in every language.

Families describe harm in more ways than any word list holds ("there are marks on her back and she won't say
why"). The multilingual model puts messages that mean the same near each other in any of the languages, so the
nearest examples tell a disclosure from an ordinary SEND question: the score is how much nearer the message is
to its closest disclosures (of one category) than to its closest ordinary questions. The ordinary side holds
look-alikes on purpose (staff policy questions, negations, idioms such as "I'm dying to know").

A handful of neighbours judges each message locally; a linear boundary fitted on all the examples' vectors
(``LinearProbe``, ``data/safeguarding_probe.json``) judges it globally. Each catches messages the other misses,
so when the probe is present the meaning score adds the two, each in units of its spread over ordinary messages.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from navigator.data_files import shipped_json
from navigator.errors import ConfigError
from navigator.languages.glossary import LANGUAGES
from navigator.storage.files import atomic_write

logger = logging.getLogger(__name__)

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
    return parse_exemplars(shipped_json("safeguarding_exemplars.json"))


@dataclass(frozen=True)
class Nearest:
    """The category whose examples a message is nearest, and by how much it beats the ordinary examples."""

    category: str
    language: str
    example: str
    margin: float  # nearer to the category's examples than to ordinary ones by this much (cosine)
    score: float  # what thresholds compare: the margin, or with a probe the margin and the probe combined


@dataclass(frozen=True)
class LinearProbe:
    """A linear boundary between example disclosures and ordinary examples, and how to combine it with margins.

    Fitted by ``python -m evals.safeguarding.calibrate`` on the examples' vectors; ``scales`` are the mean and
    spread of each signal over the calibration half's ordinary messages, scored out of fold.
    """

    weights: np.ndarray
    bias: float
    model: str  # the embedding model whose vectors it was fitted on
    examples: str  # the digest of the examples it was fitted on (Exemplars.digest)
    margin_scale: tuple[float, float]
    probe_scale: tuple[float, float]
    about: str = ""

    def decision(self, rows: np.ndarray) -> float:
        """The highest signed distance from the boundary over the rows (the message and its clauses)."""
        return float(np.max(rows @ self.weights + self.bias))

    def combine(self, margin: float, decision: float) -> float:
        """Both signals in units of their spread over ordinary messages, added."""
        return (margin - self.margin_scale[0]) / self.margin_scale[1] + (
            decision - self.probe_scale[0]
        ) / self.probe_scale[1]

    def to_json(self) -> dict[str, Any]:
        """The probe as ``data/safeguarding_probe.json`` holds it."""
        return {
            "about": self.about,
            "model": self.model,
            "examples": self.examples,
            "margin_scale": [round(v, 8) for v in self.margin_scale],
            "probe_scale": [round(v, 8) for v in self.probe_scale],
            "bias": round(self.bias, 8),
            "weights": [round(float(w), 8) for w in self.weights],
        }


def parse_probe(data: Any) -> LinearProbe:
    """Validate a probe file's contents.

    Raises:
        ConfigError: a part is missing or of the wrong shape, or a spread is not positive.

    """
    fix = "Refit it with `python -m evals.safeguarding.calibrate` (which also chooses the margins)."
    try:
        weights = np.asarray(data["weights"], dtype=np.float32)
        margin_scale = (float(data["margin_scale"][0]), float(data["margin_scale"][1]))
        probe_scale = (float(data["probe_scale"][0]), float(data["probe_scale"][1]))
        probe = LinearProbe(
            weights, float(data["bias"]), str(data["model"]), str(data["examples"]), margin_scale, probe_scale,
            str(data.get("about", "")),
        )
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise ConfigError(f"the safeguarding probe is malformed ({exc!r}). {fix}") from exc
    if weights.ndim != 1 or not len(weights) or margin_scale[1] <= 0 or probe_scale[1] <= 0:
        raise ConfigError(f"the safeguarding probe needs weights and positive spreads. {fix}")
    return probe


@lru_cache(maxsize=1)
def load_probe() -> LinearProbe:
    """The probe shipped in ``data/safeguarding_probe.json``."""
    return parse_probe(shipped_json("safeguarding_probe.json"))


# Vectors of the examples, per model and set of examples: several services in one process (a reload, tests)
# embed them once.
_VECTORS: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
_VECTORS_LOCK = threading.Lock()


class ExemplarMatcher:
    """Scores a message's vector against example disclosures per category and example ordinary messages."""

    def __init__(
        self,
        embed_many: EmbedMany,
        exemplars: Exemplars,
        model_key: str,
        neighbours: int = 3,
        cache_dir: Path | None = None,
        probe: LinearProbe | None = None,
    ) -> None:
        """Keep the parts; nothing is embedded until first use (or :meth:`warm_up`).

        Args:
            embed_many: unit-length query vectors of several texts.
            exemplars: the examples.
            model_key: names the model (and its files), so cached example vectors are never mixed across models.
            neighbours: how many nearest examples are averaged on each side.
            cache_dir: where the examples' vectors are kept between processes (embedding them all takes tens of
                seconds on two cores); ``None`` keeps them in memory only.
            probe: a linear boundary fitted on these examples' vectors; with it, scores combine both signals.

        Raises:
            ConfigError: the probe was fitted on other examples.

        """
        self._embed_many = embed_many
        self.exemplars = exemplars
        self._key = (model_key, exemplars.digest())
        if probe is not None and probe.examples != self._key[1]:
            raise ConfigError(
                "the safeguarding probe was fitted on other examples than data/safeguarding_exemplars.json: refit it "
                "with `python -m evals.safeguarding.calibrate`."
            )
        self.probe = probe
        self.neighbours = neighbours
        self._cache_file = None
        if cache_dir is not None:
            name = hashlib.sha256("\x00".join(self._key).encode("utf-8")).hexdigest()[:24]
            self._cache_file = Path(cache_dir) / f"safeguarding-examples-{name}.npz"
        categories = sorted({c for c, _, _ in exemplars.risk})
        self._categories = categories
        self._rows = {c: np.array([i for i, (rc, _, _) in enumerate(exemplars.risk) if rc == c]) for c in categories}

    def warm_up(self) -> None:
        """Embed the examples now rather than on the first request."""
        self._vectors()

    def example_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """The disclosures' and the ordinary examples' vectors, rows in the order of ``exemplars``."""
        return self._vectors()

    def _vectors(self) -> tuple[np.ndarray, np.ndarray]:
        with _VECTORS_LOCK:
            cached = _VECTORS.get(self._key) or self._read_cache()
            if cached is None:
                risk = self._embed_many([t for _, _, t in self.exemplars.risk])
                ordinary = self._embed_many([t for _, t in self.exemplars.ordinary])
                cached = (np.asarray(risk, dtype=np.float32), np.asarray(ordinary, dtype=np.float32))
                self._write_cache(cached)
            _VECTORS[self._key] = cached
            return cached

    def _read_cache(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The vectors from the cache file, when it was written for this model and these examples."""
        if self._cache_file is None or not self._cache_file.is_file():
            return None
        try:
            with np.load(self._cache_file, allow_pickle=False) as stored:
                if str(stored["key"]) != "\x00".join(self._key):
                    return None
                risk, ordinary = stored["risk"], stored["ordinary"]
        except (OSError, KeyError, ValueError) as exc:
            logger.warning("ignoring the unreadable example-vector cache %s: %s", self._cache_file, exc)
            return None
        if risk.shape[0] != len(self.exemplars.risk) or ordinary.shape[0] != len(self.exemplars.ordinary):
            return None
        return risk.astype(np.float32), ordinary.astype(np.float32)

    def _write_cache(self, vectors: tuple[np.ndarray, np.ndarray]) -> None:
        """Keep the vectors for the next process; a failure only costs the next start its time."""
        if self._cache_file is None:
            return
        try:
            with atomic_write(self._cache_file, "wb") as handle:
                np.savez(handle, key=np.array("\x00".join(self._key)), risk=vectors[0], ordinary=vectors[1])
        except OSError as exc:
            logger.warning("could not keep the example vectors in %s: %s", self._cache_file, exc)

    def nearest_of(
        self, vector: np.ndarray, clauses: np.ndarray | None = None, leave_out: frozenset[str] = frozenset()
    ) -> Nearest:
        """The best of :meth:`nearest` over the whole message and each of its clauses, scored with the probe if any.

        ``leave_out`` applies to the neighbours only: a probe is fitted once (calibration fits one per fold).
        """
        best = self.nearest(vector, leave_out)
        rows = clauses if clauses is not None and clauses.size else np.zeros((0, len(vector)), dtype=np.float32)
        for row in rows:
            candidate = self.nearest(row, leave_out)
            if candidate.margin > best.margin:
                best = candidate
        if self.probe is None:
            return best
        decision = self.probe.decision(np.vstack([np.asarray(vector, dtype=np.float32), rows]))
        return replace(best, score=self.probe.combine(best.margin, decision))

    def nearest(self, vector: np.ndarray, leave_out: frozenset[str] = frozenset()) -> Nearest:
        """The nearest category and its margin over the ordinary examples (positive: nearer to disclosures).

        Args:
            vector: the message's unit-length query vector.
            leave_out: example texts to ignore (calibration scores a message without its own copy).

        """
        risk, ordinary = self._vectors()
        k = self.neighbours
        ordinary_sims = ordinary @ vector
        if leave_out:
            ordinary_sims = ordinary_sims[[t not in leave_out for _, t in self.exemplars.ordinary]]
        near_ordinary = float(np.mean(_top(ordinary_sims, k)))
        risk_sims = risk @ vector
        best: Nearest | None = None
        for category in self._categories:
            rows = self._rows[category]
            if leave_out:
                rows = rows[[self.exemplars.risk[i][2] not in leave_out for i in rows]]
            if not len(rows):
                continue
            sims = risk_sims[rows]
            score = float(np.mean(_top(sims, k))) - near_ordinary
            if best is None or score > best.margin:
                top = int(rows[int(np.argmax(sims))])
                _, lang, text = self.exemplars.risk[top]
                best = Nearest(category, lang, text, score, score)
        assert best is not None  # parse_exemplars requires at least one disclosure
        return best


def _top(values: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` largest values (all of them when there are fewer)."""
    if len(values) <= k:
        return values
    return np.partition(values, len(values) - k)[-k:]
