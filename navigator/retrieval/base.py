"""The plain data and protocols that every retriever shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: part of one section of one document, never spanning two sections."""

    id: str
    doc_id: str
    doc_title: str
    url: str | None
    heading_path: tuple[str, ...]
    text: str
    sentences: tuple[str, ...]

    @property
    def section(self) -> str:
        """The heading path as one readable string."""
        return " > ".join(self.heading_path)

    @property
    def embedding_text(self) -> str:
        """What the dense model sees: title and heading path give generic headings their meaning."""
        return f"{self.doc_title}. {self.section}.\n{self.text}"


@dataclass(frozen=True)
class Query:
    """A user's question, with the language it is in when known."""

    text: str
    lang: str | None = None
    expansion: str = ""  # English glossary terms for lexical retrievers; dense retrievers ignore it
    # The English words a question in another language stands for, word by word (data/word_translations.json):
    # the English companion model embeds them, as it cannot read the question itself.
    english_words: str = ""

    @property
    def lexical_text(self) -> str:
        """The text a lexical retriever matches: the question plus its expansion."""
        return f"{self.text} {self.expansion}" if self.expansion else self.text


@dataclass(frozen=True)
class ScoredChunk:
    """A chunk with the score one retriever (or the fusion) gave it."""

    chunk: Chunk
    score: float
    via: str  # "dense" | "sentence" | "bm25" | "hybrid"


class Retriever(Protocol):
    """Anything that ranks chunks for a query."""

    def retrieve(self, query: Query, top_k: int) -> list[ScoredChunk]:
        """Return at most ``top_k`` chunks, best first."""
        ...
