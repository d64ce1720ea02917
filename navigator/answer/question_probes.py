"""Linear boundaries over the query vector that tell what kind of question a decline is for.

The documents describe Birmingham's SEND services; a question they cannot answer is declined, and the SEND advice
services a decline lists cannot answer every such question either. Some kinds of question read alike in any
language, so a linear boundary over the query vector retrieval already has (no extra model call) tells them apart:

- health or medical advice (a dose, a therapy, whether a symptom is a condition): the decline opens with a GP, NHS
  111 and 999 and names NHS 111 first (``data/health_probe.json``, ``python -m evals.answerability.health``);
- one school's own arrangements, another council's area, one child's own case, benefits or money (DLA, grants): the
  decline also says who can answer that kind of question (``data/question_kinds_probe.json``,
  ``python -m evals.answerability.kinds``).

Each is fitted on the answerability set's calibration half only, against every other question there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from navigator.data_files import shipped_json
from navigator.errors import ConfigError

_HEALTH_FIX = "Fit it again with `python -m evals.answerability.health`."
_KINDS_FIX = "Fit them again with `python -m evals.answerability.kinds`."
# The kinds a decline can point elsewhere for; each has the locale string "decline_kind.<kind>" saying who can answer.
DECLINE_KINDS = ("named_school", "other_council", "own_case", "benefits_money")
# A health question (the health probe's) points to a GP, NHS 111 and 999 first: it may be urgent.
POINTER_KINDS = ("health", *DECLINE_KINDS)


@dataclass(frozen=True)
class QuestionProbe:
    """A question is of the probe's kind when ``vector · weights + bias`` reaches ``threshold``."""

    weights: np.ndarray
    bias: float
    threshold: float
    model: str  # the embedding model whose query vectors it was fitted on
    about: str = ""

    def score(self, vector: np.ndarray) -> float:
        """The boundary's score (minus infinity for a vector of another width: another model's)."""
        if vector.shape != self.weights.shape:
            return float("-inf")
        return float(vector @ self.weights) + self.bias

    def flags(self, vector: np.ndarray | None) -> bool:
        """Whether the question behind this query vector is of the probe's kind."""
        return vector is not None and self.score(np.asarray(vector, dtype=np.float32)) >= self.threshold

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return {
            "about": self.about,
            "model": self.model,
            "threshold": self.threshold,
            "bias": self.bias,
            "weights": [round(float(w), 6) for w in self.weights],
        }


def parse_question_probe(raw: Any, fix: str = _HEALTH_FIX) -> QuestionProbe:
    """Validate a stored probe.

    Raises:
        ConfigError: a part is missing or malformed.

    """
    try:
        weights = np.asarray([float(w) for w in raw["weights"]], dtype=np.float32)
        bias, threshold = float(raw["bias"]), float(raw["threshold"])
        probe = QuestionProbe(weights, bias, threshold, str(raw["model"]), str(raw["about"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"A question probe is malformed ({exc!r}). {fix}") from exc
    if not len(weights) or not np.isfinite(weights).all() or not probe.model:
        raise ConfigError(f"A question probe needs finite weights and the model it was fitted on. {fix}")
    return probe


@dataclass(frozen=True)
class QuestionKinds:
    """One probe per kind of question a decline can point elsewhere for."""

    probes: Mapping[str, QuestionProbe]

    @property
    def model(self) -> str:
        """The embedding model the probes were fitted on (one for all)."""
        return next(iter(self.probes.values())).model

    def kind_of(self, vector: np.ndarray | None) -> str | None:
        """The kind whose boundary the question passes by most, or None when it passes none."""
        if vector is None:
            return None
        query = np.asarray(vector, dtype=np.float32)
        passed = {k: p.score(query) - p.threshold for k, p in self.probes.items() if p.flags(query)}
        return max(passed, key=lambda k: passed[k]) if passed else None

    def to_json(self) -> dict[str, Any]:
        """The stored form (``data/question_kinds_probe.json``)."""
        return {"kinds": {kind: probe.to_json() for kind, probe in self.probes.items()}}


def parse_question_kinds(raw: Any) -> QuestionKinds:
    """Validate the stored probes: one for each of :data:`DECLINE_KINDS`, all fitted on one model.

    Raises:
        ConfigError: a kind is missing or unknown, a probe is malformed, or the probes disagree on the model.

    """
    kinds = raw.get("kinds") if isinstance(raw, dict) else None
    if not isinstance(kinds, dict) or set(kinds) != set(DECLINE_KINDS):
        raise ConfigError(f"The question-kind probes must cover exactly {DECLINE_KINDS}. {_KINDS_FIX}")
    probes = {kind: parse_question_probe(kinds[kind], _KINDS_FIX) for kind in DECLINE_KINDS}
    if len({p.model for p in probes.values()}) != 1 or len({p.weights.shape for p in probes.values()}) != 1:
        raise ConfigError(f"The question-kind probes must all be fitted on one model. {_KINDS_FIX}")
    return QuestionKinds(probes)


def _shipped(name: str, fix: str) -> Any:
    try:
        return shipped_json(name)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"The question probe file {name} cannot be read ({exc}). {fix}") from exc


@lru_cache(maxsize=1)
def load_health_probe() -> QuestionProbe:
    """The probe shipped in ``data/health_probe.json``.

    Raises:
        ConfigError: the file is missing or malformed.

    """
    return parse_question_probe(_shipped("health_probe.json", _HEALTH_FIX))


@lru_cache(maxsize=1)
def load_question_kinds() -> QuestionKinds:
    """The probes shipped in ``data/question_kinds_probe.json``.

    Raises:
        ConfigError: the file is missing or malformed.

    """
    return parse_question_kinds(_shipped("question_kinds_probe.json", _KINDS_FIX))
