"""The plain data a reply is made of, and the protocol every composer follows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from navigator.answer.source_labels import section_label
from navigator.models.base import TokenStates
from navigator.retrieval.base import Chunk

Status = Literal["answered", "not_found", "out_of_scope", "safeguarding"]


@dataclass(frozen=True)
class Citation:
    """One numbered source of a reply: always a passage that retrieval returned, never made up."""

    n: int
    doc_id: str
    title: str
    url: str | None
    section: str
    quote: str  # the full text of the cited passage
    # The deepest heading that says what the section is about, in readable case (a sources list shows it rather than
    # a heading path of two hundred capitals).
    section_label: str = ""

    @classmethod
    def of(cls, n: int, chunk: Chunk) -> Citation:
        """The citation numbered ``n`` for a retrieved chunk."""
        label = section_label(chunk.heading_path)
        return cls(n, chunk.doc_id, chunk.doc_title, chunk.url, chunk.section, chunk.text, label)


@dataclass(frozen=True)
class Quote:
    """One quoted sentence of a reply, the passage number it cites and where it comes from."""

    n: int
    text: str
    source: str  # "SEF, Spring 2024 › Children and young people receive the right help…"
    note: str | None = None  # in the reader's language, under the source: "a plan for 2017–2020, which has ended"

    def line(self) -> str:
        """The quote as the reply writes it: the sentence and its marker, its source, then any note, one per line."""
        return f"“{self.text}” [{self.n}]\n— {self.source}" + (f"\n{self.note}" if self.note else "")


@dataclass(frozen=True)
class Contact:
    """A human service the reply points to (from ``data/contacts.json``)."""

    id: str
    name: str
    url: str | None
    phone: str | None


@dataclass(frozen=True)
class GlossaryNote:
    """A SEND term a cited passage uses, explained in the reader's language."""

    term_id: str
    term: str  # in the reader's language
    english: str
    explanation: str  # in the reader's language


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk offered to a composer under the number it would be cited by."""

    n: int
    chunk: Chunk
    score: float


@dataclass(frozen=True)
class CompositionRequest:
    """What a composer writes from: the question, the reader's language and the numbered passages."""

    question: str
    language: str
    passages: Sequence[Passage]
    query_vector: Sequence[float] | None = None  # the embedded question, for sentence selection
    query_states: TokenStates | None = None  # the question's token states, to match sentences token by token
    lexical_text: str = ""  # the question plus English glossary terms, for term overlap
    expected_evidence: tuple[str, ...] = ()  # kinds of fact the question asks for ("phone", "duration" …)
    figures_asked: bool = False  # table rows of figures may be quoted
    experiences_asked: bool = False  # a person's own words may be quoted


@dataclass(frozen=True)
class Composition:
    """A composer's reply body: text with ``[n]`` markers and the citations those markers name."""

    text: str
    citations: tuple[Citation, ...]
    grounded: bool = True  # False: nothing in the passages answers the question
    score: float | None = None  # how well the best quote matches the question (extractive composer)
    quotes: tuple[Quote, ...] = ()  # the quoted sentences in reply order (extractive composer)


@dataclass(frozen=True)
class Answer:
    """The whole reply the API returns."""

    status: Status
    language: str
    detected_language: str
    text: str
    citations: tuple[Citation, ...] = ()
    quotes: tuple[Quote, ...] = ()  # the English sentences the text quotes, in order
    handoff: tuple[Contact, ...] = ()
    glossary: tuple[GlossaryNote, ...] = ()
    direction: Literal["ltr", "rtl"] = "ltr"
    composer: str = "extractive"
    notes: tuple[str, ...] = field(default=())  # why the status was chosen, for logs and evals
    evidence_score: float | None = None  # the best quote's match score, for calibration and evals
    safety_line: str = ""  # 999 and the Children's Trust, in the reply's language, on every reply
    safety_sources: tuple[str, ...] = ()  # the public pages that confirmed those numbers


class Composer(Protocol):
    """Writes a reply body from numbered passages, citing only those numbers."""

    name: str

    def compose(self, request: CompositionRequest) -> Composition:
        """The reply body, complete."""
        ...

    def stream(self, request: CompositionRequest) -> Iterator[str | Composition]:
        """Text deltas as they are produced, then the complete ``Composition`` last."""
        ...
