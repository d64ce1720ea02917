"""What an embedding runtime can give besides pooled vectors: every token's state, for late interaction.

Retrieval asks for token states through ``TokenStateSource``; the ONNX runtime implements it, PyTorch does not.
Kept apart from both so that neither runtime nor retrieval imports the other to name the type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class TokenStates:
    """One text's token states (unit rows, float16) with their token ids; special and prompt tokens left out."""

    vectors: np.ndarray  # (tokens, dimension)
    ids: np.ndarray  # (tokens,) int32


@runtime_checkable
class TokenStateSource(Protocol):
    """An embedding model that can also give token states (the ONNX embedder, when ``gives_states``)."""

    @property
    def gives_states(self) -> bool:
        """Whether this model's runtime has token states."""
        ...

    def token_states(self, texts: list[str], prompt_name: str) -> list[TokenStates]:
        """Token states of ``texts`` with the model's ``prompt_name`` prompt."""
        ...

    def query_with_states(self, text: str) -> tuple[list[float], TokenStates]:
        """The query vector and the query's token states, from one run of the model."""
        ...


def gives_states(model: object) -> bool:
    """Whether ``model`` can give token states."""
    return isinstance(model, TokenStateSource) and model.gives_states


def unit_rows(states: np.ndarray) -> np.ndarray:
    """Token states scaled to unit length, as float16 (half float32's memory while they are passed around)."""
    norms = np.linalg.norm(states, axis=1, keepdims=True)
    unit: np.ndarray = (states / np.maximum(norms, 1e-12)).astype(np.float16)
    return unit
