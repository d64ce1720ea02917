"""One scrape: crawl a source, parse what changed, and merge it into the corpus without ever losing the last good one.

Order matters for safety: documents are parsed in memory, the corpus file is replaced atomically with the
merged result, and only then is the crawl state saved. A run that fails or is killed before the corpus write
leaves both files as they were, and the next run fetches the same pages again.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from navigator.corpus.documents import Document, hash_sections, load_documents, save_documents
from navigator.corpus.sources import SCRAPED_MARK, merge_source
from navigator.errors import NavigatorError, ScrapeError
from scrapers.base import FetchedPage, ParsedDocument, SourceConfig
from scrapers.crawler import Crawler, CrawlProgress
from scrapers.oruk import OrukClient
from scrapers.parsers.detect import parser_for
from scrapers.state import CrawlState

logger = logging.getLogger(__name__)

STATE_DIR = "scrape-state"  # one crawl state per source: a run reads and writes only its own
LEGACY_STATE_FILE = "scrape-state.json"  # the single file older versions kept for every source


@dataclass
class ScrapeReport:
    """What one source's scrape did."""

    source: str
    fetched: int = 0
    changed: list[str] = field(default_factory=list)  # new or changed documents written to the corpus
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)  # this source's documents the corpus no longer holds
    removed_why: dict[str, str] = field(default_factory=dict)  # removed id -> why
    failed: dict[str, str] = field(default_factory=dict)  # url -> reason
    skipped: int = 0
    documents: int = 0  # documents from this source in the corpus after the run
    seconds: float = 0.0
    parse_ms: list[float] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The report as plain JSON (``--json``)."""
        parse = sorted(self.parse_ms)
        return {
            "source": self.source, "fetched": self.fetched, "changed": self.changed, "unchanged": self.unchanged,
            "removed": self.removed, "removed_why": self.removed_why, "failed": self.failed, "skipped": self.skipped,
            "documents": self.documents,
            "seconds": round(self.seconds, 2),
            "parse_ms_median": round(parse[len(parse) // 2], 2) if parse else None,
        }


def _slug(text: str, length: int = 60) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[-length:].strip("-")


def document_id(source: SourceConfig, url: str) -> str:
    """A stable id: a readable slug of the URL plus a short hash of source and URL.

    The source is part of the hash, so the same page reached by two sources (a website and one of its sections)
    gives two documents, each owned by its source, and neither source's run can replace or remove the other's.
    """
    parts = urlsplit(url)
    slug = _slug(f"{parts.netloc}{parts.path}")
    digest = hashlib.sha256(f"{source.name}\x00{url}".encode()).hexdigest()[:8]
    return f"{slug or _slug(source.name)}-{digest}"


def state_path(corpus_dir: Path, source: str) -> Path:
    """Where one source's crawl state is kept (a readable name plus a hash, so two names never share a file)."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:8]
    return corpus_dir / STATE_DIR / f"{_slug(source, 40) or 'source'}-{digest}.json"


def load_state(corpus_dir: Path, source: str) -> CrawlState:
    """The crawl state of ``source``; on first use after an upgrade, its entries from the old shared file."""
    path = state_path(corpus_dir, source)
    legacy = corpus_dir / LEGACY_STATE_FILE
    if path.exists() or not legacy.exists():
        return CrawlState.load(path)
    shared = CrawlState.load(legacy)
    entries = {url: entry for url in shared.urls(source) if (entry := shared.get(url)) is not None}
    return CrawlState(path, entries)


def to_document(parsed: ParsedDocument, source: SourceConfig, page: FetchedPage | None, fetched_at: str) -> Document:
    """A corpus document from a parsed page, marked as scraped (``navigator corpus build`` keeps it)."""
    return Document(
        id=document_id(source, parsed.url),
        title=parsed.title,
        url=parsed.url,
        kind=parsed.kind,
        publisher=source.publisher,
        published=parsed.published,
        fetched_at=page.fetched_at if page else fetched_at,
        language=parsed.language,
        sections=parsed.sections,
        content_hash=hash_sections(parsed.sections),
        etag=page.etag if page else None,
        last_modified=page.last_modified if page else None,
        extra={SCRAPED_MARK: source.name},
    )


def _why_removed(doc_id: str, gone: dict[str, str]) -> str:
    if doc_id in gone:
        return f"the page is gone ({gone[doc_id]})"
    return "replaced: its page was fetched again and is kept under a new id"


def _existing(corpus_path: Path) -> list[Document]:
    return load_documents(corpus_path) if corpus_path.exists() else []


def scrape_source(
    source: SourceConfig,
    corpus_dir: Path,
    *,
    progress: Callable[[CrawlProgress], None] | None = None,
) -> ScrapeReport:
    """Crawl (or, for Open Referral UK, page through) one source and merge the result into the corpus.

    Raises:
        NavigatorError: the corpus cannot be read or written (the previous corpus stays as it was).

    """
    started = time.perf_counter()
    corpus_path = corpus_dir / "documents.jsonl"
    report = ScrapeReport(source.name)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    if source.kind == "oruk":
        client = OrukClient(source.start_url, timeout=source.limits.timeout_seconds, max_pages=source.limits.max_pages)
        documents = [to_document(parsed, source, None, now) for parsed in client.documents()]
        report.fetched = len(documents)
        report.changed = [d.id for d in documents]
        merged, removed = merge_source(_existing(corpus_path), source.name, documents, set())
        save_documents(corpus_path, merged)
        report.removed = sorted(removed)
        report.removed_why = {doc_id: "no longer in the directory feed" for doc_id in removed}
        report.documents = len(documents)
        report.seconds = time.perf_counter() - started
        return report

    state = load_state(corpus_dir, source.name)
    result = Crawler(source, state, progress=progress).run()
    report.fetched = result.timing.pages_fetched
    report.unchanged = len(result.unchanged)
    report.skipped = len(result.skipped)
    report.failed.update(result.failed)
    documents = []
    for page in result.changed:
        t = time.perf_counter()
        try:
            parsed = parser_for(source.kind, page).parse(page)
        except NavigatorError as exc:
            report.failed[page.url] = f"parse: {exc}"
            state.record_failure(page.url, source.name, f"parse: {exc}", forget_content=True)
            continue
        report.parse_ms.append((time.perf_counter() - t) * 1000)
        document = to_document(parsed, source, page, now)
        state.set_doc_id(page.requested_url, document.id)  # entries are keyed by the URL as discovered
        documents.append(document)
    gone = {entry.doc_id: entry.error or "gone" for url in result.removed if (entry := state.get(url)) and entry.doc_id}
    current = {
        entry.doc_id
        for url in state.urls(source.name)
        if (entry := state.get(url)) and entry.doc_id and entry.status != "removed"
    }
    merged, removed = merge_source(_existing(corpus_path), source.name, documents, current)
    save_documents(corpus_path, merged)  # atomic: the old corpus stays until this succeeds
    state.save()  # only after the corpus holds what the state says
    report.changed = [d.id for d in documents]
    report.removed = sorted(removed)
    report.removed_why = {doc_id: _why_removed(doc_id, gone) for doc_id in removed}
    report.documents = sum(1 for d in merged if d.extra.get(SCRAPED_MARK) == source.name)
    report.seconds = time.perf_counter() - started
    logger.info("scraped %s: %d changed, %d unchanged, %d removed, %d failed", source.name,
                len(report.changed), report.unchanged, len(report.removed), len(report.failed))
    return report


def remove_source(name: str, corpus_dir: Path) -> list[str]:
    """Take every document of scrape source ``name`` out of the corpus and delete its crawl state.

    Returns:
        The ids removed.

    Raises:
        ScrapeError: no document or crawl state belongs to ``name`` (the names in the corpus are listed).
        NavigatorError: the corpus cannot be read or written (the previous corpus stays as it was).

    """
    corpus_path = corpus_dir / "documents.jsonl"
    existing = _existing(corpus_path)
    merged, removed = merge_source(existing, name, [], set())
    state = state_path(corpus_dir, name)
    if not removed and not state.exists():
        names = sorted({str(d.extra[SCRAPED_MARK]) for d in existing if d.extra.get(SCRAPED_MARK)})
        raise ScrapeError(f"No scraped source is named {name!r}. Sources in the corpus: {', '.join(names) or 'none'}.")
    save_documents(corpus_path, merged)
    state.unlink(missing_ok=True)
    return removed
