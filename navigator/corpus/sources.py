"""Build corpus documents from the shipped source texts, so the corpus is reproducible from the repository."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from navigator.corpus.cleaning import clean_extracted_text, extract_contents_titles
from navigator.corpus.documents import KINDS, Document, hash_sections, load_documents, save_documents
from navigator.corpus.sectioning import split_sections
from navigator.errors import CorpusError

logger = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
_REQUIRED = ("file", "title", "publisher", "kind")
_OPTIONAL = ("published", "url")


@dataclass(frozen=True)
class SourceEntry:
    """One source document listed in ``manifest.json``."""

    file: str
    title: str
    publisher: str
    kind: str
    published: str | None = None
    url: str | None = None

    @property
    def doc_id(self) -> str:
        """The document id: the file name without ``.txt``."""
        return self.file.removesuffix(".txt")


def _parse_entry(data: Any, position: int, manifest: Path) -> SourceEntry:
    where = f"{manifest} entry {position}"
    if not isinstance(data, dict):
        raise CorpusError(f"{where} is not an object. Fix the manifest.")
    for key in _REQUIRED:
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise CorpusError(f"{where} needs a non-empty string {key!r}. Fix the manifest.")
    for key in _OPTIONAL:
        if data.get(key) is not None and not isinstance(data[key], str):
            raise CorpusError(f"{where}: {key!r} must be a string or null. Fix the manifest.")
    if data["kind"] not in KINDS:
        raise CorpusError(f"{where}: kind {data['kind']!r} is not one of {', '.join(KINDS)}. Fix the manifest.")
    name = data["file"]
    if not name.endswith(".txt") or Path(name).name != name:
        raise CorpusError(f"{where}: file {name!r} must be a plain '.txt' file name. Fix the manifest.")
    return SourceEntry(
        file=name,
        title=data["title"].strip(),
        publisher=data["publisher"].strip(),
        kind=data["kind"],
        published=data.get("published"),
        url=data.get("url"),
    )


def load_manifest(sources_dir: Path) -> list[SourceEntry]:
    """Read and check ``manifest.json`` in a sources directory.

    Args:
        sources_dir: directory holding ``manifest.json`` and the ``.txt`` files it lists.

    Returns:
        The entries in manifest order.

    Raises:
        CorpusError: the manifest is missing, not JSON, malformed, lists a file twice or lists a missing file.

    """
    manifest = sources_dir / MANIFEST_NAME
    if not manifest.is_file():
        raise CorpusError(f"No {MANIFEST_NAME} in {sources_dir}. Add one listing the source files.")
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{manifest} is not valid JSON ({exc}). Fix the manifest.") from exc
    documents = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(documents, list):
        raise CorpusError(f"{manifest} needs a 'documents' list. Fix the manifest.")
    entries = [_parse_entry(item, position, manifest) for position, item in enumerate(documents, 1)]
    seen: set[str] = set()
    for entry in entries:
        if entry.file in seen:
            raise CorpusError(f"{manifest} lists {entry.file!r} twice. Remove the duplicate.")
        seen.add(entry.file)
        if not (sources_dir / entry.file).is_file():
            raise CorpusError(f"{manifest} lists {entry.file!r}, which is not in {sources_dir}. Add the file.")
    return entries


def build_document(entry: SourceEntry, raw_text: str) -> Document:
    """Clean and section one source text into a corpus document."""
    cleaned = clean_extracted_text(raw_text)
    sections = tuple(split_sections(cleaned, entry.title, extract_contents_titles(raw_text)))
    return Document(
        id=entry.doc_id,
        title=entry.title,
        url=entry.url,
        kind=entry.kind,
        publisher=entry.publisher,
        published=entry.published,
        fetched_at=None,
        language="en",
        sections=sections,
        content_hash=hash_sections(sections),
    )


SCRAPED_MARK = "scraped_from"  # key in a document's extra fields: the scrape source it came from


def build_corpus(sources_dir: Path, out_path: Path) -> list[Document]:
    """Build the corpus from the source texts listed in ``manifest.json`` and write it atomically as JSONL.

    Documents that ``navigator corpus scrape`` added to ``out_path`` are kept after the shipped ones, so
    rebuilding the shipped part never loses a scrape. The output depends only on the inputs: the same
    sources (and the same scraped documents) always give a byte-identical file.

    Args:
        sources_dir: directory holding ``manifest.json`` and the ``.txt`` sources.
        out_path: the ``documents.jsonl`` to write (replaced only when the build succeeds).

    Returns:
        The documents, in manifest order.

    Raises:
        CorpusError: the manifest is missing or malformed, or a source file is missing or not UTF-8.

    """
    documents = []
    for entry in load_manifest(sources_dir):
        path = sources_dir / entry.file
        try:
            raw = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise CorpusError(f"{path} is not UTF-8 text ({exc}). Re-extract it as UTF-8.") from exc
        document = build_document(entry, raw)
        logger.info("built %s: %d sections", document.id, len(document.sections))
        documents.append(document)
    shipped = {d.id for d in documents}
    documents.extend(d for d in scraped_documents(out_path) if d.id not in shipped)
    save_documents(out_path, documents)
    return documents


def scraped_documents(path: Path) -> list[Document]:
    """The scraped documents in an existing corpus file (none when there is no usable file)."""
    if not path.exists():
        return []
    try:
        return [d for d in load_documents(path) if d.extra.get(SCRAPED_MARK)]
    except CorpusError as exc:  # a corrupt file is rebuilt from the shipped sources; say what was lost
        logger.warning("could not read scraped documents from %s (%s); rebuilding without them", path, exc)
        return []


def merge_source(
    existing: list[Document], source: str, new: list[Document], current_ids: set[str]
) -> tuple[list[Document], list[str]]:
    """The corpus after one scrape source's run, and the ids of that source's documents it no longer holds.

    Only the named source's documents change: they are its new documents plus those its crawl state still calls
    current (``current_ids``); every other source's documents, and the shipped ones, stay as they were. This is
    the one merging rule: a crawl and a directory feed on the same host are separate sources and never remove each
    other's documents.

    Args:
        existing: the corpus as it is.
        source: the scrape source's name (documents carry it under ``SCRAPED_MARK``).
        new: that source's documents from this run (they replace its documents with the same id).
        current_ids: that source's documents still current without being fetched again (unchanged pages); empty
            for a feed read whole each time.

    """
    incoming = {d.id: d for d in new}
    kept, removed = [], []
    for document in existing:
        ours = document.extra.get(SCRAPED_MARK) == source
        if ours and document.id not in incoming and document.id not in current_ids:
            removed.append(document.id)
            continue
        if ours and document.id in incoming:
            continue
        kept.append(document)
    return kept + list(incoming.values()), removed
