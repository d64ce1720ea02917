"""Test doubles that implement the real interfaces: a deterministic embedder and a tiny corpus."""

from __future__ import annotations

import hashlib

import numpy as np
from langchain_core.embeddings import Embeddings

from navigator.documents import Document, Section, hash_sections
from navigator.retrieval.tokens import tokenize


class FakeEmbedder(Embeddings):
    """Hash-seeded unit vectors summed over a text's tokens: texts sharing words are close, others not."""

    model_id = "fake-embedder"

    def __init__(self, dimension: int = 64) -> None:
        self.dimension = dimension
        self.calls = 0  # texts embedded as passages, so tests can see what a rebuild re-embeds

    def _vector(self, text: str) -> list[float]:
        total = np.zeros(self.dimension, dtype=np.float64)
        for token in tokenize(text, drop_stopwords=True) or [text]:
            seed = int.from_bytes(hashlib.sha256(token.encode()).digest()[:8], "little")
            total += np.random.default_rng(seed).standard_normal(self.dimension)
        norm = np.linalg.norm(total)
        return (total / norm if norm else total).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Passage vectors."""
        self.calls += len(texts)
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        """Query vector."""
        return self._vector(text)


def make_document(doc_id: str, title: str, sections: list[tuple[list[str], str]], url: str | None = None) -> Document:
    """A corpus document from (heading path, text) pairs."""
    parsed = tuple(Section(tuple(h), t) for h, t in sections)
    return Document(
        id=doc_id,
        title=title,
        url=url,
        kind="strategy",
        publisher="Test",
        published="2024",
        fetched_at=None,
        language="en",
        sections=parsed,
        content_hash=hash_sections(parsed),
    )


def tiny_corpus() -> list[Document]:
    """Three small SEND documents with distinct topics, for unit and integration tests."""
    return [
        make_document(
            "ehcp-guide",
            "EHC plans in Birmingham",
            [
                (
                    ["Assessment", "Timescales"],
                    "The local authority must issue an EHC plan within 20 weeks of the request for an assessment. "
                    "The rolling average of plans issued within 20 weeks was 55% in March 2024.",
                ),
                (
                    ["Assessment", "Appeals"],
                    "Parents who disagree with a decision not to assess can ask for mediation. "
                    "They can then appeal to the SEND Tribunal.",
                ),
            ],
        ),
        make_document(
            "transport",
            "Home to school transport",
            [
                (
                    ["Travel assistance"],
                    "Children with SEND may get free home to school transport when they live beyond the "
                    "statutory walking distance. Travel training helps young people travel on their own.",
                ),
            ],
        ),
        make_document(
            "exclusions",
            "Inclusion and exclusions",
            [
                (
                    ["Part-time timetables"],
                    "A part-time timetable should only be used in very limited circumstances and must not be "
                    "used to manage a child's behaviour. Sending a child home at lunchtime is an exclusion.",
                ),
            ],
        ),
    ]
