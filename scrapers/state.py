"""Per-URL crawl state (validators, hashes, status), kept as JSON beside the corpus and written atomically.

The crawler only changes the state in memory. Save it after the corpus has been written, so that an
interrupted run never records a page as current that the corpus does not hold.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from navigator.errors import ScrapeError
from navigator.storage.files import atomic_write
from scrapers.base import FetchedPage

logger = logging.getLogger(__name__)

UrlStatus = Literal["current", "removed", "failed"]
STATE_VERSION = 1


@dataclass(frozen=True)
class UrlState:
    """What the last crawls learnt about one URL (keyed by the URL as discovered, before redirects)."""

    url: str
    source: str
    status: UrlStatus = "current"
    etag: str | None = None
    last_modified: str | None = None
    sitemap_lastmod: str | None = None
    content_hash: str | None = None  # sha256 of the body last parsed
    last_seen: str | None = None  # ISO 8601 UTC of the last crawl that found the URL
    doc_id: str | None = None  # the corpus document made from it, set by the corpus writer
    final_url: str | None = None  # where redirects ended
    links: tuple[str, ...] = ()  # links found on the page, so a 304 or a skipped page still leads on
    error: str | None = None  # reason of the last failure


def hash_content(content: bytes) -> str:
    """The sha256 hex digest of a body."""
    return hashlib.sha256(content).hexdigest()


def utc_now() -> str:
    """The current time as ISO 8601 UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class CrawlState:
    """URL → :class:`UrlState`, loaded from and saved to one JSON file."""

    def __init__(self, path: Path | None = None, entries: Mapping[str, UrlState] | None = None) -> None:
        self.path = path
        self._entries: dict[str, UrlState] = dict(entries or {})

    @classmethod
    def load(cls, path: Path) -> CrawlState:
        """Read the state at ``path``; a missing file gives an empty state.

        Raises:
            ScrapeError: the file exists but is not a crawl state.

        """
        if not path.exists():
            return cls(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            known = {item.name for item in fields(UrlState)}
            entries = {}
            for url, item in raw["urls"].items():
                values = {key: value for key, value in item.items() if key in known}
                values["links"] = tuple(values.get("links", ()))
                entries[url] = UrlState(url=url, **{k: v for k, v in values.items() if k != "url"})
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ScrapeError(f"The crawl state at {path} is unreadable. Delete it to fetch every page again.") from exc
        return cls(path, entries)

    def save(self, path: Path | None = None) -> None:
        """Write the state atomically to ``path`` (default: where it was loaded from).

        Raises:
            ScrapeError: no path was given either way.

        """
        target = path or self.path
        if target is None:
            raise ScrapeError("This crawl state has no file. Pass a path to save().")
        payload: dict[str, Any] = {
            "version": STATE_VERSION,
            "urls": {url: _entry_json(entry) for url, entry in sorted(self._entries.items())},
        }
        with atomic_write(target) as handle:
            json.dump(payload, handle, ensure_ascii=False, indent=1)
            handle.write("\n")
        logger.info("saved crawl state of %d URLs to %s", len(self._entries), target)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, url: object) -> bool:
        return url in self._entries

    def get(self, url: str) -> UrlState | None:
        """The state of ``url``, if it was ever crawled."""
        return self._entries.get(url)

    def urls(self, source: str, *, status: UrlStatus | None = None) -> list[str]:
        """URLs recorded for ``source``, optionally only those with ``status``, sorted."""
        return sorted(
            url
            for url, entry in self._entries.items()
            if entry.source == source and (status is None or entry.status == status)
        )

    def conditional_headers(self, url: str) -> dict[str, str]:
        """``If-None-Match`` / ``If-Modified-Since`` for a re-fetch, when the stored copy is usable."""
        entry = self._entries.get(url)
        if entry is None or entry.content_hash is None or entry.status == "removed":
            return {}
        headers = {}
        if entry.etag:
            headers["If-None-Match"] = entry.etag
        if entry.last_modified:
            headers["If-Modified-Since"] = entry.last_modified
        return headers

    def is_unchanged_in_sitemap(self, url: str, sitemap_lastmod: str | None) -> bool:
        """The sitemap gives the same ``<lastmod>`` as when ``url`` was last fetched successfully."""
        entry = self._entries.get(url)
        return (
            sitemap_lastmod is not None
            and entry is not None
            and entry.status == "current"
            and entry.content_hash is not None
            and entry.sitemap_lastmod == sitemap_lastmod
        )

    def record_fetch(
        self, source: str, page: FetchedPage, *, links: Iterable[str] | None = None, seen_at: str | None = None
    ) -> UrlState:
        """Record a 200 (new validators and hash) or a 304 (validators refreshed, hash kept) for ``page``."""
        previous = self._entries.get(page.requested_url) or UrlState(url=page.requested_url, source=source)
        kept_links = previous.links if links is None else tuple(links)
        entry = replace(
            previous,
            source=source,
            status="current",
            etag=page.etag or previous.etag,
            last_modified=page.last_modified or previous.last_modified,
            sitemap_lastmod=page.sitemap_lastmod,
            content_hash=previous.content_hash if page.not_modified else hash_content(page.content),
            last_seen=seen_at or utc_now(),
            final_url=page.url,
            links=kept_links,
            error=None,
        )
        self._entries[page.requested_url] = entry
        return entry

    def record_seen(self, url: str, *, seen_at: str | None = None) -> None:
        """Note that ``url`` is still listed (e.g. an unchanged sitemap ``<lastmod>``) without fetching it."""
        entry = self._entries.get(url)
        if entry is not None:
            self._entries[url] = replace(entry, last_seen=seen_at or utc_now())

    def record_failure(self, url: str, source: str, reason: str, *, forget_content: bool = False) -> None:
        """Record a failed fetch (or, with ``forget_content``, a failed parse: the next run fetches it afresh).

        A page that was current keeps its validators and hash after a fetch failure: the corpus still
        holds its last good copy.
        """
        previous = self._entries.get(url) or UrlState(url=url, source=source)
        entry = replace(previous, source=source, status="failed", error=reason)
        if forget_content:
            entry = replace(entry, etag=None, last_modified=None, sitemap_lastmod=None, content_hash=None)
        self._entries[url] = entry

    def mark_removed(self, url: str, reason: str = "gone") -> None:
        """Mark ``url`` as removed: its document should leave the corpus."""
        entry = self._entries.get(url)
        if entry is not None:
            self._entries[url] = replace(
                entry, status="removed", etag=None, last_modified=None, content_hash=None, error=reason
            )

    def set_doc_id(self, url: str, doc_id: str) -> None:
        """Link ``url`` to the corpus document made from it."""
        entry = self._entries.get(url)
        if entry is not None:
            self._entries[url] = replace(entry, doc_id=doc_id)


def _entry_json(entry: UrlState) -> dict[str, Any]:
    values = asdict(entry)
    del values["url"]
    values["links"] = list(entry.links)
    return values
