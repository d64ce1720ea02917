"""The reply as it is written: the stream's deltas and the final JSON come from the same parts."""

from __future__ import annotations

from collections.abc import Iterator

from navigator.answer.base import Answer, Citation, Contact, GlossaryNote, Quote, Status
from navigator.languages.locales import Locale

Event = tuple[str, object]  # ("delta", str) while composing, then ("final", ChatTurn)


class ReplyParts:
    """Collects the reply as it is written, so the stream and the final JSON say the same thing."""

    def __init__(self, lang: str, detected: str) -> None:
        self.lang = lang
        self.detected = detected
        self.status: Status = "not_found"
        self.text = ""
        self.citations: list[Citation] = []
        self.quotes: list[Quote] = []
        self.handoff: list[Contact] = []
        self.glossary: list[GlossaryNote] = []
        self.notes: list[str] = []
        self.composer = "extractive"
        self.evidence_score: float | None = None

    def mark(self) -> int:
        """Where the text stands now (see :meth:`rewind`)."""
        return len(self.text)

    def rewind(self, mark: int) -> None:
        """Forget text written after ``mark`` (a failed stream); the final event carries the whole reply."""
        self.text = self.text[:mark]

    def append(self, delta: str, *, first: bool) -> Iterator[Event]:
        """Continue the reply; the first piece of a block starts a new paragraph."""
        if not delta:
            return
        if first and self.text:
            delta = "\n\n" + delta
        self.text += delta
        yield ("delta", delta)

    def emit(self, block: str) -> Iterator[Event]:
        """Write a whole paragraph."""
        yield from self.append(block, first=True)

    def build(self, locale: Locale) -> Answer:
        """The finished reply."""
        return Answer(
            status=self.status,
            language=self.lang,
            detected_language=self.detected,
            text=self.text,
            citations=tuple(self.citations),
            quotes=tuple(self.quotes),
            handoff=tuple(dict.fromkeys(self.handoff)),
            glossary=tuple(self.glossary),
            direction=locale.direction,
            composer=self.composer,
            notes=tuple(self.notes),
            evidence_score=self.evidence_score,
        )
