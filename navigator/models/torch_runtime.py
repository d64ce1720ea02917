"""A sentence-transformers model run by PyTorch, behind LangChain's ``Embeddings`` interface, loaded on first use.

The fallback runtime: any model sentence-transformers can load, where ONNX Runtime runs only checked exports.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from langchain_core.embeddings import Embeddings

from navigator.errors import ModelError

logger = logging.getLogger(__name__)


class SentenceTransformerEmbedder(Embeddings):
    """A sentence-transformers model through ``langchain_huggingface.HuggingFaceEmbeddings``.

    The query/passage prompts (e5's ``query: `` / ``passage: ``) come from the model folder's
    ``config_sentence_transformers.json``; a model without them is used without prefixes.
    """

    def __init__(self, model_id: str, model_path: str, batch_size: int = 32) -> None:
        self.model_id = model_id
        self.model_path = model_path
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._client: Any = None

    def _load(self) -> Any:
        with self._lock:
            if self._client is None:
                # Offline by design: a missing model must fail here, not reach for a hub.
                if os.path.isdir(self.model_path):
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                from langchain_huggingface import HuggingFaceEmbeddings

                try:
                    probe = HuggingFaceEmbeddings(model_name=self.model_path, model_kwargs={"device": "cpu"})
                except Exception as exc:  # the loader raises OSError, ValueError, HF errors …
                    raise ModelError(
                        f"Cannot load embedding model {self.model_path!r}: {exc}. "
                        "Run `navigator models install` or set NAVIGATOR_EMBEDDING_MODEL to a local folder."
                    ) from exc
                prompts = getattr(probe._client, "prompts", {}) or {}
                common = {"normalize_embeddings": True, "batch_size": self.batch_size}
                probe.encode_kwargs = common | ({"prompt_name": "passage"} if "passage" in prompts else {})
                probe.query_encode_kwargs = common | ({"prompt_name": "query"} if "query" in prompts else {})
                self._client = probe
                logger.info("loaded embedding model %s (prompts: %s)", self.model_id, sorted(prompts))
            return self._client

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Passage embeddings (with the model's passage prompt)."""
        result: list[list[float]] = self._load().embed_documents(texts)
        return result

    def embed_query(self, text: str) -> list[float]:
        """Query embedding (with the model's query prompt)."""
        result: list[float] = self._load().embed_query(text)
        return result
