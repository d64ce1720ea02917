"""Whether a question asks for health or medical advice, so that a decline names a health service first.

The documents describe SEND services; they never say which medicine, dose, therapy or diagnosis suits a child, so
such questions are declined, and the SEND advice services a decline lists cannot answer them either. Questions
about medicines, symptoms and treatments read alike in any language, so a linear boundary over the query vector
retrieval already has (no extra model call) tells them apart. It is fitted on the answerability set's
calibration half only: the questions its writers labelled ``medical_advice`` against every other question
(``python -m evals.answerability.health``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from navigator.data_files import shipped_json
from navigator.errors import ConfigError

_FIX_HINT = "Fit it again with `python -m evals.answerability.health`."


@dataclass(frozen=True)
class HealthProbe:
    """A question is a health question when ``vector · weights + bias`` reaches ``threshold``."""

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

    def asks_health(self, vector: np.ndarray | None) -> bool:
        """Whether the question behind this query vector asks for health or medical advice."""
        return vector is not None and self.score(np.asarray(vector, dtype=np.float32)) >= self.threshold

    def to_json(self) -> dict[str, Any]:
        """The stored form (``data/health_probe.json``)."""
        return {
            "about": self.about,
            "model": self.model,
            "threshold": self.threshold,
            "bias": self.bias,
            "weights": [round(float(w), 6) for w in self.weights],
        }


def parse_health_probe(raw: Any) -> HealthProbe:
    """Validate the stored probe.

    Raises:
        ConfigError: a part is missing or malformed.

    """
    try:
        weights = np.asarray([float(w) for w in raw["weights"]], dtype=np.float32)
        probe = HealthProbe(weights, float(raw["bias"]), float(raw["threshold"]), str(raw["model"]), str(raw["about"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"The health-question probe is malformed ({exc!r}). {_FIX_HINT}") from exc
    if not len(weights) or not np.isfinite(weights).all() or not probe.model:
        raise ConfigError(f"The health-question probe needs finite weights and the model it was fitted on. {_FIX_HINT}")
    return probe


@lru_cache(maxsize=1)
def load_health_probe() -> HealthProbe:
    """The probe shipped in ``data/health_probe.json``.

    Raises:
        ConfigError: the file is missing or malformed.

    """
    try:
        raw = shipped_json("health_probe.json")
    except (OSError, ValueError) as exc:
        raise ConfigError(f"The health-question probe cannot be read ({exc}). {_FIX_HINT}") from exc
    return parse_health_probe(raw)
