"""Query and passage vectors as float32 arrays: batched, cached per text, with token states and clause vectors."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
from langchain_core.embeddings import Embeddings

from navigator.models.base import TokenStates, TokenStateSource, gives_states

logger = logging.getLogger(__name__)

T = TypeVar("T")


def query_vectors(embeddings: Embeddings, texts: Sequence[str]) -> np.ndarray:
    """Unit-length float32 query vectors of ``texts``, batched when the model can batch queries."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    batch = getattr(embeddings, "embed_queries", None)
    raw = batch(texts) if callable(batch) else [embeddings.embed_query(t) for t in texts]
    return normalize(np.asarray(raw, dtype=np.float32))


class QueryVectorCache:
    """Embeds each query once even when several retrievers (chunks, sentences, tokens) need it.

    A model that can give token states (``TokenStateSource``) gives them from the same run as the vector.
    """

    def __init__(self, embeddings: Embeddings, size: int = 256) -> None:
        self.embeddings = embeddings
        self._size = size
        self._cache: OrderedDict[str, tuple[np.ndarray, TokenStates | None, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def gives_states(self) -> bool:
        """Whether ``states`` returns token states."""
        return gives_states(self.embeddings)

    def vector(self, text: str) -> np.ndarray:
        """The unit-length float32 query vector for ``text``."""
        return self._entry(text)[0]

    def states(self, text: str) -> TokenStates | None:
        """The query's token states, or None when the model cannot give them."""
        return self._entry(text)[1]

    def clauses(self, text: str) -> np.ndarray:
        """Unit-length vectors of the query's clauses, one row each (no rows for one clause or another runtime)."""
        return self._entry(text)[2]

    def _entry(self, text: str) -> tuple[np.ndarray, TokenStates | None, np.ndarray]:
        with self._lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        states: TokenStates | None = None
        clauses = np.zeros((0, 0), dtype=np.float32)
        with_clauses = getattr(self.embeddings, "query_with_clauses", None)
        if callable(with_clauses):  # one run gives the vector, the token states and the clauses' vectors
            raw, states, clauses = with_clauses(text)
        elif isinstance(self.embeddings, TokenStateSource) and self.gives_states:
            raw, states = self.embeddings.query_with_states(text)
        else:
            raw = self.embeddings.embed_query(text)
        entry = (normalize(np.asarray([raw], dtype=np.float32))[0], states, clauses)
        with self._lock:
            self._cache[text] = entry
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return entry


def normalize(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, so inner product is cosine similarity."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    scaled: np.ndarray = (matrix / np.maximum(norms, 1e-12)).astype(np.float32)
    return scaled


def text_key(model_id: str, text: str) -> str:
    """Cache key of a passage embedding: the same text under the same model never needs re-embedding."""
    return hashlib.sha256(f"{model_id}\x00{text}".encode()).hexdigest()


def embed_cached(
    embeddings: Embeddings,
    texts: Sequence[str],
    keys: Sequence[str],
    cache: dict[str, np.ndarray],
    batch_size: int = 32,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Embed ``texts`` as passages, reusing vectors found in ``cache`` (by key) and adding new ones to it.

    Args:
        embeddings: the model.
        texts: passages to embed.
        keys: one cache key per text (see ``text_key``).
        cache: vectors from an earlier build; updated in place with the new ones.
        batch_size: texts per model call.
        progress: called with the number of distinct texts done, per batch and once for all cache hits.

    """

    def embed(batch: list[str]) -> list[np.ndarray]:
        return list(normalize(np.asarray(embeddings.embed_documents(batch), dtype=np.float32)))

    _fill(texts, keys, cache, embed, batch_size, progress)
    if not keys:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([cache[k] for k in keys]).astype(np.float32)


def embed_states_cached(
    source: TokenStateSource,
    texts: Sequence[str],
    keys: Sequence[str],
    cache: dict[str, TokenStates],
    batch_size: int = 32,
    progress: Callable[[int], None] | None = None,
) -> list[TokenStates]:
    """Token states of ``texts`` as passages, reusing those found in ``cache`` (as ``embed_cached`` does)."""
    _fill(texts, keys, cache, lambda batch: source.token_states(batch, "passage"), batch_size, progress)
    return [cache[k] for k in keys]


def _fill(
    texts: Sequence[str],
    keys: Sequence[str],
    cache: dict[str, T],
    compute: Callable[[list[str]], Sequence[T]],
    batch_size: int,
    progress: Callable[[int], None] | None,
) -> None:
    """Compute what ``cache`` lacks for ``texts``, each distinct key once, in length-sorted batches."""
    unique = dict(zip(keys, texts, strict=True))
    # Length-sorted batches pad little: on CPU, padding tokens cost as much as real ones.
    todo = sorted(((k, t) for k, t in unique.items() if k not in cache), key=lambda kt: (len(kt[1]), kt[0]))
    if progress and len(unique) > len(todo):
        progress(len(unique) - len(todo))
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]
        for (key, _), value in zip(batch, compute([t for _, t in batch]), strict=True):
            cache[key] = value
        if progress:
            progress(len(batch))
