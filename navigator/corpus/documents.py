"""Corpus documents: the dataclasses and atomic JSONL load/save shared by the corpus builder and scrapers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from navigator.errors import CorpusError
from navigator.storage.files import atomic_write

KINDS = ("local-offer", "oag", "strategy", "committee-papers", "directory-service")


@dataclass(frozen=True)
class Section:
    """A run of text under one heading path (outermost heading first).

    ``metadata`` holds structure a parser recognised, such as an OAG section's area of need and phase.
    """

    heading_path: tuple[str, ...]
    text: str
    metadata: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Document:
    """One corpus document in the format of docs/architecture.md."""

    id: str
    title: str
    url: str | None
    kind: str
    publisher: str
    published: str | None
    fetched_at: str | None
    language: str
    sections: tuple[Section, ...]
    content_hash: str = ""
    etag: str | None = None
    last_modified: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The JSON object written to documents.jsonl."""
        data = asdict(self)
        extra = data.pop("extra")
        data["sections"] = [
            {"heading_path": list(s.heading_path), "text": s.text, **({"metadata": s.metadata} if s.metadata else {})}
            for s in self.sections
        ]
        for key in ("etag", "last_modified"):
            if data[key] is None:
                del data[key]
        data.update(extra)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Document:
        """Parse one JSONL object; unknown keys are kept in ``extra``."""
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        try:
            sections = tuple(
                Section(
                    tuple(str(h) for h in s["heading_path"]),
                    str(s["text"]),
                    {str(k): str(v) for k, v in (s.get("metadata") or {}).items()},
                )
                for s in data["sections"]
            )
            values = {k: data[k] for k in known if k in data and k != "sections"}
            extra = {k: v for k, v in data.items() if k not in known}
            return cls(sections=sections, extra=extra, **values)
        except (KeyError, TypeError) as exc:
            raise CorpusError(f"Malformed corpus document {data.get('id')!r}: {exc}") from exc


def hash_sections(sections: Iterable[Section]) -> str:
    """A stable sha256 of the sections' headings and text, used to detect changed documents."""
    digest = hashlib.sha256()
    for section in sections:
        digest.update("\x1f".join(section.heading_path).encode())
        digest.update(b"\x1e")
        digest.update(section.text.encode())
        if section.metadata:
            digest.update(json.dumps(section.metadata, sort_keys=True).encode())
        digest.update(b"\x1d")
    return digest.hexdigest()


def load_documents(path: Path) -> list[Document]:
    """Read a corpus JSONL file.

    Raises:
        CorpusError: the file is missing or a line is not a valid document.

    """
    if not path.exists():
        raise CorpusError(f"No corpus at {path}. Run `navigator corpus build`.")
    documents = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{path}:{number} is not JSON ({exc}). Rebuild the corpus.") from exc
            documents.append(Document.from_json(data))
    return documents


def save_documents(path: Path, documents: Iterable[Document]) -> int:
    """Write documents as JSONL atomically; returns how many were written."""
    count = 0
    with atomic_write(path) as handle:
        for document in documents:
            handle.write(json.dumps(document.to_json(), ensure_ascii=False) + "\n")
            count += 1
    return count
