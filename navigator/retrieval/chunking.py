"""Cut documents into section-bound chunks with sentence overlap, so a fact at a boundary is whole somewhere."""

from __future__ import annotations

from collections.abc import Iterable

from navigator.corpus.documents import Document, Section
from navigator.retrieval.base import Chunk
from navigator.retrieval.sentences import count_words, split_sentences

# Sections shorter than this are folded into the next section under the same top-level heading, so a
# one-line subsection ("Positive signs: ...") keeps the context that makes it retrievable.
MIN_SECTION_WORDS = 25


def split_document(document: Document, max_words: int = 160, overlap_sentences: int = 1) -> list[Chunk]:
    """Chunk one document; chunks never span two top-level sections.

    Args:
        document: the corpus document.
        max_words: target chunk length; a single longer sentence is cut into word windows.
        overlap_sentences: sentences repeated at the start of the next chunk of the same section.

    """
    chunks: list[Chunk] = []
    for heading_path, sentences in _section_units(document.sections, max_words):
        for group in _pack(sentences, max_words, overlap_sentences):
            chunks.append(
                Chunk(
                    id=f"{document.id}#{len(chunks):04d}",
                    doc_id=document.id,
                    doc_title=document.title,
                    url=document.url,
                    heading_path=heading_path,
                    text=_join(group),
                    sentences=tuple(group),
                )
            )
    return chunks


def split_documents(documents: Iterable[Document], max_words: int = 160, overlap_sentences: int = 1) -> list[Chunk]:
    """Chunk every document, in corpus order."""
    return [c for d in documents for c in split_document(d, max_words, overlap_sentences)]


def _section_units(sections: Iterable[Section], max_words: int) -> list[tuple[tuple[str, ...], list[str]]]:
    """Sentences per section, with tiny sections carried into the next one of the same top-level section."""
    units: list[tuple[tuple[str, ...], list[str]]] = []
    carry: list[str] = []
    carry_top: str | None = None
    carry_path: tuple[str, ...] = ()
    for section in sections:
        sentences = _window_long(split_sentences(section.text), max_words)
        if not sentences:
            continue
        top = section.heading_path[0] if section.heading_path else ""
        if carry and carry_top != top:
            units.append((carry_path, carry))
            carry = []
        if carry:
            sentences = carry + sentences
            carry = []
        if count_words(" ".join(sentences)) < MIN_SECTION_WORDS:
            # Keep the sub-heading as the lead sentence so its words still reach the index.
            lead = section.heading_path[-1] if len(section.heading_path) > 1 else None
            carry = ([f"{lead}:"] if lead and not sentences[0].startswith(lead) else []) + sentences
            carry_top, carry_path = top, section.heading_path
            continue
        units.append((section.heading_path, sentences))
    if carry:
        units.append((carry_path, carry))
    return units


def _window_long(sentences: list[str], max_words: int) -> list[str]:
    """Cut sentences longer than ``max_words`` (long table rows) into overlapping word windows."""
    out: list[str] = []
    step = max(1, max_words - max_words // 8)
    for sentence in sentences:
        words = sentence.split()
        if len(words) <= max_words:
            out.append(sentence)
            continue
        for start in range(0, len(words), step):
            out.append(" ".join(words[start : start + max_words]))
            if start + max_words >= len(words):
                break
    return out


def _pack(sentences: list[str], max_words: int, overlap: int) -> list[list[str]]:
    """Greedily group sentences up to ``max_words``, repeating ``overlap`` sentences across each cut."""
    groups: list[list[str]] = []
    current: list[str] = []
    words = 0
    fresh = 0  # sentences in ``current`` that are not overlap from the previous group
    for sentence in sentences:
        n = count_words(sentence)
        if current and fresh and words + n > max_words:
            groups.append(current)
            current = current[-overlap:] if overlap else []
            # Overlap must leave room for new text; drop it when it alone nearly fills a chunk.
            while current and count_words(" ".join(current)) + n > max_words:
                current = current[1:]
            words = count_words(" ".join(current))
            fresh = 0
        current.append(sentence)
        words += n
        fresh += 1
    if current and fresh:
        groups.append(current)
    return groups


def _join(sentences: list[str]) -> str:
    """Join sentences; table rows and list items keep their own lines."""
    out = ""
    for sentence in sentences:
        if not out:
            out = sentence
        elif " | " in sentence or sentence.startswith(("- ", "• ")) or out.endswith(":"):
            out += "\n" + sentence
        else:
            out += " " + sentence
    return out
