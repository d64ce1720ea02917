"""robots.txt: fetched once per host through the crawl's fetcher, obeyed for our User-Agent as RFC 9309 says.

Rules are read by Protego (the parser Scrapy uses): the longest matching path wins, ``Allow`` wins a tie, ``*``
matches any run of characters and ``$`` the end of the path, and a crawler obeys the group naming its product token
(``SENDNavigatorBot``) or, failing that, ``*``. The standard library's parser applies the first rule that matches and
knows neither wildcard, so it both fetched pages a site had excluded and refused pages a site had allowed.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from protego import Protego

from navigator.errors import FetchError, UnsafeURLError
from scrapers.base import USER_AGENT
from scrapers.fetcher import Fetcher, PageFetchError
from scrapers.urls import host_of, on_allowed_host

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RobotsRules:
    """What one host's robots.txt lets us do."""

    host: str
    parser: Protego | None = None  # None when the whole host is allowed or disallowed
    disallow_all: bool = False
    crawl_delay: float | None = None
    sitemaps: tuple[str, ...] = ()
    note: str = ""  # why the whole host is allowed or disallowed, for logs and reports

    def allows(self, url: str, user_agent: str = USER_AGENT) -> bool:
        """Whether ``url`` may be fetched by ``user_agent``."""
        if self.disallow_all:
            return False
        if self.parser is None:
            return True
        return bool(self.parser.can_fetch(url, user_agent))


def parse_robots(text: str, host: str, user_agent: str = USER_AGENT) -> RobotsRules:
    """Read a robots.txt body.

    Args:
        text: the decoded robots.txt.
        host: the host it came from.
        user_agent: whose rules apply (``User-agent:`` lines match its product token, else ``*``).

    Returns:
        The rules, with the Crawl-delay for ``user_agent`` and every ``Sitemap:`` line.

    """
    parser = Protego.parse(text.lstrip("\ufeff"))
    delay = parser.crawl_delay(user_agent)
    rate = parser.request_rate(user_agent)
    crawl_delay = float(delay) if delay is not None else None
    if rate is not None and rate.requests > 0:
        crawl_delay = max(crawl_delay or 0.0, rate.seconds / rate.requests)
    return RobotsRules(host=host, parser=parser, crawl_delay=crawl_delay, sitemaps=tuple(parser.sitemaps))


class RobotsCache:
    """Fetch and keep each host's robots.txt for the length of one crawl."""

    def __init__(self, fetcher: Fetcher, *, user_agent: str = USER_AGENT) -> None:
        self._fetcher = fetcher
        self._user_agent = user_agent
        self._rules: dict[str, RobotsRules] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def allows(self, url: str) -> bool:
        """Whether robots.txt of ``url``'s host lets us fetch it."""
        return (await self.rules_for(url)).allows(url, self._user_agent)

    async def rules_for(self, url: str) -> RobotsRules:
        """The rules of ``url``'s host, fetching its robots.txt on first use.

        A missing robots.txt (404, 410 and other 4xx but 401/403) allows everything; 401/403, a server
        error or no answer disallows the host for this run, as RFC 9309 advises. A Crawl-delay larger
        than the configured delay slows the fetcher down for that host.
        """
        parts = urlsplit(url)
        origin = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        if origin in self._rules:
            return self._rules[origin]
        async with self._locks.setdefault(origin, asyncio.Lock()):
            if origin not in self._rules:
                rules = await self._load(origin)
                if rules.crawl_delay is not None:
                    self._fetcher.slow_down(rules.host, rules.crawl_delay)
                self._rules[origin] = rules
        return self._rules[origin]

    async def _load(self, origin: str) -> RobotsRules:
        robots_url = f"{origin}/robots.txt"
        host = host_of(origin)
        source = self._fetcher.source
        try:
            page = await self._fetcher.fetch(robots_url, may_follow=lambda hop: on_allowed_host(hop, source))
        except PageFetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status not in (401, 403):
                logger.info("no robots.txt at %s (HTTP %d): every path allowed", robots_url, exc.status)
                return RobotsRules(host=host, note=f"no robots.txt (HTTP {exc.status})")
            logger.warning("robots.txt at %s unavailable (%s): not crawling %s this run", robots_url, exc.reason, host)
            return RobotsRules(host=host, disallow_all=True, note=f"robots.txt unavailable ({exc.reason})")
        except (UnsafeURLError, FetchError) as exc:
            logger.warning("robots.txt at %s refused: %s", robots_url, exc)
            return RobotsRules(host=host, disallow_all=True, note="robots.txt refused")
        rules = parse_robots(page.content.decode("utf-8", errors="replace"), host, self._user_agent)
        logger.info("read %s (crawl-delay %s, %d sitemaps)", robots_url, rules.crawl_delay, len(rules.sitemaps))
        return rules
