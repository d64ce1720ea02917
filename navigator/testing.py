"""Test doubles that implement the real interfaces: a deterministic embedder and a tiny corpus."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from navigator.corpus.documents import Document, Section, hash_sections
from navigator.retrieval.index_build import build_index
from navigator.retrieval.index_store import LoadedIndex, load_index
from navigator.retrieval.searcher import Searcher
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


def _one_section(doc_id: str, title: str, headings: list[str], text: str) -> Document:
    return make_document(doc_id, title, [(headings, text)], url=f"https://example.org/{doc_id}")


def chat_corpus() -> list[Document]:
    """Six one-section SEND documents that the chat tests and the widget's browser tests both serve."""
    return [
        _one_section(
            "ehcp-timescales",
            "EHC plans in Birmingham",
            ["Education, health and care plans", "Timescales"],
            "The local authority must issue the final EHC plan within 20 weeks of the request for an EHC needs "
            "assessment. In Birmingham the rolling average of plans issued within 20 weeks was 55% in March 2024. "
            "Parents have 15 days to comment on the draft plan before it is finalised.",
        ),
        _one_section(
            "part-time-timetables",
            "Part-time timetables and being sent home",
            ["Inclusion", "Part-time timetables"],
            "A part-time timetable can only be used in very limited circumstances, for example because of a "
            "medical need. It must not be used to manage a child's behaviour and it should be reviewed every few "
            "weeks. Sending a child home at lunchtime without a formal exclusion is an unlawful exclusion.",
        ),
        _one_section(
            "school-transport",
            "Home to school transport",
            ["Travel assistance", "Who can get it"],
            "Children with special educational needs may get free home to school transport when they live beyond "
            "the statutory walking distance. Young people aged 16 to 18 can apply for post-16 travel assistance, "
            "such as a bus pass or a personal travel budget. Travel training helps young people learn to travel "
            "independently on buses and trains.",
        ),
        _one_section(
            "sendiass",
            "Birmingham SENDIASS",
            ["Advice and support", "SENDIASS"],
            "Birmingham SENDIASS gives free, confidential and impartial information, advice and support to "
            "parents and carers of children with SEND. The service is independent of the council and can help you "
            "get ready for meetings with the school or the local authority.",
        ),
        _one_section(
            "tribunal",
            "Disagreements, mediation and the SEND Tribunal",
            ["Disagreements", "Mediation and appeals"],
            "If you disagree with a decision not to carry out an assessment, you must first think about "
            "mediation. After mediation you can appeal to the SEND Tribunal within two months of the date of the "
            "decision letter. Mediation is free for parents and is run by an independent mediator.",
        ),
        _one_section(
            "short-breaks",
            "Short breaks for disabled children",
            ["Family support", "Short breaks"],
            "Short breaks give disabled children and young people enjoyable activities away from home and give "
            "parent carers a rest from caring. Short breaks can be after-school clubs, weekend activities or "
            "overnight stays.",
        ),
    ]


FAKE_INDEX: dict[str, str | int] = {"model_id": FakeEmbedder.model_id, "max_words": 60, "overlap_sentences": 1}


def fake_index(
    index_dir: Path, documents: Sequence[Document] | None = None, *, max_words: int | None = None
) -> LoadedIndex:
    """An index of ``documents`` (the tiny corpus by default) built as ``FAKE_INDEX`` says, and loaded."""
    model, overlap = FakeEmbedder.model_id, int(FAKE_INDEX["overlap_sentences"])
    max_words = max_words or int(FAKE_INDEX["max_words"])
    build_index(documents or tiny_corpus(), FakeEmbedder(), index_dir, model_id=model, max_words=max_words,
                overlap_sentences=overlap)
    return load_index(index_dir, model_id=model, max_words=max_words, overlap_sentences=overlap)


def fake_searcher(
    index_dir: Path, documents: Sequence[Document] | None = None, *, max_query_chars: int = 1000
) -> Searcher:
    """A searcher over :func:`fake_index` with the fake embedder."""
    return Searcher(fake_index(index_dir, documents), FakeEmbedder(), max_query_chars=max_query_chars)
