"""The plain data that passes between the crawler, the parsers and the corpus writer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from navigator.corpus.documents import Section

SourceKind = Literal["auto", "local-offer", "oag", "document", "oruk"]
USER_AGENT = "SENDNavigatorBot/0.1 (+https://www.localofferbirmingham.co.uk/; Birmingham SEND Local Offer navigator)"


@dataclass(frozen=True)
class CrawlLimits:
    """Politeness and safety limits of one crawl."""

    max_pages: int = 500  # page budget: fetches that return a body or a 304
    delay_seconds: float = 1.0  # between requests to the same host
    concurrency: int = 2
    timeout_seconds: float = 20.0
    retries: int = 3  # on 429, 5xx and connection errors, with exponential back-off
    backoff_seconds: float = 1.0  # first back-off; doubles each retry; Retry-After wins when given
    max_bytes: int = 20_000_000  # a larger body is abandoned and reported
    max_redirects: int = 5


@dataclass(frozen=True)
class SourceConfig:
    """One entry of scrapers/sources.toml."""

    name: str
    start_url: str
    kind: SourceKind = "auto"
    allowed_hosts: tuple[str, ...] = ()  # empty: the start URL's host only
    path_prefixes: tuple[str, ...] = ("/",)
    exclude_prefixes: tuple[str, ...] = ()  # another source covers these (each URL belongs to one source)
    publisher: str = "Birmingham City Council"
    limits: CrawlLimits = field(default_factory=CrawlLimits)
    enabled: bool = True


@dataclass(frozen=True)
class FetchedPage:
    """A response worth parsing (status 200), or a 304 that says the stored copy is current."""

    url: str  # final URL after redirects
    requested_url: str
    status: int
    content: bytes
    content_type: str  # lower-case media type without parameters, e.g. "text/html", "application/pdf"
    encoding: str | None  # charset from the headers, when given
    headers: Mapping[str, str]
    fetched_at: str  # ISO 8601 UTC
    etag: str | None = None
    last_modified: str | None = None
    sitemap_lastmod: str | None = None

    @property
    def not_modified(self) -> bool:
        """The server answered 304 to a conditional request."""
        return self.status == 304


@dataclass(frozen=True)
class ParsedDocument:
    """What a parser makes of one page or file, before it becomes a corpus ``Document``."""

    url: str  # canonical URL when the page names one
    title: str
    kind: str  # one of navigator.documents.KINDS
    sections: tuple[Section, ...]
    published: str | None = None  # the page's own "last updated" date when it shows one
    language: str = "en"
    links: tuple[str, ...] = ()  # absolute http(s) links found in the content, for discovery


class Parser(Protocol):
    """Turns a fetched page or file into a document."""

    def parse(self, page: FetchedPage) -> ParsedDocument:
        """Parse ``page``.

        Raises:
            ParseError: the content cannot be read as this kind of page.

        """
        ...
