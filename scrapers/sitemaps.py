"""XML sitemaps and sitemap indexes (plain or gzipped), read safely: no DTDs, no entities, bounded depth."""

from __future__ import annotations

import logging
import re
import zlib
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.etree import ElementTree

from navigator.errors import FetchError, ParseError, UnsafeURLError
from scrapers.fetcher import Fetcher, PageFetchError
from scrapers.robots import RobotsCache
from scrapers.urls import is_http_url, normalise_url, on_allowed_host

logger = logging.getLogger(__name__)

DEFAULT_SITEMAP_PATHS = ("/sitemap.xml", "/wp-sitemap.xml")
MAX_SITEMAP_DEPTH = 3  # index → index → sitemap is already unusual
MAX_SITEMAPS = 200
MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit for one uncompressed file
_UNSAFE_XML = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass(frozen=True)
class SitemapEntry:
    """A page URL a sitemap lists, with its ``<lastmod>`` when given."""

    url: str
    lastmod: str | None = None


@dataclass
class SitemapReading:
    """Everything read from a host's sitemaps."""

    entries: list[SitemapEntry] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)  # sitemap URLs read successfully
    complete: bool = True  # False when a listed sitemap failed or was unreadable: its pages are unknown

    def pairs(self) -> list[tuple[str, str | None]]:
        """The entries as ``(url, lastmod)`` pairs."""
        return [(entry.url, entry.lastmod) for entry in self.entries]


def parse_sitemap(content: bytes, *, max_bytes: int = MAX_SITEMAP_BYTES) -> tuple[list[SitemapEntry], list[str]]:
    """Read one sitemap or sitemap index.

    Args:
        content: the body as fetched; gzip is recognised by its magic bytes.
        max_bytes: the largest uncompressed size accepted.

    Returns:
        ``(pages, child_sitemaps)``: page entries of a ``<urlset>``, or sitemap URLs of a ``<sitemapindex>``.

    Raises:
        ParseError: not a sitemap, malformed XML, too large, or it declares a DTD or entities.

    """
    data = _gunzip(content, max_bytes) if content[:2] == b"\x1f\x8b" else content
    if _UNSAFE_XML.search(data):
        raise ParseError("Refused a sitemap that declares a DTD or entities.")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise ParseError(f"Malformed sitemap XML: {exc}.") from exc
    kind = _local_name(root.tag)
    if kind == "urlset":
        pages = [SitemapEntry(loc, lastmod) for loc, lastmod in _locations(root, "url")]
        return pages, []
    if kind == "sitemapindex":
        return [], [loc for loc, _ in _locations(root, "sitemap")]
    raise ParseError(f"Not a sitemap: the root element is <{kind}>.")


async def read_sitemaps(
    fetcher: Fetcher,
    roots: Iterable[str],
    *,
    robots: RobotsCache | None = None,
    guessed: Iterable[str] = (),
    max_depth: int = MAX_SITEMAP_DEPTH,
) -> SitemapReading:
    """Fetch sitemaps breadth-first from ``roots``, following indexes to ``max_depth``.

    Only sitemaps on the source's hosts are read, and robots.txt is obeyed for them too. A missing
    *guessed* sitemap (``/sitemap.xml`` on a site without one) is normal; any other failure marks the
    reading incomplete so that the crawler does not take unlisted pages for removed ones.

    Args:
        fetcher: the crawl's open fetcher.
        roots: sitemap URLs to start from (robots.txt ``Sitemap:`` lines and the usual paths).
        robots: robots.txt rules to obey, when given.
        guessed: those of ``roots`` that were guessed rather than announced.
        max_depth: how many levels of sitemap indexes to follow.

    Returns:
        The page entries (first listing wins for duplicates), the sitemaps read, and whether all were read.

    """
    reading = SitemapReading()
    guesses = {normalise_url(url) for url in guessed}
    queue: deque[tuple[str, int]] = deque((normalise_url(url), 0) for url in roots)
    seen_sitemaps: set[str] = set()
    seen_pages: set[str] = set()
    while queue:
        url, depth = queue.popleft()
        if url in seen_sitemaps or not on_allowed_host(url, fetcher.source):
            continue
        seen_sitemaps.add(url)
        if depth > max_depth or len(seen_sitemaps) > MAX_SITEMAPS:
            logger.warning("not reading sitemap %s: over the depth or count limit", url)
            reading.complete = False
            continue
        if robots is not None and not await robots.allows(url):
            logger.info("robots.txt disallows sitemap %s", url)
            continue
        content = await _fetch_sitemap(fetcher, url, reading, guessed=url in guesses)
        if content is None:
            continue
        try:
            pages, children = parse_sitemap(content)
        except ParseError as exc:
            logger.warning("skipping sitemap %s: %s", url, exc)
            reading.complete = False
            continue
        reading.sitemaps.append(url)
        for entry in pages:
            page_url = normalise_url(entry.url)
            if is_http_url(page_url) and page_url not in seen_pages:
                seen_pages.add(page_url)
                reading.entries.append(SitemapEntry(page_url, entry.lastmod))
        queue.extend((normalise_url(child, url), depth + 1) for child in children)
    logger.info("read %d sitemaps listing %d pages", len(reading.sitemaps), len(reading.entries))
    return reading


async def _fetch_sitemap(fetcher: Fetcher, url: str, reading: SitemapReading, *, guessed: bool) -> bytes | None:
    try:
        page = await fetcher.fetch(url, may_follow=lambda hop: on_allowed_host(hop, fetcher.source))
    except PageFetchError as exc:
        if guessed and exc.status in (404, 410):
            logger.debug("no sitemap at %s", url)
        else:
            logger.warning("could not read sitemap %s: %s", url, exc.reason)
            reading.complete = False
        return None
    except (UnsafeURLError, FetchError) as exc:
        logger.warning("could not read sitemap %s: %s", url, exc)
        reading.complete = False
        return None
    return page.content


def _gunzip(content: bytes, max_bytes: int) -> bytes:
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(content, max_bytes + 1)
    except zlib.error as exc:
        raise ParseError(f"Unreadable gzipped sitemap: {exc}.") from exc
    if len(data) > max_bytes or decompressor.unconsumed_tail:
        raise ParseError(f"Sitemap larger than {max_bytes} bytes uncompressed.")
    return data


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _locations(root: ElementTree.Element, item: str) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    for element in root:
        if _local_name(element.tag) != item:
            continue
        loc = lastmod = None
        for child in element:
            name = _local_name(child.tag)
            if name == "loc" and child.text:
                loc = child.text.strip()
            elif name == "lastmod" and child.text:
                lastmod = child.text.strip()
        if loc:
            found.append((loc, lastmod))
    return found
