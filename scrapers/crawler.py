"""The crawler: from a start URL and its sitemaps, through in-scope links, to the pages that changed since last time."""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from bs4 import BeautifulSoup
from bs4.filter import SoupStrainer

from navigator.errors import FetchError, UnsafeURLError
from scrapers.base import FetchedPage, SourceConfig
from scrapers.fetcher import Fetcher, PageFetchError
from scrapers.robots import RobotsCache
from scrapers.sitemaps import DEFAULT_SITEMAP_PATHS, read_sitemaps
from scrapers.state import CrawlState, hash_content, utc_now
from scrapers.urls import in_scope, is_document_url, is_http_url, is_skipped_file, normalise_url, on_allowed_host

logger = logging.getLogger(__name__)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
DOCUMENT_TYPES = frozenset(
    {"application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
)
PARSEABLE_TYPES = HTML_TYPES | DOCUMENT_TYPES | {"application/json", "text/plain"}
_UNTYPED = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/download"})


@dataclass(frozen=True)
class CrawlTiming:
    """How long a crawl took and how much it fetched."""

    seconds: float
    pages_fetched: int  # responses that count against the budget: 2xx bodies and 304s
    bytes: int  # body bytes received
    requests: int  # HTTP requests, robots.txt, sitemaps, retries and redirect hops included

    @property
    def pages_per_second(self) -> float:
        """Pages fetched per second of wall time."""
        return self.pages_fetched / self.seconds if self.seconds > 0 else 0.0


@dataclass
class CrawlResult:
    """What one crawl of a source found; ``changed`` is what needs parsing."""

    source: str
    changed: list[FetchedPage] = field(default_factory=list)  # new or changed bodies
    unchanged: list[str] = field(default_factory=list)  # 304, same hash, or same sitemap <lastmod>
    removed: list[str] = field(default_factory=list)  # were current; now 404/410 or no longer linked or listed
    failed: dict[str, str] = field(default_factory=dict)  # url → reason
    skipped: dict[str, str] = field(default_factory=dict)  # url → robots | off-site | not http(s) | unsafe | budget …
    timing: CrawlTiming = field(default_factory=lambda: CrawlTiming(0.0, 0, 0, 0))
    budget_exhausted: bool = False
    complete: bool = False  # every listed and linked page was reached, so absent pages were marked removed

    def to_json(self) -> dict[str, Any]:
        """The result as plain JSON data (changed pages by URL), for reports."""
        return {
            "source": self.source,
            "changed": [page.requested_url for page in self.changed],
            "unchanged": self.unchanged,
            "removed": self.removed,
            "failed": self.failed,
            "skipped": self.skipped,
            "timing": asdict(self.timing) | {"pages_per_second": round(self.timing.pages_per_second, 2)},
            "budget_exhausted": self.budget_exhausted,
            "complete": self.complete,
        }


@dataclass(frozen=True)
class CrawlProgress:
    """Reported after each URL is handled, for a progress bar."""

    url: str
    outcome: str  # changed | unchanged | removed | failed | skipped
    handled: int
    queued: int
    pages_fetched: int
    max_pages: int


ProgressCallback = Callable[[CrawlProgress], None]


def extract_links(page: FetchedPage) -> list[str]:
    """Absolute, normalised ``a``/``area`` hrefs of an HTML page, resolved against its ``<base href>``."""
    with warnings.catch_warnings():  # bs4 warns about odd markup; a crawler meets plenty and must carry on
        warnings.simplefilter("ignore")
        only_links = SoupStrainer(["a", "area", "base"])  # building the whole tree would take half as long again
        soup = BeautifulSoup(page.content, "html.parser", from_encoding=page.encoding, parse_only=only_links)
    base_url = page.url
    base = soup.find("base", href=True)
    if base is not None:
        base_url = normalise_url(str(base.get("href")), page.url)
    links: dict[str, None] = {}
    for anchor in soup.find_all(["a", "area"], href=True):
        href = str(anchor.get("href") or "").strip()
        if href:
            links[normalise_url(href, base_url)] = None
    return list(links)


class Crawler:
    """Crawl one source incrementally against its stored :class:`CrawlState`.

    The state is updated in memory only; save it once the changed pages are safely in the corpus.
    """

    def __init__(
        self,
        source: SourceConfig,
        state: CrawlState,
        *,
        fetcher: Fetcher | None = None,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.source = source
        self.state = state
        self._fetcher = fetcher
        self._progress = progress

    def run(self) -> CrawlResult:
        """Crawl synchronously (``asyncio.run(self.crawl())``)."""
        return asyncio.run(self.crawl())

    async def crawl(self) -> CrawlResult:
        """Fetch what is new or changed, and account for everything else.

        Page-level problems never raise: they land in ``failed`` or ``skipped`` with a reason. Save
        ``self.state`` only after the changed pages are in the corpus.
        """
        fetcher = self._fetcher or Fetcher(self.source)
        started = time.monotonic()
        requests_before, bytes_before = fetcher.stats.requests, fetcher.stats.bytes
        async with fetcher:
            run = _CrawlRun(self.source, self.state, fetcher, self._progress)
            result = await run.execute()
        result.timing = CrawlTiming(
            seconds=time.monotonic() - started,
            pages_fetched=run.pages_fetched,
            bytes=fetcher.stats.bytes - bytes_before,
            requests=fetcher.stats.requests - requests_before,
        )
        logger.info(
            "crawled %s: %d changed, %d unchanged, %d removed, %d failed, %d skipped in %.1f s",
            self.source.name, len(result.changed), len(result.unchanged), len(result.removed),
            len(result.failed), len(result.skipped), result.timing.seconds,
        )  # fmt: skip
        return result


class _CrawlRun:
    """The mutable bookkeeping of one crawl."""

    def __init__(
        self, source: SourceConfig, state: CrawlState, fetcher: Fetcher, progress: ProgressCallback | None
    ) -> None:
        self.source, self.state, self.fetcher, self.progress = source, state, fetcher, progress
        self.limits = source.limits
        self.robots = RobotsCache(fetcher)
        self.result = CrawlResult(source=source.name)
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.seen: set[str] = set()  # every URL discovered this run (and every final URL of a redirect)
        self.final_urls: set[str] = set()
        self.lastmods: dict[str, str | None] = {}
        self.reserved = 0  # budget slots taken by fetches in flight or done
        self.pages_fetched = 0
        self.handled = 0
        self.discovery_complete = True
        self.start_reached = False
        self.crash: BaseException | None = None
        self.now = utc_now()

    def may_follow(self, url: str) -> bool:
        """In scope, or a PDF/DOCX on one of the source's hosts (documents often live outside the path prefix)."""
        return in_scope(url, self.source) or (on_allowed_host(url, self.source) and is_document_url(url))

    async def execute(self) -> CrawlResult:
        start = normalise_url(self.source.start_url)
        rules = await self.robots.rules_for(start)
        self.discovery_complete = not rules.disallow_all
        origin = start.split("/", 3)[:3]
        guessed = ["/".join(origin) + path for path in DEFAULT_SITEMAP_PATHS]
        reading = await read_sitemaps(self.fetcher, [*rules.sitemaps, *guessed], robots=self.robots, guessed=guessed)
        self.discovery_complete &= reading.complete
        self.discover([start])
        for url, lastmod in reading.pairs():
            if self.may_follow(url):
                self.lastmods[url] = lastmod
                self.discover([url])
        workers = [asyncio.create_task(self.work()) for _ in range(max(1, self.limits.concurrency))]
        await self.queue.join()
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        if self.crash is not None:
            raise self.crash
        self.result.complete = self.discovery_complete and self.start_reached and not self.result.budget_exhausted
        if self.result.complete:
            self.remove_unseen()
        return self.result

    def discover(self, urls: Iterable[str]) -> None:
        for url in urls:
            if url in self.seen:
                continue
            self.seen.add(url)
            if not is_http_url(url):
                self.result.skipped[url] = "not http(s)"
            elif not self.may_follow(url):
                self.result.skipped[url] = "off-site"
            elif not is_skipped_file(url):
                self.queue.put_nowait(url)

    async def work(self) -> None:
        while True:
            url = await self.queue.get()
            try:
                if self.crash is None:
                    outcome = await self.visit(url)
                    self.handled += 1
                    if self.progress is not None:
                        self.progress(CrawlProgress(url, outcome, self.handled, self.queue.qsize(),
                                                    self.pages_fetched, self.limits.max_pages))  # fmt: skip
            except Exception as exc:  # surfaced by execute() once the queue drains
                self.crash = exc
            finally:
                self.queue.task_done()

    def skip(self, url: str, reason: str) -> str:
        self.result.skipped[url] = reason
        logger.info("skipped %s (%s)", url, reason)
        return "skipped"

    def fail(self, url: str, reason: str) -> str:
        self.result.failed[url] = reason
        self.state.record_failure(url, self.source.name, reason)
        logger.info("failed %s (%s)", url, reason)
        return "failed"

    async def visit(self, url: str) -> str:
        if self.reserved >= self.limits.max_pages:
            self.result.budget_exhausted = True
            return self.skip(url, "budget")
        self.reserved += 1  # taken before any await, so concurrent workers cannot overshoot the budget
        outcome = await self.fetch_and_sort(url)
        if outcome not in ("changed", "unchanged"):
            self.reserved -= 1
        elif url == normalise_url(self.source.start_url):
            self.start_reached = True
        return outcome

    async def fetch_and_sort(self, url: str) -> str:
        try:
            await self.fetcher.check_url(url)
        except UnsafeURLError:
            return self.skip(url, "unsafe")
        except FetchError as exc:
            return self.fail(url, str(exc))
        if not await self.robots.allows(url):
            return self.skip(url, "robots")
        lastmod = self.lastmods.get(url)
        if self.state.is_unchanged_in_sitemap(url, lastmod):
            self.state.record_seen(url, seen_at=self.now)
            entry = self.state.get(url)
            self.discover(entry.links if entry else ())
            self.result.unchanged.append(url)
            return "unchanged"
        try:
            page = await self.fetcher.fetch(
                url,
                headers=self.state.conditional_headers(url),
                may_follow=self.may_follow,
                robots_allow=self.robots.allows,
            )
        except PageFetchError as exc:
            return self.handle_failure(url, exc)
        except UnsafeURLError:
            return self.skip(url, "unsafe")
        except FetchError as exc:
            return self.fail(url, str(exc))
        self.pages_fetched += 1
        return self.sort(url, replace(page, sitemap_lastmod=lastmod))

    def handle_failure(self, url: str, exc: PageFetchError) -> str:
        previous = self.state.get(url)
        if exc.status in (404, 410) and previous is not None and previous.content_hash is not None:
            self.state.mark_removed(url, exc.reason)
            self.result.removed.append(url)
            logger.info("removed %s (%s)", url, exc.reason)
            return "removed"
        return self.fail(url, exc.reason)

    def sort(self, url: str, page: FetchedPage) -> str:
        if page.url != url:
            if page.url in self.final_urls:
                return self.skip(url, f"duplicate of {page.url}")
            self.seen.add(page.url)
        self.final_urls.add(page.url)
        if page.not_modified:
            entry = self.state.record_fetch(self.source.name, page, seen_at=self.now)
            self.discover(entry.links)
            self.result.unchanged.append(url)
            logger.info("not modified %s", url)
            return "unchanged"
        if not _parseable(page):
            return self.skip(url, f"content type {page.content_type or 'unknown'}")
        links = extract_links(page) if page.content_type in HTML_TYPES else []
        previous = self.state.get(url)
        same = previous is not None and previous.content_hash == hash_content(page.content)
        self.state.record_fetch(self.source.name, page, links=links, seen_at=self.now)
        self.discover(links)
        logger.info("fetched %s (%s, %d bytes%s)", url, page.content_type, len(page.content), ", same" if same else "")
        if same:
            self.result.unchanged.append(url)
            return "unchanged"
        self.result.changed.append(page)
        return "changed"

    def remove_unseen(self) -> None:
        """After a complete crawl, a URL of this source that nothing links or lists any more is gone."""
        for url in self.state.urls(self.source.name):
            entry = self.state.get(url)
            if entry is None or entry.status == "removed" or url in self.seen:
                continue
            self.state.mark_removed(url, "no longer linked or listed")
            if entry.content_hash is not None:
                self.result.removed.append(url)
                logger.info("removed %s (no longer linked or listed)", url)


def _parseable(page: FetchedPage) -> bool:
    if page.content_type in PARSEABLE_TYPES:
        return True
    return page.content_type in _UNTYPED and (is_document_url(page.url) or page.content.startswith(b"%PDF-"))
